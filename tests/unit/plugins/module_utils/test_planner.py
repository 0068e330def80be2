# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The planner, from a table of cases: no client, no server."""

import pytest

from ansible_collections.xsoar.connector.plugins.module_utils import desired, planner
from ansible_collections.xsoar.connector.plugins.module_utils.planner import Close, Create, Dedupe, Delete, Noop, Update

OPEN = {
    "id": "1",
    "version": 3,
    "name": "U",
    "status": 1,
    "severity": 4,
    "details": "first",
    "created": "2026-11-29T10:00:02Z",
    "playbookId": "pb-1",
    "CustomFields": {"team": "blue", "site": "a"},
    "labels": [
        {"type": "Instance", "value": ""},
        {"type": "Brand", "value": "Manual"},
        {"type": "Source", "value": "ansible"},
    ],
}
OLDER_OPEN = dict(OPEN, id="0", created="2026-11-29T10:00:01Z")
CLOSED = dict(OPEN, id="9", status=2, created="2026-11-29T10:00:03Z")
TASK = {"match_closed": False, "update_existing": False}
UPDATE = dict(TASK, update_existing=True)
DEDUPE = dict(TASK, close_duplicates=True)
# created in the same second as each other: the lower id is the older ("9" sorts after "10" as text)
SAME_TIME_9 = dict(OPEN, id="9")
SAME_TIME_10 = dict(OPEN, id="10")


def item(**options):
    options.setdefault("name", "U")
    return desired.desired_record(options, {})


# (case, item options, matches, task, expected action type, expected details)
CASES = [
    (
        "nothing matches: create with the create-time default severity",
        {},
        [],
        TASK,
        Create,
        {"body": {"name": "U", "severity": 0}},
    ),
    ("severity given: created with it", {"severity": "high"}, [], TASK, Create, {"body": {"name": "U", "severity": 3}}),
    (
        "an open match: nothing to do without update_existing",
        {"severity": "low"},
        [OPEN],
        TASK,
        Noop,
        {"incident": OPEN},
    ),
    (
        "update_existing with only details keeps the severity (the old bug reset it to 0)",
        {"details": "second"},
        [OPEN],
        UPDATE,
        Update,
        {"changes": {"details": "second"}},
    ),
    ("update_existing with no option but the name: no change", {}, [OPEN], UPDATE, Noop, {"incident": OPEN}),
    (
        "update_existing with the same values: no change",
        {"severity": "critical", "details": "first"},
        [OPEN],
        UPDATE,
        Noop,
        {"incident": OPEN},
    ),
    (
        "update_existing with another severity",
        {"severity": "low"},
        [OPEN],
        UPDATE,
        Update,
        {"changes": {"severity": 1}},
    ),
    (
        "the user's labels as they are: the server's Instance/Brand labels are no change",
        {"labels": [{"type": "Source", "value": "ansible"}]},
        [OPEN],
        UPDATE,
        Noop,
        {"incident": OPEN},
    ),
    (
        "a changed label: the server's labels are sent back unchanged beside the user's",
        {"labels": [{"type": "Source", "value": "awx"}]},
        [OPEN],
        UPDATE,
        Update,
        {
            "changes": {
                "labels": [
                    {"type": "Instance", "value": ""},
                    {"type": "Brand", "value": "Manual"},
                    {"type": "Source", "value": "awx"},
                ]
            }
        },
    ),
    (
        "a changed custom field: the merged set goes out",
        {"custom_fields": {"site": "b"}},
        [OPEN],
        UPDATE,
        Update,
        {"changes": {"CustomFields": {"team": "blue", "site": "b"}}},
    ),
    (
        "a custom field already set: no change",
        {"custom_fields": {"team": "blue"}},
        [OPEN],
        UPDATE,
        Noop,
        {"incident": OPEN},
    ),
    (
        "a closed match does not count by default: create",
        {},
        [CLOSED],
        TASK,
        Create,
        {"body": {"name": "U", "severity": 0}},
    ),
    ("match_closed: the closed match counts", {}, [CLOSED], dict(TASK, match_closed=True), Noop, {"incident": CLOSED}),
    (
        "several open matches: the newest open one is the target",
        {"details": "x"},
        [OPEN, OLDER_OPEN],
        UPDATE,
        Update,
        {"incident": OPEN},
    ),
    (
        "closed: every open match, with the item's close options",
        {"state": "closed", "close_reason": "Resolved", "close_notes": "n"},
        [OPEN, OLDER_OPEN, CLOSED],
        TASK,
        Close,
        {"ids": ["1", "0"], "close_reason": "Resolved", "close_notes": "n"},
    ),
    ("closed with nothing open: nothing to do", {"state": "closed"}, [CLOSED], TASK, Noop, {"incident": None}),
    (
        "absent: every match, closed ones included",
        {"state": "absent"},
        [OPEN, CLOSED],
        TASK,
        Delete,
        {"ids": ["1", "9"]},
    ),
    ("absent with nothing: nothing to do", {"state": "absent"}, [], TASK, Noop, {"incident": None}),
    (
        "start_investigation only goes into a create",
        {"start_investigation": True},
        [],
        TASK,
        Create,
        {"body": {"name": "U", "severity": 0, "createInvestigation": True}},
    ),
    ("start_investigation is never an update", {"start_investigation": True}, [OPEN], UPDATE, Noop, {"incident": OPEN}),
]


