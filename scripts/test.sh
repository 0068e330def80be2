#!/usr/bin/env bash
# The test command of xsoar.connector (README and .ci/run call it).
#
#   scripts/test.sh                          everything
#   scripts/test.sh sanity                   ansible-test sanity, ansible-core 2.21 and 2.16
#   scripts/test.sh units                    ansible-test units, both versions
#   scripts/test.sh simulator                the simulator's own pytest suite
#   scripts/test.sh lint                     ansible-lint (production), antsibull-changelog lint,
#                                            docs/reference/ current (antsibull-docs; regenerate
#                                            with scripts/lint.sh --fix-docs), docs checks: scripts/lint.sh
#   scripts/test.sh awx                      ansible-builder create and an ansible-runner job with
#                                            an AWX-injected credential: scripts/awx-test.sh
#   scripts/test.sh eda                      Event-Driven Ansible: the xsoar_incidents event source
#                                            against the simulator and the rulebooks run by the real
#                                            ansible-rulebook (.venv/eda, Java 17): scripts/eda-test.sh
#   scripts/test.sh integration [TARGET...]  ansible-test integration against the simulator
#   scripts/test.sh sanity units             several groups (integration, if given, comes last)
#
# Environment:
#   TEST_VENVS="ansible-2.21 ansible-2.16"   the ansible-core venvs to use (default: both)
#   TEST_PROFILES="xsoar6 ..."               simulator profiles for integration (default:
#                                            all three on 2.21; xsoar6 + xsoar8-saas-advanced on 2.16)
#                                            and for the awx step's jobs (default: all three)
#   EDA_VENV=DIR                             the eda step's venv (default .venv/eda, made by
#                                            scripts/venv.sh eda)
#   TEST_LOG_DIR=DIR                         where step logs go (default tests/output/test-logs);
#                                            runs with different log dirs may run side by side
#
# On a fresh machine it creates both venvs (scripts/venv.sh), writes ansible-test's offline
# pip bootstrap (scripts/ansible-test-offline.py) and copies the work tree (the files git
# lists) into a temporary .../ansible_collections/xsoar/connector for ansible-test. Every
# step runs even when an earlier one failed; a summary table follows, and the exit status is
# non-zero if any step failed. Each step's output is also kept in tests/output/test-logs/.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
self=$root/scripts/test.sh
cd "$root" || exit 1

usage() {
    sed -n '2,/^set -uo/{/^set -uo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
    exit "${1:-0}"
}

pyver_of() {
    case "$1" in
        ansible-2.16) echo 3.11 ;;
        ansible-2.21) echo 3.12 ;;
        *) echo "test.sh: unknown venv '$1' (ansible-2.16 or ansible-2.21)" >&2; exit 2 ;;
    esac
}
# --- helpers that steps run through `timeout` (so they are commands, not functions) ---
# ansible-test VENV COMMAND ARGS...: run the venv's ansible-test from the collection layout
ansible_test() {
    local v=$1
    shift
    cd "$XSOAR_TEST_COLLECTION" || exit 1
    export ANSIBLE_TEST_CONTENT_ROOT=$XSOAR_TEST_COLLECTION
    export PATH="$root/.venv/$v/bin:$PATH"
    unset VIRTUAL_ENV PYTHONPATH
    exec "$root/.venv/$v/bin/ansible-test" "$@" --color no \
        --python "$(pyver_of "$v")" --python-interpreter "$root/.venv/$v/bin/python"
}

