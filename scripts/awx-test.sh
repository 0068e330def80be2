#!/usr/bin/env bash
# AWX / Automation Platform checks (nox -e awx runs this in its session venv):
#
#  1. artifact: `ansible-galaxy collection build` from a copy of the collection that also holds
#     what a developer checkout collects (.venv, tests/output, __pycache__, old tarballs...): the
#     tarball must hold none of it, nor .ci/ or scripts/, and must hold every file of plugins/,
#     roles/, meta/, extensions/ and docs/; `ansible-galaxy collection install` of it works and
#     ansible-doc reads the installed modules; tests/awx/quickstart.py runs docs/quickstart.md's
#     commands and playbook with the installed collection against a simulator.
#  2. execution environment: `ansible-builder create` of tests/awx/execution-environment.yml (the
#     built tarball as a local collection); then the image build's galaxy and introspection steps,
#     taken from the generated Containerfile, run here without a container engine: the Python and
#     system requirements they yield must be exactly the collection's requirements.txt and bindep.txt.
#  3. AWX job: per simulator profile ($TEST_PROFILES, default all three) tests/awx/awx_job.py runs
#     the job template playbook tests/awx/project/open_incident.yml through `ansible-runner run`
#     with the credential of extensions/awx/credential_type.yml injected as AWX injects it, twice
#     (creates, then changes nothing), and checks that the key is in no output or artifact; then a
#     failing playbook with the failure_incident callback enabled by the project's ansible.cfg alone
#     (tests/awx/callback_project/): the job fails as without it, and one incident names the failure.
#
# Needs XSOAR_TEST_COLLECTION (the collection copy nox -e awx makes) and python with the packages of
# tests/tools-requirements.txt on PATH.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
collection=${XSOAR_TEST_COLLECTION:?"run through nox -e awx (it sets XSOAR_TEST_COLLECTION)"}
python=$(command -v python)
unset VIRTUAL_ENV PYTHONPATH ANSIBLE_COLLECTIONS_PATH ANSIBLE_COLLECTIONS_PATHS

work=$(mktemp -d "${XSOAR_TEST_TMP:-${TMPDIR:-/tmp}}/awx-test.XXXXXX")
cleanup() {
    local dir
    for dir in "$work"/sim-*; do
        [ -d "$dir" ] && "$root/scripts/simulator.sh" stop "$dir" >/dev/null 2>&1
    done
    rm -rf "$work"
}
trap cleanup EXIT

failures=0
check() {  # check CONDITION_STATUS MESSAGE: print ok/FAIL, count failures
    if [ "$1" -eq 0 ]; then echo "ok: $2"; else echo "FAIL: $2"; failures=$((failures + 1)); fi
}
check_none() {  # check_none FOUND MESSAGE: passes when FOUND (lines) is empty, else lists them
    if [ -z "$1" ]; then
        check 0 "$2"
    else
        check 1 "$2: $(echo "$1" | head -n 20 | tr '\n' ' ')"
    fi
}
section() { echo; echo "--- $* ---"; }

# --- 1. the artifact --------------------------------------------------------------------------
section "collection artifact"
src=$work/src/ansible_collections/xsoar/connector
mkdir -p "$src"
cp -a "$collection/." "$src/"
rm -rf "$src/.git"
# what a developer's checkout holds besides the sources (the copy has only what git lists)
mkdir -p "$src/.venv/bin" "$src/tests/output/junit" "$src/plugins/modules/__pycache__" \
    "$src/.pytest_cache" "$src/.cache" "$src/.git" "$src/.ansible/tmp"
touch "$src/.venv/bin/python" "$src/tests/output/junit/python3.12.xml" \
    "$src/plugins/modules/__pycache__/xsoar_incident.cpython-312.pyc" "$src/.pytest_cache/README.md" \
    "$src/.cache/test.lock" "$src/.git/HEAD" "$src/.ansible/tmp/lint.log" "$src/xsoar-connector-0.0.1.tar.gz" \
    "$src/tests/integration/integration_config.yml" "$src/changelogs/.plugin-cache.yaml"
ansible-galaxy collection build "$src" --output-path "$work/dist" >/dev/null
check $? "ansible-galaxy collection build"
built=("$work"/dist/xsoar-connector-*.tar.gz)
tarball=${built[0]}
if [ ! -f "$tarball" ]; then
    echo "FAIL: no tarball built; the remaining checks need it"
    exit 1
fi
echo "built $(basename "$tarball") ($(du -k "$tarball" | cut -f1) KiB, $(tar -tzf "$tarball" | grep -vc '/$') files)"
tar -tzf "$tarball" | sed 's#/$##' | sort >"$work/tarball-files"
junk=$(grep -E '^(\.venv|\.ci|\.git|\.ansible|\.cache|\.pytest_cache|scripts|tests/output)(/|$)|(^|/)__pycache__(/|$)|\.pyc$|\.tar\.gz$|(^|/)\.plugin-cache\.yaml$|^tests/integration/(integration_config\.yml|inventory)$' \
    "$work/tarball-files")
check_none "$junk" "the tarball holds no checkout junk"
missing=$(cd "$collection" && git ls-files plugins roles meta extensions docs README.md LICENSE requirements.txt \
          bindep.txt | grep -vxF -f "$work/tarball-files")
check_none "$missing" "the tarball holds every file of plugins/, roles/, meta/, extensions/, docs/ (missing ones listed)"

