#!/usr/bin/env python
"""Run the commands and the playbook of docs/quickstart.md against a simulator, as a reader would.

    python tests/awx/quickstart.py --simulator-dir DIR --collections-path DIR --work DIR

scripts/awx-test.sh calls it with the collection installed from the built tarball. The page's own
code blocks run, with the simulator's address in place of https://xsoar.example.com and its key in
the environment (step 2) or in a vars file for `vault_xsoar_api_key` (step 4). Checks: every command
succeeds; the ad-hoc create reports changed once and not again; the playbook in check mode sends no
incident, then creates it, then changes nothing; step 5 closes both incidents; no command prints a
warning (step 2's ANSIBLE_* settings apply).
"""

import argparse
import json
import os
import re
import ssl
import subprocess
import sys
import urllib.request

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PAGE = os.path.join(os.path.dirname(os.path.dirname(HERE)), "docs", "quickstart.md")
EXAMPLE_URL = "https://xsoar.example.com"


def code_blocks(text, language):
    return re.findall(rf"```{language}\n(.*?)```", text, re.S)


def block_with(blocks, marker):
    """The one block that contains marker (the page's steps, found by what they run)."""
    found = [block for block in blocks if marker in block]
    if len(found) != 1:
        raise SystemExit(f"docs/quickstart.md: expected one code block with {marker!r}, found {len(found)}")
    return found[0]


def commands(block):
    """The block's command lines (comments dropped; a `for` loop stays one command)."""
    text = re.sub(r"\s+#[^\n'\"]*$", "", block, flags=re.M)
    if text.lstrip().startswith("for "):
        return [text]
    return [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def stored(simulator):
    context = ssl.create_default_context(cafile=simulator["xsoar_ca_path"]) if simulator["xsoar_ca_path"] else None
    with urllib.request.urlopen(simulator["xsoar_simulator_url"] + "/_simulator/incidents", context=context) as answer:
        return {incident["name"]: incident for incident in json.load(answer)["incidents"]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--simulator-dir", required=True)
    parser.add_argument("--collections-path", required=True)
    parser.add_argument("--work", required=True)
    args = parser.parse_args()
    with open(os.path.join(args.simulator_dir, "integration_config.yml"), encoding="utf-8") as handle:
        simulator = yaml.safe_load(handle)
    with open(PAGE, encoding="utf-8") as handle:
        page = handle.read()
    bash, playbooks = code_blocks(page, "bash"), code_blocks(page, "yaml")
    os.makedirs(args.work, exist_ok=True)
    failures = []

    def check(condition, message):
        print("{}: {}".format("ok" if condition else "FAIL", message))
        if not condition:
            failures.append(message)

    # step 2: the connection in XSOAR_* variables (the page's values are placeholders)
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=os.path.abspath(args.collections_path),
        XSOAR_URL=simulator["xsoar_url"],
        XSOAR_API_KEY=simulator["xsoar_api_key"],
        ANSIBLE_PYTHON_INTERPRETER=sys.executable,
    )
    for name, value in (
        ("XSOAR_API_KEY_ID", "xsoar_api_key_id"),
        ("XSOAR_API_KEY_TYPE", "xsoar_api_key_type"),
        ("XSOAR_CA_PATH", "xsoar_ca_path"),
    ):
        if simulator[value]:
            env[name] = simulator[value]

    # step 2's ANSIBLE_* settings (the page's own lines), for every command after it
    for line in commands(block_with(bash, "export XSOAR_URL=")):
        for assignment in re.findall(r"\b(ANSIBLE_[A-Z_]+=\S+)", line) if line.startswith("export ") else []:
            name, value = assignment.split("=", 1)
            env[name] = value

    outputs = []

    def run(command, environment):
        proc = subprocess.run(
            ["bash", "-c", command],
            env=environment,
            cwd=args.work,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            check=False,
        )
        check(proc.returncode == 0, f"step runs: {command.strip().splitlines()[0]}")
        if proc.returncode:
            print(proc.stdout[-3000:])
        outputs.append(proc.stdout)
        return proc.stdout

    # step 3: ad-hoc commands; the create, run twice, opens one incident
    adhoc = commands(block_with(bash, "-m xsoar.connector.xsoar_connector_test"))
    create = [command for command in adhoc if "-m xsoar.connector.xsoar_incident " in command][0]
    for command in adhoc:
        output = run(command, env)
        if command == create:
            check('"changed": true' in output, "the ad-hoc create creates the incident")
    check('"changed": false' in run(create, env), "the ad-hoc create changes nothing the second time")

    # step 4: the playbook, its key from a vars file (as from Vault) and nothing in XSOAR_API_KEY
    playbook = block_with(playbooks, "module_defaults").replace(EXAMPLE_URL, simulator["xsoar_url"])
    with open(os.path.join(args.work, "first.yml"), "w", encoding="utf-8") as out:
        out.write(playbook)
    with open(os.path.join(args.work, "vault.yml"), "w", encoding="utf-8") as out:
        yaml.safe_dump({"vault_xsoar_api_key": simulator["xsoar_api_key"]}, out)
    playbook_env = {name: value for name, value in env.items() if name not in ("XSOAR_URL", "XSOAR_API_KEY")}
    name = yaml.safe_load(playbook)[0]["tasks"][1]["xsoar.connector.xsoar_incident"]["name"]
    recaps = []
    for command in commands(block_with(bash, "ansible-playbook first.yml")):
        output = run(command + " -e @vault.yml", playbook_env)
        recaps.append(re.findall(r"changed=(\d+)", output))
        if len(recaps) == 1:
            check(name not in stored(simulator), "check mode sends no incident")
    check(
        recaps == [["1"], ["1"], ["0"]],
        f"the playbook: check mode changed, then created, then nothing changed ({recaps})",
    )
    check(name in stored(simulator), f"the playbook's incident {name!r} exists")

    # step 5: close them
    run(block_with(bash, "state=closed"), env)
    statuses = {incident_name: incident.get("status") for incident_name, incident in stored(simulator).items()}
    check(statuses and set(statuses.values()) == {2}, f"step 5 closed every incident the page opened: {statuses}")
    check(not any(simulator["xsoar_api_key"] in output for output in outputs), "no output shows the key")
    check(not any("[WARNING]" in output for output in outputs), "no command prints a warning (the implicit localhost)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
