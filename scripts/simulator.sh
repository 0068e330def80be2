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
# and prints the URL. The simulator's log is <workdir>/simulator.log. The python that runs
# it is $SIMULATOR_PYTHON, else .venv/ansible-2.21's, else python3 (--tls needs the
# `cryptography` package or the openssl command).
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
    "$python" - <<'EOF'
import json
import os

env = os.environ
workdir = env["SIM_WORKDIR"]
with open(os.path.join(workdir, "port.json"), encoding="utf-8") as handle:
    info = json.load(handle)
values = {
    "xsoar_profile": env["XSOAR_PROFILE"],
    "xsoar_deployment": env["XSOAR_DEPLOYMENT"],
    "xsoar_url": info["url"],
    "xsoar_api_key": env["SIM_KEY"],
    "xsoar_api_key_id": env["SIM_KEY_ID"],
    "xsoar_api_key_type": env["SIM_KEY_TYPE"],
    "xsoar_ca_path": info.get("ca_path") or "",
    "xsoar_simulator_url": info["url"],
}


def write(path, text):
    tmp = "%s.tmp%d" % (path, os.getpid())
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


# JSON strings are valid YAML scalars
config = "---\n# written by scripts/simulator.sh; a new key every start\n" + "".join(
    "%s: %s\n" % (name, json.dumps(value)) for name, value in values.items())
write(os.path.join(workdir, "integration_config.yml"), config)
if env["SIM_CONFIG"]:
    write(env["SIM_CONFIG"], config)


def shell_quote(value):
    return "'" + value.replace("'", "'\"'\"'") + "'"


exports = {
    "XSOAR_URL": values["xsoar_url"],
    "XSOAR_API_KEY": values["xsoar_api_key"],
    "XSOAR_API_KEY_ID": values["xsoar_api_key_id"],
    "XSOAR_API_KEY_TYPE": values["xsoar_api_key_type"],
    "XSOAR_CA_PATH": values["xsoar_ca_path"],
    "XSOAR_SIMULATOR_URL": values["xsoar_simulator_url"],
}
lines = ["# written by scripts/simulator.sh (profile %s)" % values["xsoar_profile"]]
for name, value in exports.items():
    # an empty value is left unset rather than set to "", so modules use their default
    lines.append("export %s=%s" % (name, shell_quote(value)) if value else "unset %s" % name)
write(os.path.join(workdir, "env"), "\n".join(lines) + "\n")
print(info["url"])
EOF
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
