#!/usr/bin/env bash
# Issue 13 point 1: parallel runs on one machine that ensure one incident name open exactly one
# incident, against a server whose searches take 300 ms (the window in which two runs would both
# find nothing and both create). First 20 forks of one play, then 10 separate ansible-playbook
# processes released at once. Last, three controllers (each its own TMPDIR for the module, so its own name lock)
# with close_duplicates, against searches of 1.5 s: they can all create, and the next run closes
# every duplicate but the oldest.
set -eux
# (-e "incident_name='A: b'": unquoted, key=value parsing would cut the name at its space)
# ansible-test hands script targets no vars: read the simulator settings it copied two levels up.
config=../../integration_config.yml
run() { ansible-playbook -i hosts.ini -e @"$config" "$@"; }

run -e phase=setup check.yml
run -f 20 -e "incident_name='Concurrency: forks'" ensure.yml
run -e phase=forks -e "incident_name='Concurrency: forks'" -e expected_runs=20 check.yml

pids=()
for n in $(seq 10); do
    run -l localhost -e "incident_name='Concurrency: processes'" -e run_id="$n" ensure.yml >"process-$n.log" 2>&1 &
    pids+=("$!")
done
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
cat process-*.log
rm -f process-*.log
[ "$failed" -eq 0 ]
run -e phase=processes -e "incident_name='Concurrency: processes'" -e expected_runs=30 check.yml

run -e phase=setup -e search_delay=1.5 check.yml
controllers=$(mktemp -d)
pids=()
for n in 1 2 3 next; do
    mkdir "$controllers/$n"
    command=(run -l localhost -e "incident_name='Concurrency: controllers'" -e run_id="c$n" -e close_duplicates=true
             -e controller_tmp="$controllers/$n" ensure.yml)
    if [ "$n" = next ]; then
        # the next run, from a controller of its own, once the three have ended
        failed=0
        for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
        cat "$controllers"/*.log
        [ "$failed" -eq 0 ]
        "${command[@]}"
    else
        "${command[@]}" >"$controllers/$n.log" 2>&1 &
        pids+=("$!")
    fi
done
rm -rf "$controllers"
run -e phase=controllers -e "incident_name='Concurrency: controllers'" check.yml
