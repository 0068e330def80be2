#!/usr/bin/env python
"""The README's own command lines, for the readme_commands target.

    python readme_commands.py commands README.md     the lines to run, one per line
    python readme_commands.py env CONFIG             export lines for the simulator of CONFIG
    python readme_commands.py reset CONFIG           the simulator forgets earlier targets' incidents

`commands` prints, from the README's ```bash blocks, every line that runs a collection playbook
(ansible-playbook xsoar.connector.*), an ad-hoc command on localhost (ansible localhost ...) or exports
an ANSIBLE_* setting: what a reader copies. Lines that export XSOAR_* are the reader's own server
(placeholders) and are left out; `env` gives the simulator's values instead.
"""

import re
import shlex
import ssl
import sys
import urllib.request

import yaml

RUN = re.compile(r"^(ansible-playbook xsoar\.connector\.|ansible localhost |export ANSIBLE_)")


def commands(readme):
    with open(readme, encoding="utf-8") as handle:
        blocks = re.findall(r"```bash\n(.*?)```", handle.read(), re.S)
    lines = [line.strip() for block in blocks for line in block.splitlines() if RUN.match(line.strip())]
    if not any(line.startswith("ansible-playbook xsoar.connector.create_incident") for line in lines):
        sys.exit(f"readme_commands: no create_incident command in {readme}")
    return lines


def exports(config_path):
    with open(config_path, encoding="utf-8") as handle:
        config = yaml.safe_load(handle)
    return [
        "export XSOAR_{}={}".format(var.upper(), shlex.quote(str(config["xsoar_" + var])))
        for var in ("url", "api_key", "api_key_id", "api_key_type", "ca_path")
        if config.get("xsoar_" + var)
    ]


def reset(config_path):
    with open(config_path, encoding="utf-8") as handle:
        config = yaml.safe_load(handle)
    context = ssl.create_default_context(cafile=config["xsoar_ca_path"]) if config.get("xsoar_ca_path") else None
    request = urllib.request.Request(config["xsoar_simulator_url"] + "/_simulator/reset", data=b"{}", method="POST")
    with urllib.request.urlopen(request, context=context, timeout=30):
        pass


def main(argv):
    if len(argv) != 3 or argv[1] not in ("commands", "env", "reset"):
        sys.exit(__doc__)
    if argv[1] == "reset":
        reset(argv[2])
    else:
        print("\n".join(commands(argv[2]) if argv[1] == "commands" else exports(argv[2])))


if __name__ == "__main__":
    main(sys.argv)
