#!/usr/bin/env python
"""Write the settings files of a simulator that scripts/simulator.sh started.

    SIM_WORKDIR=... XSOAR_PROFILE=... python scripts/simulator_env.py

From the simulator's port file (<workdir>/port.json) and the environment scripts/simulator.sh sets
(XSOAR_PROFILE, XSOAR_DEPLOYMENT, SIM_KEY, SIM_KEY_ID, SIM_KEY_TYPE, SIM_WORKDIR, SIM_CONFIG), it writes
<workdir>/integration_config.yml (and the same at SIM_CONFIG unless that is empty) and <workdir>/env,
both readable by their owner only (the API key is in them), and prints the simulator's URL.
The key comes through the environment so that it is on no command line.
"""

import json
import os


def write(path, text):
    tmp = f"{path}.tmp{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


def shell_quote(value):
    return "'" + value.replace("'", "'\"'\"'") + "'"


def main():
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
    # JSON strings are valid YAML scalars
    config = "---\n# written by scripts/simulator.sh; a new key every start\n" + "".join(
        f"{name}: {json.dumps(value)}\n" for name, value in values.items()
    )
    write(os.path.join(workdir, "integration_config.yml"), config)
    if env["SIM_CONFIG"]:
        write(env["SIM_CONFIG"], config)
    exports = {
        "XSOAR_URL": values["xsoar_url"],
        "XSOAR_API_KEY": values["xsoar_api_key"],
        "XSOAR_API_KEY_ID": values["xsoar_api_key_id"],
        "XSOAR_API_KEY_TYPE": values["xsoar_api_key_type"],
        "XSOAR_CA_PATH": values["xsoar_ca_path"],
        "XSOAR_SIMULATOR_URL": values["xsoar_simulator_url"],
    }
    lines = ["# written by scripts/simulator.sh (profile {})".format(values["xsoar_profile"])]
    for name, value in exports.items():
        # an empty value is left unset rather than set to "", so modules use their default
        lines.append(f"export {name}={shell_quote(value)}" if value else f"unset {name}")
    write(os.path.join(workdir, "env"), "\n".join(lines) + "\n")
    print(info["url"])


if __name__ == "__main__":
    main()
