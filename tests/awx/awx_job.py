#!/usr/bin/env python
"""Run tests/awx/project/open_incident.yml the way AWX runs a job template, against a simulator.

    python tests/awx/awx_job.py --simulator-dir DIR --collection-tarball TGZ --work DIR

scripts/awx-test.sh calls it once per simulator profile (scripts/simulator.sh start ... DIR). It:
  1. checks extensions/awx/credential_type.yml as AWX does when the type is saved (every injector
     template renders with every field set; required fields exist);
  2. builds a private data dir as AWX does: project/ (the playbook, and collections/requirements.yml
     naming the built tarball, installed into requirements_collections/ as a project update does),
     inventory/, env/extravars (the survey answers) and env/envvars: the credential's injectors
     rendered from the file with the simulator's values, with AWX's rules (fields left empty are
     undefined, a missing boolean is False, file injectors become files in env/);
  3. runs `ansible-runner run` twice and checks: status successful and rc 0, the first run creates
     the incident and reports changed, the second finds it and changes nothing, the simulator holds
     exactly one incident of that name;
  4. checks that the API key is nowhere in the private data dir but in the two files that hold the
     job's process environment by design (see KEY_HOLDERS);
  5. runs tests/awx/callback_project/failing_job.yml twice, with the failure_incident callback enabled
     only by that project's ansible.cfg and the same credential: the job fails as it would without the
     callback (status failed, rc 2), one incident names the failed task and host, the second run opens
     no other, the callback printed no warning, and the key is in no output or artifact.
Exit status 0 when every check passed; each failure is printed.
"""

import argparse
import glob
import json
import os
import shutil
import ssl
import stat
import subprocess
import sys
import tempfile
import urllib.request

import yaml
from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CREDENTIAL_TYPE = os.path.join(ROOT, "extensions", "awx", "credential_type.yml")
PLAYBOOK = "open_incident.yml"
CALLBACK_PROJECT = os.path.join(HERE, "callback_project")
CALLBACK_PLAYBOOK = "failing_job.yml"
CALLBACK_INCIDENT = "Ansible failure: AWX job with the callback / Restart the payment service on localhost"

# ansible-runner writes the job's environment, key included, to exactly these files. AWX does the
# same: its control node writes env/envvars into the job's private data dir and the runner writes
# artifacts/<ident>/command, both mode 0600 in a per-job directory that AWX deletes after the job.
# Neither reaches the job output, the events AWX stores or the UI; everything else must not hold it.
KEY_HOLDERS = ("env/envvars", "artifacts/*/command")


class TowerNamespace:  # pylint: disable=too-few-public-methods
    """The `tower` object AWX gives injector templates (tower.filename.<label>)."""


def check_credential_type(credential_type):
    """What AWX refuses when the credential type is saved: undefined names, unknown required fields."""
    fields = credential_type["inputs"]["fields"]
    ids = [field["id"] for field in fields]
    problems = [
        f"required field {name!r} is not in inputs.fields"
        for name in credential_type["inputs"].get("required", [])
        if name not in ids
    ]
    namespace = {field["id"]: (True if field.get("type") == "boolean" else "EXAMPLE") for field in fields}
    tower = TowerNamespace()
    tower.filename = TowerNamespace()
    for label in credential_type["injectors"].get("file", {}):
        setattr(tower.filename, label.partition(".")[2], "/tmp/example")
    namespace["tower"] = tower
    strict = ImmutableSandboxedEnvironment(undefined=StrictUndefined)
    for kind in ("file", "env", "extra_vars"):
        for name, template in credential_type["injectors"].get(kind, {}).items():
            try:
                strict.from_string(template).render(**namespace)
            except Exception as error:  # pylint: disable=broad-exception-caught
                problems.append(f"injectors.{kind}.{name} does not render: {error}")
    return problems


def render_injectors(credential_type, inputs, private_data_dir):
    """The environment AWX gives a job for a credential of this type with these inputs."""
    namespace = {}
    for field in credential_type["inputs"]["fields"]:
        value = inputs.get(field["id"])
        if field.get("type") == "boolean":
            namespace[field["id"]] = bool(value)  # AWX: a boolean the credential lacks is False
        elif value:
            namespace[field["id"]] = value  # AWX leaves empty strings undefined ("" when rendered)
    sandbox = ImmutableSandboxedEnvironment()
    tower = TowerNamespace()
    tower.filename = TowerNamespace()
    env_dir = os.path.join(private_data_dir, "env")
    os.makedirs(env_dir, exist_ok=True)
    for label, template in credential_type["injectors"].get("file", {}).items():
        handle, path = tempfile.mkstemp(dir=env_dir)
        with os.fdopen(handle, "w") as out:
            out.write(sandbox.from_string(template).render(tower=tower, **namespace))
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
        setattr(tower.filename, label.partition(".")[2], path)
    return {
        name: sandbox.from_string(template).render(tower=tower, **namespace)
        for name, template in credential_type["injectors"].get("env", {}).items()
    }


