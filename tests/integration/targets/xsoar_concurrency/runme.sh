#!/usr/bin/env bash
# Issue 13 point 1: parallel runs on one machine that ensure one incident name open exactly one
# incident, against a server whose searches take 300 ms (the window in which two runs would both
# find nothing and both create). First 20 forks of one play, then 10 separate ansible-playbook
# processes released at once; then 10 processes with their own TMPDIR, naming the server two ways. Last, three
# controllers (each its own name_lock_dir, so its own name lock, as on separate machines)
# with close_duplicates, against searches of 1.5 s: they can all create, and the next run closes
# every duplicate but the oldest.
set -eux
# (-e "incident_name='A: b'": unquoted, key=value parsing would cut the name at its space)
# ansible-test hands script targets no vars: read the simulator settings it copied two levels up.
config=../../integration_config.yml
run() { ansible-playbook -i hosts.ini -e @"$config" "$@"; }
wait_for_runs() {  # wait_for_runs DIR: wait for every run in $pids, then show their logs (DIR/*.log); fail if one failed
    local failed=0 pid
    for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
    cat "$1"/*.log
    [ "$failed" -eq 0 ]
}

run -e phase=setup check.yml
run -f 20 -e "incident_name='Concurrency: forks'" ensure.yml
run -e phase=forks -e "incident_name='Concurrency: forks'" -e expected_runs=20 check.yml

processes=$(mktemp -d)
pids=()
for n in $(seq 10); do
    run -l localhost -e "incident_name='Concurrency: processes'" -e run_id="$n" ensure.yml >"$processes/$n.log" 2>&1 &
    pids+=("$!")
done
wait_for_runs "$processes"
rm -rf "$processes"
run -e phase=processes -e "incident_name='Concurrency: processes'" -e expected_runs=30 check.yml

# Issue 24 point 8: 10 processes of one controller, each with a TMPDIR of its own, half of them naming
# the server localhost and half 127.0.0.1: one server, one lock (before: an incident per spelling and more).
spellings=$(mktemp -d)
pids=()
for n in $(seq 10); do
    mkdir "$spellings/tmp$n"
    spelling=127.0.0.1
    [ $((n % 2)) -eq 0 ] && spelling=localhost
    run -l localhost -e "incident_name='Concurrency: spellings'" -e run_id="s$n" -e spelling="$spelling" \
        -e own_tmpdir="$spellings/tmp$n" ensure.yml >"$spellings/$n.log" 2>&1 &
    pids+=("$!")
done
wait_for_runs "$spellings"
rm -rf "$spellings"
run -e phase=spellings -e "incident_name='Concurrency: spellings'" -e expected_runs=40 check.yml

run -e phase=setup -e search_delay=1.5 check.yml
controllers=$(mktemp -d)
controller() {  # controller NAME: one run with close_duplicates, its name lock in a directory of its own
    mkdir "$controllers/$1"
    run -l localhost -e "incident_name='Concurrency: controllers'" -e run_id="c$1" -e close_duplicates=true \
        -e controller_tmp="$controllers/$1" ensure.yml
}
pids=()
for n in 1 2 3; do
    controller "$n" >"$controllers/$n.log" 2>&1 &
    pids+=("$!")
done
wait_for_runs "$controllers"
controller next  # the next run, from a controller of its own, once the three have ended
rm -rf "$controllers"
run -e phase=controllers -e "incident_name='Concurrency: controllers'" check.yml