# integration_run VENV PROFILE [TARGET...]: simulator up, ansible-test integration, simulator down
integration_run() {
    local v=$1 profile=$2
    shift 2
    local workdir="$XSOAR_TEST_TMP/sim-$profile-$v" rc
    XSOAR_INTEGRATION_CONFIG=$XSOAR_TEST_CONFIG SIMULATOR_PYTHON="$root/.venv/$v/bin/python" \
        "$root/scripts/simulator.sh" start "$profile" "$workdir" || return 1
    echo "simulator ($profile) at $(sed -n "s/^export XSOAR_URL=//p" "$workdir/env")"
    ( ansible_test "$v" integration --continue-on-error "$@" ) 2>&1 | tee "$workdir/ansible-test.log"
    rc=${PIPESTATUS[0]}
    # The key must appear nowhere: not in any task output, nor in what the simulator logged of requests.
    "$root/.venv/$v/bin/python" - "$workdir" <<'PY' > "$workdir/request-log.json" || rc=1
import json, ssl, sys, urllib.request
env = dict(line[len("export "):].strip().split("=", 1) for line in open(sys.argv[1] + "/env") if line.startswith("export "))
url = env["XSOAR_URL"].strip("'") + "/_simulator/requests"
context = ssl.create_default_context(cafile=env["XSOAR_CA_PATH"].strip("'")) if "XSOAR_CA_PATH" in env else None
print(urllib.request.urlopen(url, context=context).read().decode())
PY
    "$root/scripts/simulator.sh" stop "$workdir"
    local key
    key=$(sed -n "s/^export XSOAR_API_KEY='\{0,1\}\([^']*\)'\{0,1\}$/\1/p" "$workdir/env")
    if [ -z "$key" ] || grep -rlF -- "$key" "$workdir/ansible-test.log" "$workdir/simulator.log" "$workdir/request-log.json"; then
        echo "FAIL: the API key appears in the files above (or could not be read)"
        rc=1
    fi
    if [ "$rc" -ne 0 ]; then
        echo "--- simulator log (last 40 lines) ---"
        tail -n 40 "$workdir/simulator.log"
    fi
    return "$rc"
}

if [ "${1:-}" = __internal ]; then
    shift
    "$@"
    exit
fi

# --- arguments -------------------------------------------------------------------------
want_sanity=0 want_units=0 want_simulator=0 want_lint=0 want_awx=0 want_eda=0 want_integration=0
targets=()
if [ $# -eq 0 ]; then
    want_sanity=1 want_units=1 want_simulator=1 want_lint=1 want_awx=1 want_eda=1 want_integration=1
fi
while [ $# -gt 0 ]; do
    case "$1" in
        -h|--help) usage 0 ;;
        sanity) want_sanity=1 ;;
        units|unit) want_units=1 ;;
        simulator) want_simulator=1 ;;
        lint) want_lint=1 ;;
        awx) want_awx=1 ;;
        eda) want_eda=1 ;;
        integration) want_integration=1; shift; targets=("$@"); break ;;
        all) want_sanity=1 want_units=1 want_simulator=1 want_lint=1 want_awx=1 want_eda=1 want_integration=1 ;;
        *) echo "test.sh: unknown step '$1' (sanity, units, simulator, lint, awx, eda, integration; -h for help)" >&2; exit 2 ;;
    esac
    shift
done

read -r -a venvs <<<"${TEST_VENVS:-ansible-2.21 ansible-2.16}"

profiles_for() {  # the simulator profiles to run integration with on venv $1
    if [ -n "${TEST_PROFILES:-}" ]; then
        echo "$TEST_PROFILES"
    elif [ "$1" = ansible-2.21 ]; then
        echo "xsoar6 xsoar8 xsoar8-saas-advanced"
    else
        echo "xsoar6 xsoar8-saas-advanced"
    fi
}

for v in "${venvs[@]}"; do pyver_of "$v" >/dev/null; done

# --- one run per log directory (everything else a run writes is its own temp dir) -------
logdir=${TEST_LOG_DIR:-$root/tests/output/test-logs}
mkdir -p "$(dirname "$logdir")"
exec 8>"$logdir.lock"
if ! flock -n 8; then
    echo "test.sh: another scripts/test.sh is writing to $logdir; waiting for it (or set TEST_LOG_DIR)" >&2
    flock 8
fi
rm -rf "$logdir"
mkdir -p "$logdir"

# --- step bookkeeping ------------------------------------------------------------------
step_names=() step_results=() step_times=() step_notes=()
run_start=$(date +%s.%N)

record() {  # name result seconds [note]
    step_names+=("$1"); step_results+=("$2"); step_times+=("$3"); step_notes+=("${4:-}")
}

elapsed_since() { echo "$(date +%s.%N) $1" | awk '{printf "%.1f", $1 - $2}'; }

# step NAME TIMEOUT_SECONDS COMMAND...: runs COMMAND, streams and logs its output, records
# pass/FAIL with its duration. Returns the command's status.
step() {
    local name=$1 limit=$2
    shift 2
    local log="$logdir/${name//[^A-Za-z0-9_.-]/_}.log" start rc
    echo
    echo "=== $name ==="
    start=$(date +%s.%N)
    # in the background, so that an interrupt reaches the trap at once; timeout runs the
    # command in its own process group and passes a SIGTERM on to all of it
    local tee_pid
    exec 7> >(tee "$log")
    tee_pid=$!
    timeout --kill-after=30 "$limit" "$@" >&7 2>&1 7>&- </dev/null &
    step_pid=$!
    exec 7>&-
    wait "$step_pid"
    rc=$?
    step_pid=""
    wait "$tee_pid" 2>/dev/null
    local took
    took=$(elapsed_since "$start")
    if [ "$rc" -eq 0 ]; then
        record "$name" pass "$took"
    elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
        record "$name" FAIL "$took" "timed out after ${limit}s"
    else
        record "$name" FAIL "$took" "exit $rc, log: ${log#"$root"/}"
    fi
    echo "=== $name: $([ "$rc" -eq 0 ] && echo pass || echo "FAIL (exit $rc)") in ${took}s ==="
    return "$rc"
}

