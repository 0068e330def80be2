#!/usr/bin/env bash
# Issue 24: the modules against hostile servers on 127.0.0.1 (hostile_server.py): headers trickled a byte
# a second, partial echoes of the key in each shape, a 300 MB answer. hostile.yml checks the results;
# here the run's peak memory is measured (the module's process) and all its -vvv output is searched
# for any 8 characters of the key. No `set -x`: it would print the key.
set -eu
# config, key, work and out (everything searched for the key)
. ../setup_xsoar_secrets/secrets_setup.sh hostile
python hostile_server.py "$config" "$work/port" &
server=$!
trap 'kill "$server"; rm -rf "$work"' EXIT
for _try in $(seq 50); do
    [ -s "$work/port" ] && break
    sleep 0.2
done
[ -s "$work/port" ] || { echo "FAIL: hostile_server.py did not start"; exit 1; }
url="http://127.0.0.1:$(cat "$work/port")"

rc=0
python peak_memory.py "$work/peak" ansible-playbook -vvv -i hosts.ini -e @"$config" -e hostile_url="$url" \
    hostile.yml >"$out/hostile.out" 2>"$out/hostile.err" || rc=$?
sed "s/$key/<THE KEY>/g" "$out/hostile.out" "$out/hostile.err"
[ "$rc" -eq 0 ] || { echo "FAIL: hostile.yml exited with $rc"; exit 1; }

peak=$(cat "$work/peak")
echo "peak memory of the largest process (the module reading the 300 MB answer): ${peak} MB"
# max_answer_mb is 64: the module stays within a small multiple of it (before the limit: 1.2 GB)
[ "$peak" -lt 400 ] || { echo "FAIL: a process of the run peaked at ${peak} MB"; exit 1; }

leak_check || { echo "FAIL: the API key, or 8 characters of it, appears in the files named above"; exit 1; }
grep -qF 'HTTP 400 bad request; the key ********' "$out/hostile.out" \
    || { echo "FAIL: the echoes are not in the output searched"; exit 1; }
echo "no 8 characters of the key in the output of any echo shape"
