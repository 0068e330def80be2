#!/usr/bin/env bash
# The API key never shows (issue 6, "Secrets"): runs secrets.yml with -vvv (once for real, once in
# check mode, with diff), an ad-hoc command with the key in XSOAR_API_KEY, and searches everything
# they printed or logged, and the simulator's request log, for the key. The key is read from
# integration_config.yml (a new one every simulator start), never written here. No `set -x`: it
# would print the key itself.
set -eu
# config, key, work and out (everything searched for the key; $work/adhoc.env holds it on purpose)
. ../setup_xsoar_secrets/secrets_setup.sh secrets

# ANSIBLE_DEBUG prints module arguments in clear by design: the promise is for normal and -vvv runs.
export ANSIBLE_DEBUG=0 ANSIBLE_LOG_PATH=$out/ansible.log
# Show module invocations (their arguments) in results, as ansible-core 2.16 always did.
export ANSIBLE_INJECT_INVOCATION=true

run() {  # name command...: run it, keep its stdout and stderr, show them, fail on failure
    local name=$1 rc=0
    shift
    echo "=== $name"
    "$@" >"$out/$name.out" 2>"$out/$name.err" || rc=$?
    # the key must not reach this terminal (nor ansible-test's log) either: show masked copies
    sed "s/$key/<THE KEY>/g" "$out/$name.out" "$out/$name.err"
    [ "$rc" -eq 0 ] || { echo "FAIL: $name exited with $rc"; exit 1; }
}

run playbook ansible-playbook -vvv --diff -i hosts.ini -e @$config -e output_dir="$out" secrets.yml
run check-mode ansible-playbook -vvv --check --diff -i hosts.ini -e @$config -e output_dir="$out" secrets.yml
# issue 13: the key echoed at every offset around each cut of a server's text (searched below for any 8 characters)
run echo ansible-playbook -vvv -i hosts.ini -e @$config echo.yml

# Ad hoc, with the connection in XSOAR_* variables (the env fallback path of every option)
xsoar_env "$work/adhoc.env" --set XSOAR_RETRIES=0
(
    # shellcheck disable=SC1091
    . "$work/adhoc.env"
    run adhoc ansible -vvv -i hosts.ini localhost -m xsoar.connector.xsoar_incident \
        -a 'name="Secrets: ad hoc" severity=low'
    # a failure through the same variables: a string label
    if ansible -vvv -i hosts.ini localhost -m xsoar.connector.xsoar_incident \
        -a 'name="Secrets: ad hoc" labels="Source secrets"' >"$out/adhoc-failure.out" 2>&1; then
        echo "FAIL: the ad-hoc command with a string label succeeded"; exit 1
    fi
)

# The modules' own argument specs: api_key and proxy are no_log, and nothing else is by accident.
python argument_specs.py

echo "=== searching $(find "$out" -type f | wc -l) files for the key and every 8 characters of it"
ls -l "$out"
leak_check || { echo "FAIL: the API key, or 8 characters of it, appears in the files named above"; exit 1; }
# The search looked at the right output: it holds what the runs should show, but not the key.
grep -qF 'Secrets: created' "$out/playbook.out" || { echo "FAIL: playbook output lacks the incident name"; exit 1; }
grep -qF 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER' "$out/playbook.out" \
    || { echo "FAIL: -vvv output shows no masked module arguments"; exit 1; }
grep -qF 'request headers were' "$out/playbook.out" || { echo "FAIL: the echoed headers are not in the output"; exit 1; }
grep -qF 'Secrets: created' "$out/ansible.log" || { echo "FAIL: ANSIBLE_LOG_PATH was not written"; exit 1; }
grep -qF '"/incidents/search"' "$out/request-log-run.json" || { echo "FAIL: the request log is not the simulator's"; exit 1; }
grep -qF 'Secrets: ad hoc' "$out/adhoc.out" || { echo "FAIL: the ad-hoc output lacks the incident name"; exit 1; }
grep -qF "Elements value for option 'labels'" "$out/adhoc-failure.out" || { echo "FAIL: the ad-hoc failure is not the expected one"; exit 1; }
grep -qF 'Each case, single form or bulk' "$out/echo.out" || { echo "FAIL: the echo run's output is missing"; exit 1; }
echo "the key (or any 8 characters of it) is in none of: playbook, check-mode and echo runs (-vvv, diff), ANSIBLE_LOG_PATH, ad-hoc runs, request logs"