def credential_inputs(simulator):
    """What an administrator types into the credential for this XSOAR: only the fields it needs."""
    inputs = {"url": simulator["xsoar_url"], "api_key": simulator["xsoar_api_key"]}
    if simulator["xsoar_api_key_id"]:
        inputs["api_key_id"] = simulator["xsoar_api_key_id"]
    if simulator["xsoar_api_key_type"] != "standard":
        inputs["api_key_type"] = simulator["xsoar_api_key_type"]
    if simulator["xsoar_ca_path"]:
        with open(simulator["xsoar_ca_path"], encoding="utf-8") as pem:
            inputs["ca_cert"] = pem.read()
    return inputs


def build_private_data_dir(private_data_dir, tarball, job_env, extravars, project_files=None):
    """project/, inventory/, env/ and the project's collections, laid out as AWX lays them out.

    project_files: the paths copied into project/ (default: the job template playbook).
    """
    project = os.path.join(private_data_dir, "project")
    os.makedirs(os.path.join(project, "collections"))
    for path in project_files or [os.path.join(HERE, "project", PLAYBOOK)]:
        shutil.copy(path, project)
    requirements = os.path.join(project, "collections", "requirements.yml")
    with open(requirements, "w", encoding="utf-8") as out:
        yaml.safe_dump({"collections": [{"name": tarball, "type": "file"}]}, out)
    collections = os.path.join(private_data_dir, "requirements_collections")
    subprocess.run(
        ["ansible-galaxy", "collection", "install", "-r", requirements, "-p", collections],
        check=True,
        stdout=subprocess.DEVNULL,
        env=dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections),
    )
    os.makedirs(os.path.join(private_data_dir, "inventory"))
    with open(os.path.join(private_data_dir, "inventory", "hosts"), "w", encoding="utf-8") as out:
        out.write(f"localhost ansible_connection=local ansible_python_interpreter={sys.executable}\n")
    # only the installed tarball: never a checkout or ~/.ansible/collections
    job_env = dict(job_env, ANSIBLE_COLLECTIONS_PATH=collections)
    for name, data in (("envvars", job_env), ("extravars", extravars)):
        path = os.path.join(private_data_dir, "env", name)
        with open(path, "w", encoding="utf-8") as out:
            json.dump(data, out)
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)


