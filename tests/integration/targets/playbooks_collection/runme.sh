#!/usr/bin/env bash
# The collection playbooks run by their FQCN, as AWX runs a job template: ansible-playbook
# xsoar.connector.<name> with extra vars, no inventory (the implicit localhost).
set -eux
# ansible-test hands script targets no vars: read the simulator settings it copied two levels up.
config=../../integration_config.yml
python=${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}
ansible-playbook -e @$config reset.yml "$@"

# The connection from the environment, as an AWX credential of the collection's type injects it
# (no trace from here on: the key must not show in the output).
set +x
eval "$("$python" - "$config" <<'PY'
import shlex, sys, yaml
config = yaml.safe_load(open(sys.argv[1]))
for var in ("url", "api_key", "api_key_id", "api_key_type", "ca_path"):
    if config.get("xsoar_" + var):
        print("export XSOAR_%s=%s" % (var.upper(), shlex.quote(str(config["xsoar_" + var]))))
PY
)"

create() { ansible-playbook xsoar.connector.create_incident "$@"; }
create -e 'incident_name="Playbook: disk full on db1"' -e incident_severity=High \
    -e 'incident_playbook="Phishing - Generic v3"' -e incident_start_investigation=yes \
    -e 'incident_details="98% used on /var"' | tee run1.log
grep -q 'created: incident [0-9]*, Playbook: disk full on db1' run1.log
create -e 'incident_name="Playbook: disk full on db1"' -e incident_severity=High | tee run2.log
grep -q 'none: incident [0-9]*, Playbook: disk full on db1' run2.log
grep -q 'changed=0' run2.log

# The survey's own defaults plus the one required answer, as AWX would send them.
# The collection's survey file: from the collection ansible-playbook finds (ansible-test installs it).
"$python" - > survey-answers.json <<'PY'
import json, os
roots = os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(os.pathsep) + ["../../../../.."]
files = [os.path.join(root, "ansible_collections/xsoar/connector/extensions/awx/survey_create_incident.json")
         for root in roots if root]
spec = json.load(open(next(path for path in files if os.path.exists(path))))["spec"]
answers = dict((question["variable"], question.get("default", "")) for question in spec)
answers["incident_name"] = "Survey: certificate expires"
print(json.dumps(answers))
PY
create -e @survey-answers.json

# Bad input: a clear message, nothing sent.
if create -e 'incident_name=" "' > bad.log 2>&1; then
    echo "create_incident without a name should fail"; exit 1
fi
grep -q 'incident_name is required' bad.log

ansible-playbook xsoar.connector.list_playbooks -e playbook_filter=phishing | tee list.log
grep -q 'Phishing - Generic v3' list.log

# The connection from xsoar_* extra vars instead (the environment emptied).
unset XSOAR_URL XSOAR_API_KEY XSOAR_API_KEY_ID XSOAR_API_KEY_TYPE XSOAR_CA_PATH
ansible-playbook xsoar.connector.close_incident -e @$config -e 'incident_name="Playbook: disk full on db1"' \
    -e 'incident_close_notes="Disk cleaned"' | tee close.log
grep -q 'closed: 1 open incident(s) named Playbook: disk full on db1' close.log

ansible-playbook -e @$config check.yml "$@"