not_run() {  # name reason: a step that could not run counts as failed
    echo
    echo "=== $1: FAIL ($2) ==="
    record "$1" FAIL 0 "$2"
}

# --- cleanup ---------------------------------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/xsoar-test.XXXXXX")
export XSOAR_TEST_TMP=$tmp
collection=""
cleanup() {
    local dir
    for dir in "$tmp"/sim-*; do
        [ -d "$dir" ] && "$root/scripts/simulator.sh" stop "$dir" >/dev/null 2>&1
    done
    if [ -n "$collection" ] && [ "$collection" != "$root" ]; then
        # keep ansible-test's reports (junit, bot, data) next to the step logs
        for dir in junit bot data; do
            if [ -d "$collection/tests/output/$dir" ]; then
                mkdir -p "$logdir/ansible-test"
                cp -r "$collection/tests/output/$dir" "$logdir/ansible-test/"
            fi
        done
    elif [ -n "$collection" ]; then
        rm -f "$collection/tests/integration/integration_config.yml"
        # ansible-test leaves its generated inventory behind
        grep -qs '^testhost ansible_connection="local"' "$collection/tests/integration/inventory" \
            && rm -f "$collection/tests/integration/inventory"
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
step_pid=""
interrupted() {
    echo "test.sh: interrupted" >&2
    [ -n "$step_pid" ] && kill -TERM "$step_pid" 2>/dev/null && wait "$step_pid" 2>/dev/null
    exit 130
}
trap interrupted INT TERM

# --- setup: venvs, offline pip bootstrap, collection layout ----------------------------
declare -A venv_ok=()
for v in "${venvs[@]}"; do
    if step "setup: venv $v" 1200 "$root/scripts/venv.sh" "$v" \
        && step "setup: offline get-pip $v" 120 "$root/.venv/$v/bin/python" "$root/scripts/ansible-test-offline.py"; then
        venv_ok[$v]=1
    fi
done

# ansible-test wants the collection at .../ansible_collections/<namespace>/<name>/ and lists
# its files with git. A symlink to the repository is not enough: ansible-test and pytest take
# os.getcwd(), which resolves the link back to the repository (ANSIBLE_TEST_CONTENT_ROOT fixes
# that for sanity and integration, but `units` still fails with 'File ... not found in
# collection path'). So the files git lists (tracked, and untracked unless ignored) are copied
# into a temporary layout with a git repository of its own. The run sees a snapshot of the
# work tree as it was at the start, and writes nothing into the repository but
# tests/output/test-logs/.
layout() {
    local dest=$1
    mkdir -p "$dest"
    (
        cd "$root" || exit 1
        git ls-files -z --cached --others --exclude-standard \
            | while IFS= read -r -d '' f; do
                  { [ -e "$f" ] || [ -L "$f" ]; } && printf '%s\0' "$f"
              done \
            | tar --null --no-recursion -T - -cf -
    ) | tar -xf - -C "$dest" || return 1
    git -C "$dest" -c init.defaultBranch=main init -q \
        && git -C "$dest" add -A \
        && git -C "$dest" ls-files --error-unmatch galaxy.yml >/dev/null
}

layout_ok=1
case "$root" in
    */ansible_collections/xsoar/connector) collection=$root ;;
    *)
        collection=$tmp/collections/ansible_collections/xsoar/connector
        layout_start=$(date +%s.%N)
        if ! git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
            echo "test.sh: $root is not a git work tree; ansible-test needs git to list the files" >&2
            record "setup: collection layout" FAIL 0 "not a git work tree"
            layout_ok=0
        elif layout "$collection"; then
            record "setup: collection layout" pass "$(elapsed_since "$layout_start")" "copy in ${collection%/ansible_collections/*}"
        else
            record "setup: collection layout" FAIL "$(elapsed_since "$layout_start")" "copying the work tree failed"
            layout_ok=0
        fi
        ;;