def kept_and_closed(action):
    """(the kept incident's id, what the dedupe closes) of a Dedupe."""
    return action.action.incident["id"], action.close


# close_duplicates: (case, item options, matches newest first, task, kept id, closed ids, kept action type)
DEDUPE_CASES = [
    (
        "two open: the oldest is kept, the newer closed as a duplicate of it",
        {},
        [OPEN, OLDER_OPEN],
        DEDUPE,
        "0",
        ["1"],
        Noop,
    ),
    ("the order of the matches does not matter", {}, [OLDER_OPEN, OPEN], DEDUPE, "0", ["1"], Noop),
    (
        "the same created time: the lower id is kept, compared as a number (9 < 10)",
        {},
        [SAME_TIME_10, SAME_TIME_9],
        DEDUPE,
        "9",
        ["10"],
        Noop,
    ),
    (
        "a closed match is neither kept nor closed again",
        {},
        [CLOSED, OPEN, OLDER_OPEN],
        dict(DEDUPE, match_closed=True),
        "0",
        ["1"],
        Noop,
    ),
    (
        "with update_existing, the kept one is updated",
        {"details": "second"},
        [OPEN, OLDER_OPEN],
        dict(DEDUPE, update_existing=True),
        "0",
        ["1"],
        Update,
    ),
    (
        "created compared as times: Go trims the fraction's zeros, so .12 is older than .123 though it sorts after it as text",
        {},
        [dict(OPEN, id="3", created="2026-11-29T10:00:00.123Z"), dict(OPEN, id="4", created="2026-11-29T10:00:00.12Z")],
        DEDUPE,
        "4",
        ["3"],
        Noop,
    ),
    (
        "created compared as times: an offset (XSOAR 6 writes local time) is taken into account",
        {},
        [dict(OPEN, id="3", created="2026-11-29T10:30:00Z"), dict(OPEN, id="4", created="2026-11-29T11:00:00+01:00")],
        DEDUPE,
        "4",
        ["3"],
        Noop,
    ),
    (
        "three open: the two newer ones are closed",
        {},
        [dict(OPEN, id="2", created="2026-11-29T10:00:05Z"), OPEN, OLDER_OPEN],
        DEDUPE,
        "0",
        ["2", "1"],
        Noop,
    ),
]


@pytest.mark.parametrize(
    "case, options, matches, task, kept, closed, kind", DEDUPE_CASES, ids=[case[0] for case in DEDUPE_CASES]
)
def test_close_duplicates(case, options, matches, task, kept, closed, kind):
    action = planner.plan(item(**options), matches, task)
    assert isinstance(action, Dedupe)
    kept_id, close = kept_and_closed(action)
    assert isinstance(action.action, kind)
    assert kept_id == kept
    assert close.ids == closed
    assert close.close_reason == "Duplicate"
    assert f"Duplicate of incident {kept} " in close.close_notes
    assert planner.action_name(action) == ("updated" if kind is Update else "deduplicated")


