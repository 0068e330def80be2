#!/usr/bin/env bash
# Create or update one of the project's test venvs, idempotently, and print its path.
#
#   scripts/venv.sh ansible-2.16   -> .venv/ansible-2.16: Python 3.11 + ansible-core 2.16.*
#   scripts/venv.sh ansible-2.21   -> .venv/ansible-2.21: Python 3.12 + ansible-core 2.21.*
#   scripts/venv.sh tools          -> .venv/tools: Python 3.12 + ansible-core 2.21.* and the
#                                     tools of tests/tools-requirements.txt (ansible-lint,
#                                     antsibull-docs, antsibull-changelog, ansible-builder,
#                                     ansible-runner)
#
# Both also get tests/requirements.txt (and tests/unit/requirements.txt,
# tests/integration/requirements.txt when present). A stamp file holding the hash of all
# inputs skips the pip run when nothing changed. Quiet on success: only the venv path is
# printed; on failure the pip log is shown. Python is found as $PYTHON_3_11 / $PYTHON_3_12,
# then pyenv's versions, then pythonX.Y on PATH.
set -euo pipefail

usage() { echo "usage: $0 ansible-2.16|ansible-2.21|tools" >&2; exit 2; }
[ $# -eq 1 ] || usage

name=$1
case "$name" in
    ansible-2.16) pyver=3.11; core='ansible-core==2.16.*'; override=${PYTHON_3_11:-} ;;
    ansible-2.21|tools) pyver=3.12; core='ansible-core==2.21.*'; override=${PYTHON_3_12:-} ;;
    *) usage ;;
esac
pyver_tuple="${pyver/./, }"

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="$root/.venv/$name"

find_python() {
    # pyenv's X.Y.* versions, newest patch first, then pythonX.Y on PATH
    local candidate
    while read -r candidate; do
        [ -n "$candidate" ] || continue
        if "$candidate" -c "import sys, venv; sys.exit(sys.version_info[:2] != ($pyver_tuple))" >/dev/null 2>&1; then
            echo "$candidate"; return 0
        fi
    done < <(printf '%s\n' "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$pyver".*/bin/python | sort -rV
             command -v "python$pyver" 2>/dev/null || true)
    return 1
}

mkdir -p "$root/.venv"
exec 9>"$root/.venv/.$name.lock"
flock 9

reqs=("$root/tests/requirements.txt")
for extra in tests/unit/requirements.txt tests/integration/requirements.txt; do
    [ -f "$root/$extra" ] && reqs+=("$root/$extra")
done
[ "$name" = tools ] && reqs+=("$root/tests/tools-requirements.txt")

python=""
if [ -n "$override" ]; then
    python=$override
elif ! python=$(find_python); then
    echo "venv.sh: no Python $pyver found (set PYTHON_${pyver/./_} to one)" >&2
    exit 1
fi

stamp="$venv/.requirements-stamp"
hash=$( {
    echo "core=$core python=$pyver"
    cat "${BASH_SOURCE[0]}"
    for f in "${reqs[@]}"; do echo "== ${f#"$root"/}"; cat "$f"; done
} | sha256sum | cut -d' ' -f1)

if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ]; then
    echo "$venv"
    exit 0
fi

log=$(mktemp "${TMPDIR:-/tmp}/venv-$name.XXXXXX.log")
fail() { echo "venv.sh: $1 (log: $log)" >&2; tail -n 40 "$log" >&2; exit 1; }

current=""
[ -x "$venv/bin/python" ] && current=$("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || true)
if [ "$current" != "$pyver" ]; then
    "$python" -m venv --clear "$venv" >>"$log" 2>&1 || fail "creating $venv with $python failed"
fi

pip_args=()
for f in "${reqs[@]}"; do pip_args+=(-r "$f"); done
"$venv/bin/python" -m pip install --disable-pip-version-check -q "$core" "${pip_args[@]}" >>"$log" 2>&1 \
    || fail "pip install into $venv failed"

echo "$hash" >"$stamp"
rm -f "$log"
echo "$venv"
