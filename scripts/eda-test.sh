#!/usr/bin/env bash
# The Event-Driven Ansible tests (scripts/test.sh eda runs this):
#
#   scripts/eda-test.sh [PYTEST ARGS...]     (default: tests/eda)
#
# Builds the collection (ansible-galaxy collection build), installs the tarball into a temporary
# collections path, and runs pytest on tests/eda/ with the venv's ansible-rulebook: the
# xsoar_incidents event source's main() as an asyncio task against the simulator, and the rulebooks
# (kibana_alerts, the XSOAR -> Ansible example) run by the real ansible-rulebook.
#
# Environment:
#   EDA_VENV=DIR          the venv with ansible-core and ansible-rulebook (default: .venv/eda, made
#                         by scripts/venv.sh eda from tests/eda-requirements.txt)
#   XSOAR_TEST_COLLECTION a copy of the collection to build from (scripts/test.sh sets it);
#                         default: this work tree
#   JAVA_HOME             a Java 17 runtime for ansible-rulebook; found from `java` when unset
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${EDA_VENV:-}
if [ -z "$venv" ]; then
    venv=$("$root/scripts/venv.sh" eda)
fi
export PATH="$venv/bin:$PATH"
unset VIRTUAL_ENV PYTHONPATH ANSIBLE_COLLECTIONS_PATH ANSIBLE_COLLECTIONS_PATHS

if [ -z "${JAVA_HOME:-}" ]; then
    if java=$(command -v java); then
        JAVA_HOME=$(dirname "$(dirname "$(readlink -f "$java")")")
        export JAVA_HOME
    else
        echo "eda-test.sh: ansible-rulebook needs a Java 17 runtime: install one or set JAVA_HOME" >&2
        exit 1
    fi
fi

work=$(mktemp -d "${XSOAR_TEST_TMP:-${TMPDIR:-/tmp}}/eda-test.XXXXXX")
trap 'rm -rf "$work"' EXIT

src=${XSOAR_TEST_COLLECTION:-$root}
ansible-galaxy collection build "$src" --output-path "$work/dist" >/dev/null
ansible-galaxy collection install --force "$work"/dist/xsoar-connector-*.tar.gz -p "$work/collections" >/dev/null
export XSOAR_EDA_COLLECTIONS=$work/collections

cd "$root"
[ $# -gt 0 ] || set -- tests/eda
exec python -m pytest -p no:cacheprovider -q "$@"