@pytest.mark.parametrize(
    "options, matches, task",
    [
        ({}, [OPEN, OLDER_OPEN], TASK),  # off by default: the newest open one, a warning
        ({}, [OPEN], DEDUPE),  # one open incident is no duplicate
        ({}, [OPEN, CLOSED], dict(DEDUPE, match_closed=True)),  # a closed one of the name is history, not a duplicate
        ({"state": "closed"}, [OPEN, OLDER_OPEN], DEDUPE),  # closing or deleting acts on all of them anyway
        ({"state": "absent"}, [OPEN, OLDER_OPEN], DEDUPE),
    ],
)
def test_no_dedupe(options, matches, task):
    assert not isinstance(planner.plan(item(**options), matches, task), Dedupe)


def test_diff_of_a_dedupe_shows_the_duplicates_closing():
    wanted = item(details="second")
    action = planner.plan(wanted, [OPEN, OLDER_OPEN], dict(DEDUPE, update_existing=True))
    change = planner.diff(action, wanted)
    assert change["before"]["duplicates"] == {"ids": ["1"], "status": [1]}
    assert change["after"]["duplicates"]["status"] == [2]
    assert change["after"]["duplicates"]["closeReason"] == "Duplicate"
    assert (change["before"]["details"], change["after"]["details"]) == ("first", "second")


def test_a_dedupe_resolves_the_playbook_only_for_an_update_of_the_kept_one():
    assert planner.playbook_needed(item(playbook="Phishing"), [OPEN, OLDER_OPEN], DEDUPE) is False
    assert (
        planner.playbook_needed(item(playbook="Phishing"), [OPEN, OLDER_OPEN], dict(DEDUPE, update_existing=True))
        is True
    )


@pytest.mark.parametrize("case, options, matches, task, kind, details", CASES, ids=[case[0] for case in CASES])
def test_plan(case, options, matches, task, kind, details):
    action = planner.plan(item(**options), matches, task)
    assert isinstance(action, kind)
    for field, value in details.items():
        assert getattr(action, field) == value


def test_plan_with_a_resolved_playbook():
    wanted = item(playbook="Phishing")
    assert planner.plan(wanted, [], TASK, "pb-7").body == {"name": "U", "severity": 0, "playbookId": "pb-7"}
    assert planner.plan(wanted, [OPEN], UPDATE, "pb-1") == Noop(OPEN)
    assert planner.plan(wanted, [OPEN], UPDATE, "pb-7").changes == {"playbookId": "pb-7"}


@pytest.mark.parametrize(
    "options, matches, task, needed",
    [
        ({"playbook": "Phishing"}, [], TASK, True),  # a create needs the id
        ({"playbook": "Phishing"}, [OPEN], TASK, False),  # the idempotent re-run searches no playbook
        ({"playbook": "pb-1"}, [OPEN], UPDATE, False),  # the id itself, already attached
        ({"playbook": "Phishing"}, [OPEN], UPDATE, True),  # a name must be resolved to be compared
        ({"playbook": "Phishing", "state": "closed"}, [], TASK, False),
        ({}, [], TASK, False),
    ],
)
def test_playbook_needed(options, matches, task, needed):
    assert planner.playbook_needed(item(**options), matches, task) is needed


def test_diff_of_an_update_shows_only_the_fields_given():
    wanted = item(details="second")
    action = planner.plan(wanted, [OPEN], UPDATE)
    assert planner.diff(action, wanted) == {
        "before": {"name": "U", "details": "first"},
        "after": {"name": "U", "details": "second"},
    }


def test_diff_of_a_create_and_a_close():
    wanted = item(severity="high", start_investigation=True)
    assert planner.diff(planner.plan(wanted, [], TASK), wanted) == {"before": {}, "after": {"name": "U", "severity": 3}}
    closing = item(state="closed", close_reason="Resolved")
    assert planner.diff(planner.plan(closing, [OPEN], TASK), closing) == {
        "before": {"ids": ["1"], "status": [1]},
        "after": {"ids": ["1"], "status": [2], "closeReason": "Resolved"},
    }


def test_labels_listed_by_the_user_with_a_server_type_are_managed():
    wanted = item(labels=[{"type": "Brand", "value": "Manual"}, {"type": "Source", "value": "ansible"}])
    assert planner.plan(wanted, [OPEN], UPDATE) == Noop(OPEN)
