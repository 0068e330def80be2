#!/usr/bin/env bash
# Issue 13 point 1: parallel runs on one machine that ensure one incident name open exactly one
# incident, against a server whose searches take 300 ms (the window in which two runs would both
# find nothing and both create). First 20 forks of one play, then 10 separate ansible-playbook
# processes released at once.
set -eux
# ansible-test hands script targets no vars: read the simulator settings it copied two levels up.
config=../../integration_config.yml
run() { ansible-playbook -i hosts.ini -e @"$config" "$@"; }

run -e phase=setup check.yml
run -f 20 -e incident_name="Concurrency: forks" ensure.yml
run -e phase=forks -e incident_name="Concurrency: forks" -e expected_runs=20 check.yml

pids=()
for n in $(seq 10); do
    run -l localhost -e incident_name="Concurrency: processes" -e run_id="$n" ensure.yml >"process-$n.log" 2>&1 &
    pids+=("$!")
done
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
cat process-*.log
rm -f process-*.log
[ "$failed" -eq 0 ]
run -e phase=processes -e incident_name="Concurrency: processes" -e expected_runs=30 check.yml
