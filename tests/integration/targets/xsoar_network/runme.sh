#!/usr/bin/env bash
# Issue 13 point 7: the networking settings end to end, against real parts on 127.0.0.1 that
# network_stand.py starts: HTTP CONNECT proxies (open, with credentials, refusing) and an HTTPS
# simulator that requires a client certificate (mutual TLS). network.yml creates and finds
# incidents through them and checks the message of each misconfiguration.
set -eux
# ansible-test hands script targets no vars: read the simulator settings it copied two levels up.
config=../../integration_config.yml

# the simulator and tls_simulator.py (xsoar_faults) are not files of this target: walk up to the collection root
dir=$PWD
while [ "$dir" != / ] && [ ! -f "$dir/tests/simulator/xsoar_simulator.py" ]; do
    dir=$(dirname "$dir")
done
simulator=$dir/tests/simulator/xsoar_simulator.py
[ -f "$simulator" ] || { echo "xsoar_network: tests/simulator/xsoar_simulator.py not found above $PWD" >&2; exit 1; }

workdir=$(mktemp -d)
stand_pid=
cleanup() {
    if [ -n "$stand_pid" ]; then kill "$stand_pid" && wait "$stand_pid" || true; fi
    rm -rf "$workdir"
}
trap cleanup EXIT

PYTHONPATH=$dir/tests/integration/targets/xsoar_faults python network_stand.py "$simulator" "$config" "$workdir" &
stand_pid=$!
for _ in $(seq 100); do
    [ -f "$workdir/network.yml" ] && break
    kill -0 "$stand_pid"  # the stand exited: fail now, with its output above
    sleep 0.2
done
[ -f "$workdir/network.yml" ]

# no proxy from the environment of the test run itself
unset HTTPS_PROXY HTTP_PROXY https_proxy http_proxy NO_PROXY no_proxy ALL_PROXY all_proxy
ansible-playbook -i hosts.ini -e @"$config" -e @"$workdir/network.yml" network.yml "$@"
