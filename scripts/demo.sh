#!/usr/bin/env bash
# The newcomer's demo: build and install the collection, start the XSOAR simulator
# (XSOAR 8 on-prem over TLS), and run scripts/demo/demo.yml against it.
#
#   scripts/demo.sh [extra ansible-playbook options, e.g. -v]
#
# Everything happens in a temporary directory, removed at the end together with the
# simulator; the only thing left behind is the venv .venv/ansible-2.21 (scripts/venv.sh).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
say() { printf '==> %s\n' "$*"; }

say "venv with ansible-core 2.21 (scripts/venv.sh ansible-2.21)"
venv=$("$root/scripts/venv.sh" ansible-2.21)

work=$(mktemp -d "${TMPDIR:-/tmp}/xsoar-demo.XXXXXX")
cleanup() {
    "$root/scripts/simulator.sh" stop "$work/simulator" || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export ANSIBLE_COLLECTIONS_PATH="$work/collections"
# the play runs on the implicit localhost: no inventory, and no warning about that
export ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_INVENTORY_UNPARSED_WARNING=false
say "building the collection"
"$venv/bin/ansible-galaxy" collection build "$root" --output-path "$work/build" >"$work/build.log" 2>&1 \
    || { cat "$work/build.log" >&2; exit 1; }
tarball=$(ls "$work"/build/xsoar-connector-*.tar.gz)
say "installing $(basename "$tarball") into $ANSIBLE_COLLECTIONS_PATH"
"$venv/bin/ansible-galaxy" collection install "$tarball" -p "$ANSIBLE_COLLECTIONS_PATH" >"$work/install.log" 2>&1 \
    || { cat "$work/install.log" >&2; exit 1; }

say "starting the XSOAR simulator (profile xsoar8: XSOAR 8 on-prem, https, standard API key)"
XSOAR_INTEGRATION_CONFIG="" SIMULATOR_PYTHON="$venv/bin/python" \
    "$root/scripts/simulator.sh" start xsoar8 "$work/simulator" >/dev/null
# XSOAR_URL, XSOAR_API_KEY, XSOAR_API_KEY_ID, XSOAR_API_KEY_TYPE, XSOAR_CA_PATH
# shellcheck disable=SC1091
source "$work/simulator/env"
say "simulator at $XSOAR_URL (CA certificate $XSOAR_CA_PATH)"

say "ansible-playbook scripts/demo/demo.yml"
cd "$work"
"$venv/bin/ansible-playbook" "$root/scripts/demo/demo.yml" "$@"
say "demo done"
