#!/usr/bin/env bash
# xsoar_api on this run's simulator profile (issue 22): api.yml runs GET and POST against documented
# routes, check mode, refused paths, retries and echoed keys, and asserts on the simulator's request
# log; it runs with -vvv, and then everything it printed is searched for the API key (the key is
# read from integration_config.yml, never written here). No `set -x`: it would print the key.
set -eu
. ../setup_xsoar_secrets/secrets_setup.sh api

export ANSIBLE_DEBUG=0 ANSIBLE_LOG_PATH=$out/ansible.log
# Show module invocations (their arguments) in results, as ansible-core 2.16 always did.
export ANSIBLE_INJECT_INVOCATION=true

echo "=== api.yml (-vvv)"
rc=0
ansible-playbook -vvv -i hosts.ini -e @$config api.yml >"$out/api.out" 2>"$out/api.err" || rc=$?
# the key must not reach this terminal (nor ansible-test's log) either: show masked copies
sed "s/$key/<THE KEY>/g" "$out/api.out" "$out/api.err"
[ "$rc" -eq 0 ] || { echo "FAIL: api.yml exited with $rc"; exit 1; }

leak_check || { echo "FAIL: the API key, or 8 characters of it, appears in the files named above"; exit 1; }
# The search looked at the right output: the echoed answer is in it, redacted.
grep -qF 'The server echoes the key in its answer' "$out/api.out" || { echo "FAIL: the echo task's output is missing"; exit 1; }
grep -qF '"detail": "EEEE********' "$out/api.out" || { echo "FAIL: the echoed key is not shown redacted"; exit 1; }
echo "the key (or any 8 characters of it) is in none of the -vvv output of api.yml, nor in ANSIBLE_LOG_PATH"
