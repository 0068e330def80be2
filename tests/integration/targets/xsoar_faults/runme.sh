#!/usr/bin/env bash
# Faults of issue 6 against the simulator of this profile, plus a second simulator that serves
# HTTPS with its own self-signed certificate, so the TLS cases run on every profile.
set -eux
# ansible-test hands script targets no vars: read the simulator settings it copied two levels up.
config=../../integration_config.yml

# ansible-test runs a copy of the target inside the collection (tests/output/.tmp/...): walk up
# to the collection root to find the simulator, which is not a target file.
dir=$PWD
while [ "$dir" != / ] && [ ! -f "$dir/tests/simulator/xsoar_simulator.py" ]; do
    dir=$(dirname "$dir")
done
simulator=$dir/tests/simulator/xsoar_simulator.py
[ -f "$simulator" ] || { echo "xsoar_faults: tests/simulator/xsoar_simulator.py not found above $PWD" >&2; exit 1; }

workdir=$(mktemp -d)
tls_pid=
cleanup() {
    if [ -n "$tls_pid" ]; then
        kill "$tls_pid" || true  # it may have exited already
        wait "$tls_pid" || true
    fi
    rm -rf "$workdir"
}
trap cleanup EXIT

# The launcher reads the profile's key from the config file, so the key is on no command line here.
python tls_simulator.py "$simulator" "$config" "$workdir" &
tls_pid=$!
for _ in $(seq 100); do
    [ -f "$workdir/tls.yml" ] && break
    kill -0 "$tls_pid"  # the simulator exited: fail now, with its output above
    sleep 0.2
done
[ -f "$workdir/tls.yml" ]

ansible-playbook -i hosts.ini -e @"$config" -e @"$workdir/tls.yml" faults.yml "$@"
