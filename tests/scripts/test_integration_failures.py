"""scripts/checks/integration_failures.py: the summary CI shows of a failed integration run."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "checks"))

import integration_failures  # noqa: E402 (found through the path above)

ROLE_TARGET_PASSES = """\
Running xsoar_playbook_info integration test role

TASK [xsoar_playbook_info : An empty name is refused] **************************
fatal: [testhost]: FAILED! => {"changed": false, "msg": "name is empty"}
...ignoring

PLAY RECAP *********************************************************************
testhost                   : ok=20   changed=0    unreachable=0    failed=0
"""

ROLE_TARGET_FAILS = """\
Running xsoar_incident_bulk integration test role

TASK [xsoar_incident_bulk : Rescued on purpose] ********************************
fatal: [testhost]: FAILED! => {"changed": false, "msg": "the rescued one"}

TASK [xsoar_incident_bulk : Failures are reported per item] ********************
fatal: [testhost]: FAILED! => {
    "assertion": "stopped.incidents | length == 2",
    "msg": "Assertion failed"
}

PLAY RECAP *********************************************************************
testhost                   : ok=21   changed=5    unreachable=0    failed=1

ERROR: Command "ansible-playbook xsoar_incident_bulk-v0xdh7o9.yml -i inventory" returned exit status 2.
"""

SCRIPT_TARGET_FAILS = """\
Running callback_failure_incident integration test script
+ run stage item-fails
TASK [Restart the payment service] *********************************************
fatal: [host01]: FAILED! => {"changed": false, "msg": "payment service on host01 did not start"}
FAIL: item-fails: no warning with '4 not attempted'
ERROR: Command "./runme.sh" returned exit status 1.
"""

CLOSING = """\
FATAL: The 2 integration test(s) listed below (out of 16) failed. See error output above for details:
callback_failure_incident
xsoar_incident_bulk
"""


def test_a_passing_run_has_no_failed_target():
    text = integration_failures.summary("run", ROLE_TARGET_PASSES)
    lines = text.splitlines()
    assert lines[0] == integration_failures.BEGIN_MARK + " run"
    assert lines[-1] == integration_failures.END_MARK
    assert "no failed target found" in text
    assert "name is empty" not in text


def test_each_failed_target_with_its_last_failure_and_the_closing_error():
    text = integration_failures.summary("run", ROLE_TARGET_PASSES + SCRIPT_TARGET_FAILS + ROLE_TARGET_FAILS + CLOSING)
    assert "--- callback_failure_incident: the end of its output" in text
    assert "FAIL: item-fails: no warning with '4 not attempted'" in text
    assert "--- xsoar_incident_bulk: the end of its output" in text
    assert '"assertion": "stopped.incidents | length == 2",' in text
    assert text.index("callback_failure_incident: the end") < text.index("xsoar_incident_bulk: the end")
    assert "FATAL: The 2 integration test(s)" in text
    # the passing target, and what was ignored, are left out
    assert "xsoar_playbook_info" not in text
    assert "name is empty" not in text


def test_the_last_failure_is_shown_when_the_output_after_it_is_long():
    padding = "".join(f"TASK [step {number}] ***\nok: [testhost]\n" for number in range(40))
    failing = ROLE_TARGET_FAILS.replace("PLAY RECAP", padding + "PLAY RECAP")
    text = integration_failures.summary("run", failing)
    assert "--- xsoar_incident_bulk: the last failed task" in text
    assert "TASK [xsoar_incident_bulk : Failures are reported per item]" in text
    # a failure that came before the last one is not it
    assert "the rescued one" not in text


def test_without_a_closing_error_the_failed_commands_name_the_targets():
    text = integration_failures.summary("run", ROLE_TARGET_PASSES + ROLE_TARGET_FAILS)
    assert "--- xsoar_incident_bulk: the end of its output" in text
    assert "xsoar_playbook_info" not in text


def test_long_lines_are_cut():
    failing = ROLE_TARGET_FAILS.replace('"Assertion failed"', '"' + "x" * 5000 + '"')
    text = integration_failures.summary("run", failing)
    assert max(len(line) for line in text.splitlines()) <= integration_failures.LINE_WIDTH
