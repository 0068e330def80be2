#!/usr/bin/env bash
# Start or stop the XSOAR simulator (tests/simulator/xsoar_simulator.py) in the background.
#
#   scripts/simulator.sh start <profile> <workdir>
#   scripts/simulator.sh stop <workdir>
#   scripts/simulator.sh status <workdir>
#
# Profiles:
#   xsoar6                 XSOAR 6, plain http, standard key, no key id
#   xsoar8                 XSOAR 8 on-prem (xsoar8-opp), https, standard key, key id 17
#   xsoar8-saas-advanced   XSOAR 8 SaaS (xsoar8-saas), https, advanced key, key id 42
#
# `start` generates a new random API key, starts the simulator, waits (at most
# $SIMULATOR_START_TIMEOUT seconds, default 15) for its port file, then writes:
#   <workdir>/env                      XSOAR_URL, XSOAR_API_KEY, ... to `source`
#   <workdir>/integration_config.yml   the vars below
#   $XSOAR_INTEGRATION_CONFIG          the same file for ansible-test; default
#                                      tests/integration/integration_config.yml ("" = don't)
# and prints the URL (scripts/simulator_env.py writes the files). With $SIMULATOR_STATE_FILE set,
# the incidents persist in that file across restarts (the demo uses it; tests start empty).
# The simulator's log is <workdir>/simulator.log. The python that runs it is $SIMULATOR_PYTHON,
# else .venv/ansible-2.21's, else python3 (--tls needs the `cryptography` package or openssl).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

usage() {
    echo "usage: $0 start xsoar6|xsoar8|xsoar8-saas-advanced WORKDIR | stop WORKDIR | status WORKDIR" >&2
    exit 2
}

running_pid() {  # prints the pid of the simulator of workdir $1 if it is running
    local pidfile="$1/simulator.pid" pid
    [ -f "$pidfile" ] || return 1
    pid=$(cat "$pidfile")
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    grep -q xsoar_simulator "/proc/$pid/cmdline" 2>/dev/null || return 1
    echo "$pid"
}

stop() {
    local workdir=$1 pid i
    if pid=$(running_pid "$workdir"); then
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 100; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            echo "simulator.sh: pid $pid ignored SIGTERM for 10 s, killing it" >&2
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    rm -f "$workdir/simulator.pid" "$workdir/port.json"
}

start() {
    local profile=$1 workdir=$2 deployment key_type key_id="" tls=() python
    case "$profile" in
        xsoar6) deployment=xsoar6; key_type=standard ;;
        xsoar8) deployment=xsoar8-opp; key_type=standard; key_id=17; tls=(--tls) ;;
        xsoar8-saas-advanced) deployment=xsoar8-saas; key_type=advanced; key_id=42; tls=(--tls) ;;
        *) usage ;;
    esac
    mkdir -p "$workdir"
    workdir=$(cd "$workdir" && pwd)
    stop "$workdir"

    python=${SIMULATOR_PYTHON:-}
    if [ -z "$python" ]; then
        if [ -x "$root/.venv/ansible-2.21/bin/python" ]; then
            python=$root/.venv/ansible-2.21/bin/python
        else
            python=python3
        fi
    fi

    local key
    key=$("$python" -c 'import secrets; print(secrets.token_hex(24))')
    local -a args=(--deployment "$deployment" --api-key "$key" --api-key-type "$key_type"
                   --port 0 --port-file "$workdir/port.json")
    [ -n "$key_id" ] && args+=(--api-key-id "$key_id")
    [ -n "${SIMULATOR_STATE_FILE:-}" ] && args+=(--state-file "$SIMULATOR_STATE_FILE")
    if [ ${#tls[@]} -gt 0 ]; then
        mkdir -p "$workdir/certs"
        args+=(--tls --cert-dir "$workdir/certs")
    fi

    nohup "$python" "$root/tests/simulator/xsoar_simulator.py" "${args[@]}" \
        >"$workdir/simulator.log" 2>&1 </dev/null &
    local pid=$!
    echo "$pid" >"$workdir/simulator.pid"

    local timeout=${SIMULATOR_START_TIMEOUT:-15} waited=0
    while [ ! -s "$workdir/port.json" ]; do
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "simulator.sh: the simulator ($profile) exited before listening; its log:" >&2
            cat "$workdir/simulator.log" >&2
            rm -f "$workdir/simulator.pid"
            exit 1
        fi
        if [ "$waited" -ge $((timeout * 10)) ]; then
            echo "simulator.sh: no port file after ${timeout}s; its log:" >&2
            cat "$workdir/simulator.log" >&2
            stop "$workdir"
            exit 1
        fi
        sleep 0.1
        waited=$((waited + 1))
    done

    local config=${XSOAR_INTEGRATION_CONFIG-$root/tests/integration/integration_config.yml}
    XSOAR_PROFILE=$profile XSOAR_DEPLOYMENT=$deployment SIM_KEY=$key SIM_KEY_ID=$key_id \
    SIM_KEY_TYPE=$key_type SIM_WORKDIR=$workdir SIM_CONFIG=$config \
    "$python" "$root/scripts/simulator_env.py"
}

case "${1:-}" in
    start) [ $# -eq 3 ] || usage; start "$2" "$3" ;;
    stop) [ $# -eq 2 ] || usage; [ -d "$2" ] && stop "$(cd "$2" && pwd)" ;;
    status)
        [ $# -eq 2 ] || usage
        if pid=$(running_pid "$2"); then
            echo "running (pid $pid): $(cat "$2/port.json" 2>/dev/null)"
        else
            echo "not running"; exit 1
        fi
        ;;
    *) usage ;;
esac