ansible-galaxy collection install --force "$tarball" -p "$work/installed" >/dev/null 2>&1
check $? "ansible-galaxy collection install of the tarball"
version=$(sed -n 's/^version: *//p' "$collection/galaxy.yml")
ANSIBLE_COLLECTIONS_PATH=$work/installed ansible-galaxy collection list xsoar.connector -p "$work/installed" 2>/dev/null \
    | grep -Eq "^xsoar\.connector +${version//./\\.} *\$"
check $? "ansible-galaxy collection list shows xsoar.connector $version"
for module in "$collection"/plugins/modules/*.py; do
    name=$(basename "$module" .py)
    ANSIBLE_COLLECTIONS_PATH=$work/installed ansible-doc -t module "xsoar.connector.$name" >/dev/null 2>"$work/ansible-doc.err"
    check $? "ansible-doc reads the installed xsoar.connector.$name$(head -c 300 "$work/ansible-doc.err")"
done

section "docs/quickstart.md with the installed collection (simulator xsoar8)"
sim=$work/sim-quickstart
if XSOAR_INTEGRATION_CONFIG="" SIMULATOR_PYTHON="$python" \
    "$root/scripts/simulator.sh" start xsoar8 "$sim" >/dev/null; then
    python "$collection/tests/awx/quickstart.py" --simulator-dir "$sim" --collections-path "$work/installed" \
        --work "$work/quickstart"
    check $? "docs/quickstart.md works as written"
    "$root/scripts/simulator.sh" stop "$sim"
else
    check 1 "simulator xsoar8 starts"
fi

# --- 2. the execution environment ---------------------------------------------------------------
section "execution environment (ansible-builder create)"
ee=$work/ee
mkdir -p "$ee"
cp "$collection/tests/awx/execution-environment.yml" "$ee/"
cp "$tarball" "$ee/xsoar-connector.tar.gz"
(cd "$ee" && ansible-builder create -f execution-environment.yml -c context --output-filename Containerfile) \
    >"$ee/create.log" 2>&1
rc=$?
[ "$rc" -eq 0 ] || cat "$ee/create.log"
check "$rc" "ansible-builder create"
context=$ee/context
cmp -s "$tarball" "$context/_build/collections/xsoar-connector.tar.gz"
check $? "the build context carries the built collection"

# The image build installs context/_build/requirements.yml with ansible-galaxy (galaxy stage),
# then runs introspect.py over the installed collections (builder stage). Both run here, with
# the container's /build, /usr/share/ansible/collections and /tmp/src mapped to directories of $ee.
sed "s#/build/#$context/_build/#" "$context/_build/requirements.yml" >"$ee/requirements-local.yml"
ansible-galaxy collection install --force -r "$ee/requirements-local.yml" -p "$ee/usr-share-ansible/collections" \
    >/dev/null 2>&1
check $? "the galaxy stage installs the collection from the build context"
# shellcheck disable=SC2016  # $PYCMD is the Containerfile's, matched literally
introspect=$(sed -n 's#^RUN \$PYCMD /output/scripts/introspect.py ##p' "$context/Containerfile")
if [ -z "$introspect" ]; then
    check 1 "the Containerfile has the introspection step (RUN \$PYCMD /output/scripts/introspect.py ...)"
else
    read -r -a introspect_args <<<"${introspect//\/tmp\/src/$ee/src}"
    python "$context/_build/scripts/introspect.py" "${introspect_args[@]}" "$ee/usr-share-ansible/collections" \
        >"$ee/introspect.log" 2>&1
    check $? "the builder stage's introspection runs: introspect.py $introspect"
    # what the collection declares, as introspection writes it
    expected() { grep -Ev '^[[:space:]]*(#|$)' "$collection/$1" | sed 's/$/  # from collection xsoar.connector/'; }
    for file in requirements.txt bindep.txt; do
        # introspection writes no file when the collections declare nothing
        if diff <(expected "$file") <(cat "$ee/src/$file" 2>/dev/null) >"$ee/$file.diff"; then
            check 0 "introspection yields the collection's $file ($(expected "$file" | wc -l) entries)"
        else
            check 1 "introspection yields the collection's $file; diff expected / introspected:"
            cat "$ee/$file.diff" "$ee/introspect.log"
        fi
    done
fi

# --- 3. AWX jobs through ansible-runner -----------------------------------------------------
for profile in ${TEST_PROFILES:-xsoar6 xsoar8 xsoar8-saas-advanced}; do
    section "AWX job via ansible-runner ($profile)"
    sim=$work/sim-$profile
    if ! XSOAR_INTEGRATION_CONFIG="" SIMULATOR_PYTHON="$python" \
        "$root/scripts/simulator.sh" start "$profile" "$sim" >/dev/null; then
        check 1 "simulator $profile starts"
        continue
    fi
    python "$collection/tests/awx/awx_job.py" --simulator-dir "$sim" --collection-tarball "$tarball" \
        --work "$work/job-$profile" 2>&1 | tee "$work/job-$profile.log"
    check "${PIPESTATUS[0]}" "AWX job checks ($profile)"
    "$root/scripts/simulator.sh" stop "$sim"
    key=$(python -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["xsoar_api_key"])' \
          "$sim/integration_config.yml")
    [ -n "$key" ] && ! grep -qF -- "$key" "$work/job-$profile.log" "$sim/simulator.log"
    check $? "the key is not in the job's console output nor the simulator log ($profile)"
done

echo
if [ "$failures" -ne 0 ]; then
    echo "awx-test: $failures check(s) failed"
    exit 1
fi
echo "awx-test: all checks passed"