esac
export XSOAR_TEST_COLLECTION=$collection
export XSOAR_TEST_CONFIG=$collection/tests/integration/integration_config.yml

# sanity must run with no ignore entries
ignores_ok=1
for f in tests/sanity/ignore-*.txt; do
    [ -e "$f" ] || continue
    if grep -q '[^[:space:]]' "$f"; then
        echo "test.sh: $f is not empty; sanity issues must be fixed, not ignored:" >&2
        cat "$f" >&2
        ignores_ok=0
    fi
done

ready() {  # venv $1 usable for ansible-test?
    [ "${venv_ok[$1]:-0}" = 1 ] && [ "$layout_ok" = 1 ]
}

# --- sanity ----------------------------------------------------------------------------
if [ "$want_sanity" = 1 ]; then
    for v in "${venvs[@]}"; do
        name="sanity $v (py$(pyver_of "$v"))"
        if [ "$ignores_ok" != 1 ]; then
            not_run "$name" "tests/sanity/ignore-*.txt must be empty"
        elif ready "$v"; then
            step "$name" 1800 "$self" __internal ansible_test "$v" sanity
        else
            not_run "$name" "setup failed"
        fi
    done
fi

# --- units -----------------------------------------------------------------------------
if [ "$want_units" = 1 ]; then
    for v in "${venvs[@]}"; do
        name="units $v (py$(pyver_of "$v"))"
        if ready "$v"; then
            step "$name" 900 "$self" __internal ansible_test "$v" units
        else
            not_run "$name" "setup failed"
        fi
    done
fi

# --- the simulator's own tests ---------------------------------------------------------
if [ "$want_simulator" = 1 ]; then
    v=${venvs[0]}
    name="simulator pytest ($v)"
    if [ "${venv_ok[$v]:-0}" = 1 ]; then
        step "$name" 600 "$root/.venv/$v/bin/python" -m pytest tests/simulator -q -p no:cacheprovider
    else
        not_run "$name" "setup failed"
    fi
fi

# --- lint and AWX checks (the tools venv) ----------------------------------------------
if [ "$want_lint" = 1 ] || [ "$want_awx" = 1 ]; then
    tools_ok=0
    step "setup: venv tools" 1200 "$root/scripts/venv.sh" tools && tools_ok=1
    for check in lint awx; do
        want=want_$check
        [ "${!want}" = 1 ] || continue
        script=$([ "$check" = lint ] && echo lint.sh || echo awx-test.sh)
        if [ "$tools_ok" = 1 ] && [ "$layout_ok" = 1 ]; then
            step "$check (tools)" 1200 "$root/scripts/$script"
        else
            not_run "$check (tools)" "setup failed"
        fi
    done
fi

# --- Event-Driven Ansible (.venv/eda: ansible-core 2.21 and ansible-rulebook) ------------
if [ "$want_eda" = 1 ]; then
    eda_ok=0
    if [ -n "${EDA_VENV:-}" ]; then
        eda_ok=1
    elif step "setup: venv eda" 1200 "$root/scripts/venv.sh" eda; then
        eda_ok=1
        export EDA_VENV=$root/.venv/eda
    fi
    if [ "$eda_ok" = 1 ] && [ "$layout_ok" = 1 ]; then
        step "eda (ansible-rulebook)" 600 "$root/scripts/eda-test.sh"
    else
        not_run "eda (ansible-rulebook)" "setup failed"
    fi
fi

# --- integration -----------------------------------------------------------------------
if [ "$want_integration" = 1 ]; then
    for v in "${venvs[@]}"; do
        for profile in $(profiles_for "$v"); do
            name="integration $v $profile"
            if ready "$v"; then
                step "$name" 1800 "$self" __internal integration_run "$v" "$profile" "${targets[@]}"
            else
                not_run "$name" "setup failed"
            fi
        done
    done
fi

# --- summary ---------------------------------------------------------------------------
passed=0 failed=0
echo
echo "================================ summary ================================"
printf '%-46s %-6s %8s  %s\n' step result seconds note
for i in "${!step_names[@]}"; do
    printf '%-46s %-6s %8s  %s\n' "${step_names[$i]}" "${step_results[$i]}" "${step_times[$i]}" "${step_notes[$i]}"
    case "${step_results[$i]}" in
        pass) passed=$((passed + 1)) ;;
        *) failed=$((failed + 1)) ;;
    esac
done
printf '%-46s %-6s %8s\n' total "" "$(elapsed_since "$run_start")"
echo "steps: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
