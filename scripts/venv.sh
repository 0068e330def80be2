#!/usr/bin/env bash
# The venv of the demo and the benchmark, created or updated idempotently; prints its path.
#
#   scripts/venv.sh   -> .venv/ansible-2.21: Python 3.12, ansible-core 2.21.* and tests/requirements.txt
#
# (Test sessions make their own venvs: nox.) A stamp holding the hash of the inputs skips pip when nothing
# changed. Quiet on success; on failure the pip log is shown. Python is $PYTHON_3_12, else pyenv's 3.12,
# else python3.12 on PATH.
set -euo pipefail

pyver=3.12
core='ansible-core==2.21.*'
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="$root/.venv/ansible-2.21"
requirements="$root/tests/requirements.txt"

find_python() {
    # pyenv's 3.12.* versions, newest patch first, then python3.12 on PATH
    local candidate
    while read -r candidate; do
        [ -n "$candidate" ] || continue
        if "$candidate" -c "import sys, venv; sys.exit(sys.version_info[:2] != (3, 12))" >/dev/null 2>&1; then
            echo "$candidate"
            return 0
        fi
    done < <(printf '%s\n' "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$pyver".*/bin/python | sort -rV
             command -v "python$pyver" 2>/dev/null || true)
    return 1
}

mkdir -p "$root/.venv"
exec 9>"$root/.venv/.ansible-2.21.lock"
flock 9

python=${PYTHON_3_12:-}
if [ -z "$python" ] && ! python=$(find_python); then
    echo "venv.sh: no Python $pyver found (set PYTHON_3_12 to one)" >&2
    exit 1
fi

stamp="$venv/.requirements-stamp"
hash=$(cat <(echo "$core") "${BASH_SOURCE[0]}" "$requirements" | sha256sum | cut -d' ' -f1)
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ]; then
    echo "$venv"
    exit 0
fi

log=$(mktemp "${TMPDIR:-/tmp}/venv-ansible-2.21.XXXXXX.log")
fail() { echo "venv.sh: $1 (log: $log)" >&2; tail -n 40 "$log" >&2; exit 1; }
if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv" >>"$log" 2>&1 || fail "creating $venv with $python failed"
fi
"$venv/bin/python" -m pip install --disable-pip-version-check -q "$core" -r "$requirements" >>"$log" 2>&1 \
    || fail "pip install into $venv failed"
echo "$hash" >"$stamp"
rm -f "$log"
echo "$venv"