def run_job(private_data_dir, ident, playbook=PLAYBOOK):
    """`ansible-runner run` as AWX's worker does (without a container); returns status, rc, events."""
    proc = subprocess.run(
        ["ansible-runner", "run", private_data_dir, "-p", playbook, "--ident", ident],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    artifacts = os.path.join(private_data_dir, "artifacts", ident)
    with open(os.path.join(artifacts, "status"), encoding="utf-8") as handle:
        status = handle.read().strip()
    with open(os.path.join(artifacts, "rc"), encoding="utf-8") as handle:
        rc = int(handle.read().strip())
    events = []
    for path in glob.glob(os.path.join(artifacts, "job_events", "*.json")):
        with open(path, encoding="utf-8") as handle:
            events.append(json.load(handle))
    events.sort(key=lambda event: event["counter"])
    return proc.stdout, status, rc, events


def incident_results(events):
    """The per-incident results of the role's xsoar_incident task, from the job's events."""
    results = []
    for event in events:
        data = event.get("event_data", {})
        if event["event"] == "runner_on_ok" and data.get("resolved_action") == "xsoar.connector.xsoar_incident":
            results.extend(data["res"]["incidents"])  # the role runs one bulk task
    return results


def stored_incidents(simulator):
    """What the simulator holds, read through its control API."""
    context = ssl.create_default_context(cafile=simulator["xsoar_ca_path"]) if simulator["xsoar_ca_path"] else None
    with urllib.request.urlopen(simulator["xsoar_simulator_url"] + "/_simulator/incidents", context=context) as answer:
        return json.load(answer)["incidents"]


def files_holding(directory, text):
    """Paths (relative to directory) of the files that contain text."""
    found = []
    for base, _dirs, files in os.walk(directory):
        for name in files:
            path = os.path.join(base, name)
            with open(path, "rb") as handle:
                if text.encode() in handle.read():
                    found.append(os.path.relpath(path, directory))
    return sorted(found)


def callback_job(simulator, credential_type, tarball, work, check):
    """The failure_incident callback in a failing job: enabled by the project's ansible.cfg alone."""
    private_data_dir = os.path.join(work, "private_data_dir_callback")
    build_private_data_dir(
        private_data_dir,
        tarball,
        render_injectors(credential_type, credential_inputs(simulator), private_data_dir),
        {},
        [os.path.join(CALLBACK_PROJECT, name) for name in (CALLBACK_PLAYBOOK, "ansible.cfg")],
    )
    for ident in ("callback_first", "callback_second"):
        output, status, rc, events = run_job(private_data_dir, ident, CALLBACK_PLAYBOOK)
        check(
            status == "failed" and rc == 2,
            f"job {ident}: the failed task fails the job as without the callback (status {status}, rc {rc})",
        )
        warned = [line for line in output.splitlines() if "xsoar.connector.failure_incident:" in line]
        check(not warned, "job {}: the callback warned of nothing ({})".format(ident, warned or "none"))
    named = [incident for incident in stored_incidents(simulator) if incident["name"] == CALLBACK_INCIDENT]
    check(
        len(named) == 1 and "\nError: payment service did not start" in named[0].get("details", ""),
        f"the callback opened one incident {CALLBACK_INCIDENT!r} for the failed task, in two runs (found {len(named)})",
    )
    leaks = [
        path for path in files_holding(private_data_dir, simulator["xsoar_api_key"]) if not matches_key_holder(path)
    ]
    check(not leaks, f"callback job: the API key is in no job output, event or artifact (found in: {leaks or 'none'})")


def matches_key_holder(path):
    parts = path.split(os.sep)
    return any(
        len(parts) == len(holder.split("/"))
        and all(pattern in ("*", part) for pattern, part in zip(holder.split("/"), parts))
        for holder in KEY_HOLDERS
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--simulator-dir", required=True, help="the workdir of scripts/simulator.sh start")
    parser.add_argument("--collection-tarball", required=True)
    parser.add_argument("--work", required=True, help="an empty directory for the private data dir")
    args = parser.parse_args()

    with open(os.path.join(args.simulator_dir, "integration_config.yml"), encoding="utf-8") as handle:
        simulator = yaml.safe_load(handle)
    with open(CREDENTIAL_TYPE, encoding="utf-8") as handle:
        credential_type = yaml.safe_load(handle)
    failures = ["credential type: " + problem for problem in check_credential_type(credential_type)]

    private_data_dir = os.path.join(os.path.abspath(args.work), "private_data_dir")
    job_env = render_injectors(credential_type, credential_inputs(simulator), private_data_dir)
    shown = {name: ("<the key>" if value == simulator["xsoar_api_key"] else value) for name, value in job_env.items()}
    print(f"credential injects: {json.dumps(shown, sort_keys=True)}")
    incident_name = "AWX job: disk full on db1 ({})".format(simulator["xsoar_profile"])
    build_private_data_dir(
        private_data_dir,
        os.path.abspath(args.collection_tarball),
        job_env,
        {"incident_name": incident_name, "incident_severity": "high"},
    )

    def check(condition, message):
        print("{}: {}".format("ok" if condition else "FAIL", message))
        if not condition:
            failures.append(message)

    expected_actions = {"first": "created", "second": "none"}
    for ident, action in expected_actions.items():
        output, status, rc, events = run_job(private_data_dir, ident)
        if status != "successful":
            print(output)
        check(status == "successful" and rc == 0, f"job {ident}: status {status}, rc {rc}")
        actions = [result.get("action") for result in incident_results(events)]
        check(actions == [action], f"job {ident}: the role reports {action} (got {actions})")
        stats = [event["event_data"] for event in events if event["event"] == "playbook_on_stats"]
        changed = bool(stats and stats[0].get("changed"))
        check(stats and changed == (action == "created"), f"job {ident}: changed is {changed}")

    named = [incident for incident in stored_incidents(simulator) if incident["name"] == incident_name]
    check(
        len(named) == 1 and named[0]["severity"] == 3,
        "the simulator holds one incident {!r} of severity high: {}".format(
            incident_name, [(incident["id"], incident["severity"]) for incident in named]
        ),
    )

    holders = files_holding(private_data_dir, simulator["xsoar_api_key"])
    leaks = [path for path in holders if not matches_key_holder(path)]
    check(not leaks, f"the API key is in no job output, event or artifact (found in: {leaks or 'none'})")
    # The check above is only as good as the key it looks for: it must be in the expected files.
    check(
        "env/envvars" in holders
        and sum(matches_key_holder(path) and path.startswith("artifacts") for path in holders) == len(expected_actions),
        "the key is where the job environment is kept ({}): {}".format(", ".join(KEY_HOLDERS), holders),
    )
    open_to_others = [
        path
        for path in holders
        if os.stat(os.path.join(private_data_dir, path)).st_mode & (stat.S_IRWXG | stat.S_IRWXO)
    ]
    check(
        not open_to_others,
        f"the files holding the key are readable by their owner only (not: {open_to_others or 'none'})",
    )

    if simulator["xsoar_ca_path"]:
        # "Skip TLS certificate verification" ticked and no CA: the role must not override the
        # XSOAR_VALIDATE_CERTS=False the credential injects (the server's certificate is self-signed)
        inputs = dict(credential_inputs(simulator), skip_tls_verify=True)
        del inputs["ca_cert"]
        skip_dir = os.path.join(os.path.abspath(args.work), "private_data_dir_skip_tls")
        build_private_data_dir(
            skip_dir,
            os.path.abspath(args.collection_tarball),
            render_injectors(credential_type, inputs, skip_dir),
            {"incident_name": incident_name, "incident_severity": "high"},
        )
        output, status, rc, events = run_job(skip_dir, "skip_tls")
        if status != "successful":
            print(output)
        actions = [result.get("action") for result in incident_results(events)]
        check(
            status == "successful" and actions == ["none"],
            f"job skip_tls (certificate checks off, no CA): status {status}, actions {actions}",
        )

    callback_job(
        simulator, credential_type, os.path.abspath(args.collection_tarball), os.path.abspath(args.work), check
    )

    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
