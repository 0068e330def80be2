#!/usr/bin/env bash
# The newcomer's demo: build and install the collection, start the XSOAR simulator
# (XSOAR 8 on-prem over TLS), and run scripts/demo/demo.yml against it.
#
#   scripts/demo.sh [extra ansible-playbook options, e.g. -v]
#
# The simulator stops at the end; its incidents (tests/output/demo/simulator-state.json) and the
# installed collection (tests/output/demo/collections) stay, so a second run finds the incident the
# first one opened and changes nothing. rm -rf tests/output/demo starts over. Besides that, only the
# venv .venv/ansible-2.21 (scripts/venv.sh) is left behind.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
say() { printf '==> %s\n' "$*"; }

say "venv with ansible-core 2.21 (scripts/venv.sh)"
venv=$("$root/scripts/venv.sh")

keep=$root/tests/output/demo
mkdir -p "$keep"
work=$(mktemp -d "${TMPDIR:-/tmp}/xsoar-demo.XXXXXX")
cleanup() {
    "$root/scripts/simulator.sh" stop "$work/simulator" || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export ANSIBLE_COLLECTIONS_PATH="$keep/collections"
# the play runs on the implicit localhost: no inventory, and no warning about that
export ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_INVENTORY_UNPARSED_WARNING=false
say "building the collection"
"$venv/bin/ansible-galaxy" collection build "$root" --output-path "$work/build" >"$work/build.log" 2>&1 \
    || { cat "$work/build.log" >&2; exit 1; }
tarball=$(ls "$work"/build/xsoar-connector-*.tar.gz)
say "installing $(basename "$tarball") into $ANSIBLE_COLLECTIONS_PATH"
"$venv/bin/ansible-galaxy" collection install --force "$tarball" -p "$ANSIBLE_COLLECTIONS_PATH" >"$work/install.log" 2>&1 \
    || { cat "$work/install.log" >&2; exit 1; }

say "starting the XSOAR simulator (profile xsoar8: XSOAR 8 on-prem, https, standard API key)"
[ -f "$keep/simulator-state.json" ] && say "with the incidents of the last demo run ($keep/simulator-state.json)"
XSOAR_INTEGRATION_CONFIG="" SIMULATOR_PYTHON="$venv/bin/python" SIMULATOR_STATE_FILE="$keep/simulator-state.json" \
    "$root/scripts/simulator.sh" start xsoar8 "$work/simulator" >/dev/null
# XSOAR_URL, XSOAR_API_KEY, XSOAR_API_KEY_ID, XSOAR_API_KEY_TYPE, XSOAR_CA_PATH
# shellcheck disable=SC1091
source "$work/simulator/env"
say "simulator at $XSOAR_URL (CA certificate $XSOAR_CA_PATH)"

say "ansible-playbook scripts/demo/demo.yml"
cd "$work"
"$venv/bin/ansible-playbook" "$root/scripts/demo/demo.yml" "$@"
say "demo done. Run it again: the incident is found, not opened again (changed=0)."
say "The module docs of the installed collection:"
say "  ANSIBLE_COLLECTIONS_PATH=$keep/collections $venv/bin/ansible-doc xsoar.connector.xsoar_incident"
