# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The event source's bookkeeping: which incidents of a newest-first read are events."""

import pytest

from ansible_collections.xsoar.connector.plugins.module_utils.client import parse_http_date
from ansible_collections.xsoar.connector.plugins.module_utils.incident_poller import (
    Tracker,
    parse_time,
    poll,
)

T0 = "2026-12-01T10:00:00Z"


def at(seconds):
    """An RFC 3339 time `seconds` after T0, with nanoseconds as Go servers write them."""
    minutes, second = divmod(seconds, 60)
    return f"2026-12-01T10:{minutes:02d}:{second:02d}.123456789Z"


def incident(ident, created, modified=None, version=1):
    return {
        "id": str(ident),
        "created": at(created),
        "modified": at(modified if modified is not None else created),
        "version": version,
    }


def newest_first(*incidents):
    return sorted(incidents, key=lambda item: item["created"], reverse=True)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-12-01T10:00:00Z", 1796119200.0),
        ("2026-12-01T10:00:00.5Z", 1796119200.5),
        ("2026-12-01T10:00:00.123456789Z", 1796119200.123456789),
        ("2026-12-01T12:00:00+02:00", 1796119200.0),
        ("2026-12-01T09:30:00-00:30", 1796119200.0),
        ("0001-01-01T00:00:00Z", None),  # XSOAR's "never"
        ("", None),
        (None, None),
        ("yesterday", None),
    ],
)
def test_parse_time(text, expected):
    result = parse_time(text)
    assert result == pytest.approx(expected) if expected is not None else result is None


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Tue, 01 Dec 2026 10:00:00 GMT", 1796119200.0),
        ("Tue, 01 Dec 2026 12:00:00 +0200", 1796119200.0),
        ("", None),
        (None, None),
        ("soon", None),
    ],
)
def test_parse_http_date(text, expected):
    assert parse_http_date(text) == expected


def ids(events):
    return [event["incident"]["id"] for event in events]


def test_starts_from_now_then_each_new_incident_once():
    tracker = Tracker(lookback=60)
    assert tracker.select(newest_first(incident(1, 0), incident(2, 5))) == []  # what exists at start
    events = tracker.select(newest_first(incident(1, 0), incident(2, 5), incident(3, 10), incident(4, 12)))
    assert ids(events) == ["3", "4"] and [event["event"] for event in events] == ["new", "new"]
    assert tracker.select(newest_first(incident(2, 5), incident(3, 10), incident(4, 12))) == []


def test_created_before_the_start_and_indexed_after_it_is_no_event():
    """The server's index lags: incidents 1 and 2 existed at start, but only 1 was searchable yet."""
    tracker = Tracker(lookback=60)
    assert tracker.select([incident(1, 0)], server_now=parse_time(at(10))) == []
    assert ids(tracker.select(newest_first(incident(1, 0), incident(2, 8), incident(3, 11)))) == ["3"]
    # without the server's clock the first read's newest time is the start: 2 would have been an event
    tracker = Tracker(lookback=60)
    assert tracker.select([incident(1, 0)]) == []
    assert ids(tracker.select(newest_first(incident(1, 0), incident(2, 8), incident(3, 11)))) == ["2", "3"]


def test_modified_mode_ignores_changes_made_before_the_start():
    tracker = Tracker(lookback=60, modified=True)
    assert tracker.select([], server_now=parse_time(at(10))) == []
    late = incident(1, 0, modified=5, version=2)  # changed before the start, indexed after it
    changed = incident(2, 0, modified=12, version=3)  # created before the start, changed after it
    events = tracker.select([changed, late])
    assert [(event["incident"]["id"], event["event"]) for event in events] == [("2", "modified")]


def test_replay_ignores_the_start():
    tracker = Tracker(lookback=60, replay=True)
    assert ids(tracker.select([incident(1, 0)], server_now=parse_time(at(10)))) == ["1"]
    assert ids(tracker.select(newest_first(incident(1, 0), incident(2, 8)))) == ["2"]


def test_replay_delivers_what_exists_at_start():
    tracker = Tracker(lookback=60, replay=True)
    assert ids(tracker.select(newest_first(incident(1, 0), incident(2, 5)))) == ["1", "2"]
    assert tracker.select(newest_first(incident(1, 0), incident(2, 5))) == []


def test_late_indexed_within_the_window_once_beyond_it_never():
    tracker = Tracker(lookback=60)
    tracker.select([])
    assert ids(tracker.select([incident(2, 100)])) == ["2"]
    # created at 50, searchable only now: within 60 s of the newest seen (100)
    assert ids(tracker.select(newest_first(incident(1, 50), incident(2, 100)))) == ["1"]
    assert tracker.select(newest_first(incident(1, 50), incident(2, 100))) == []
    # created at 30: more than lookback behind the newest, so outside the window
    assert tracker.select(newest_first(incident(0, 30), incident(1, 50), incident(2, 100))) == []


def test_memory_holds_only_the_window():
    tracker = Tracker(lookback=10)
    tracker.select([])
    for second in range(0, 600, 2):
        tracker.select([incident(second, second)])
    # the window is inclusive: 598 - 10 = 588 is still in it
    assert sorted(tracker.known, key=int) == [str(second) for second in range(588, 600, 2)]


def test_modified_mode_new_then_each_change_once():
    tracker = Tracker(lookback=60, modified=True)
    assert tracker.field == "modified"
    tracker.select([incident(1, 0)])
    assert tracker.select([incident(1, 0, modified=0)]) == []
    events = tracker.select([incident(1, 0, modified=20, version=2), incident(2, 15)])
    assert [(event["incident"]["id"], event["event"]) for event in events] == [("2", "new"), ("1", "modified")]
    assert tracker.select([incident(1, 0, modified=20, version=2)]) == []
    # a stale copy (lower version) is not a change
    assert tracker.select([incident(1, 0, modified=20, version=1)]) == []


def test_modified_long_after_creation_is_a_modification():
    tracker = Tracker(lookback=60, modified=True)
    tracker.select([incident(1, 0)])
    tracker.select([incident(2, 500)])  # the window moves on: incident 1 is forgotten
    assert "1" not in tracker.known
    events = tracker.select([incident(1, 0, modified=510, version=5)])
    assert [(event["incident"]["id"], event["event"]) for event in events] == [("1", "modified")]


def test_incidents_without_a_usable_time_are_delivered_once():
    tracker = Tracker(lookback=60)
    tracker.select([incident(1, 0)])
    odd = {"id": "9", "created": "not a time"}
    assert ids(tracker.select([odd, incident(1, 0)])) == ["9"]
    assert tracker.select([odd, incident(1, 0)]) == []


@pytest.mark.parametrize(
    "read, total, limit, first, replay, covered",
    [
        ([incident(1, 0)], 1, 100, True, False, True),  # all that matches
        ([incident(i, 100 - i) for i in range(10)], 50, 10, True, True, False),  # replay wants everything
        ([incident(i, 100 - i) for i in range(10)], 50, 10, True, False, False),  # all 10 within 60 s
        ([incident(i, 100 - 10 * i) for i in range(10)], 50, 10, True, False, True),  # reaches past the window
    ],
)
def test_covered(read, total, limit, first, replay, covered):
    tracker = Tracker(lookback=60, replay=replay)
    tracker.first = first
    assert tracker.covered(read, total, limit) is covered


class FakeClient:
    """Answers searches from a list, as the server pages (newest first, page * size)."""

    def __init__(self, incidents):
        self.incidents = newest_first(*incidents)
        self.sizes = []
        self.last_answer_date = None
        self.answer_date = "Tue, 01 Dec 2026 10:01:40 GMT"  # T0 + 100 s

    def post(self, path, body):
        flt = body["filter"]
        self.sizes.append(flt["size"])
        page = self.incidents[flt["page"] * flt["size"] : (flt["page"] + 1) * flt["size"]]

        self.last_answer_date = self.answer_date

        class Answer:
            json = {"total": len(self.incidents), "data": page or None}

        return Answer()


def test_poll_reads_wider_until_the_window_is_covered():
    tracker = Tracker(lookback=60)
    tracker.select([incident(0, 0)])
    burst = [incident(i, 100 + i) for i in range(1, 26)]
    client = FakeClient([incident(0, 0)] + burst)
    events = poll(client, tracker, page_size=10)
    assert sorted(ids(events), key=int) == [str(i) for i in range(1, 26)]
    assert client.sizes == [10, 20, 40]


def test_poll_takes_the_start_from_the_servers_date_header():
    client = FakeClient([incident(1, 0), incident(2, 99)])
    tracker = Tracker(lookback=300)
    assert poll(client, tracker) == []
    assert tracker.started == parse_time("2026-12-01T10:01:40Z")
    client.incidents = newest_first(incident(1, 0), incident(2, 99), incident(3, 50), incident(4, 101))
    assert ids(poll(client, tracker)) == ["4"]  # 3 was created before the start


TOMORROW = "2026-12-02T10:00:00Z"  # a day after T0: an incident dated in the future


def future_incident(ident):
    return {"id": str(ident), "created": TOMORROW, "modified": TOMORROW, "version": 1}


def test_an_incident_dated_in_the_future_stops_nothing():
    """One incident dated tomorrow must not move the window past every incident made today."""
    tracker = Tracker(lookback=60)
    assert tracker.select([incident(1, 0)], server_now=parse_time(at(10))) == []
    read = [future_incident("f"), incident(2, 20), incident(1, 0)]
    assert ids(tracker.select(read, server_now=parse_time(at(25)))) == ["2", "f"]
    read = [future_incident("f"), incident(4, 95), incident(3, 90), incident(2, 20)]
    assert ids(tracker.select(read, server_now=parse_time(at(100)))) == ["3", "4"]
    assert tracker.select(read, server_now=parse_time(at(105))) == []
    # the window follows the server's clock, not the incident of tomorrow: 2 (at 20) is forgotten
    assert sorted(tracker.known) == ["3", "4", "f"]


def test_an_incident_dated_in_the_future_at_start_stops_nothing():
    tracker = Tracker(lookback=60)
    assert tracker.select([future_incident("f"), incident(1, 0)], server_now=parse_time(at(10))) == []
    read = [future_incident("f"), incident(2, 20), incident(1, 0)]
    assert ids(tracker.select(read, server_now=parse_time(at(25)))) == ["2"]


def test_without_a_date_header_the_local_clock_caps_the_window():
    tracker = Tracker(lookback=60)
    assert tracker.select([incident(1, 0)], local_now=parse_time(at(10))) == []
    read = [future_incident("f"), incident(2, 20), incident(1, 0)]
    assert ids(tracker.select(read, local_now=parse_time(at(25)))) == ["2", "f"]


def test_a_date_header_ahead_of_the_incidents_loses_nothing():
    """A front end whose clock is 10 minutes ahead of the server that stamps `created`.

    The start is the earlier of the server's Date and the local clock: a wrong clock on one side can
    only make the start earlier (an incident made just before it may come), never lose later ones.
    """
    client = FakeClient([incident(1, 0), incident(2, 99)])
    client.answer_date = "Tue, 01 Dec 2026 10:11:40 GMT"  # T0 + 700 s; the incidents say T0 + 100 s
    tracker = Tracker(lookback=300)
    assert poll(client, tracker, clock=lambda: parse_time(at(100))) == []
    client.incidents = newest_first(incident(1, 0), incident(2, 99), incident(3, 105), incident(4, 160))
    assert ids(poll(client, tracker, clock=lambda: parse_time(at(165)))) == ["3", "4"]


def test_a_local_clock_ahead_changes_nothing():
    client = FakeClient([incident(1, 0), incident(2, 99)])
    tracker = Tracker(lookback=300)
    assert poll(client, tracker, clock=lambda: parse_time(at(3000))) == []
    client.incidents = newest_first(incident(1, 0), incident(2, 99), incident(3, 50), incident(4, 101))
    assert ids(poll(client, tracker, clock=lambda: parse_time(at(3000)))) == ["4"]


def test_modified_mode_delivers_a_new_xsoar8_incident_never_modified():
    """XSOAR 8's new incidents have version 0 and modified 1970-01-01 until their first change (Kibana's
    recorded create answer, xsoar.test.ts): the epoch means "never modified", so `created` counts."""
    tracker = Tracker(lookback=60, modified=True)
    assert tracker.select([incident(1, 0)]) == []
    fresh = dict(incident(2, 15, version=0), modified="1970-01-01T00:00:00Z")
    events = tracker.select([incident(1, 0), fresh])
    assert [(event["incident"]["id"], event["event"]) for event in events] == [("2", "new")]
    changed = dict(fresh, modified=at(20), version=1)
    events = tracker.select([changed, incident(1, 0)])
    assert [(event["incident"]["id"], event["event"]) for event in events] == [("2", "modified")]


class SortingClient(FakeClient):
    """Sorts by the field the search asks for, as the server does; a never-modified XSOAR 8 incident
    (modified 1970-01-01) sorts last by modified."""

    def __init__(self, incidents):
        super().__init__(incidents)
        self.stored = list(incidents)
        self.fields = []

    def post(self, path, body):
        field = body["filter"]["sort"][0]["field"]
        self.fields.append(field)
        self.incidents = sorted(self.stored, key=lambda item: parse_time(item[field]) or 0, reverse=True)
        return super().post(path, body)


def test_modified_mode_finds_a_new_incident_behind_a_page_of_changed_ones():
    """By `modified`, XSOAR 8's new incidents (modified 1970-01-01 until their first change) sort after
    every changed one: a tenant with more open incidents than a page never showed them in that read."""
    changed = [incident(i, 0, modified=10, version=2) for i in range(1, 121)]
    client = SortingClient(changed)
    tracker = Tracker(lookback=60, modified=True)
    assert poll(client, tracker, clock=lambda: parse_time(at(100))) == []
    fresh = dict(incident(500, 150, version=0), modified="1970-01-01T00:00:00Z")
    busy = incident(1, 0, modified=190, version=3)
    client.stored = [busy] + changed[1:] + [fresh]
    client.answer_date = "Tue, 01 Dec 2026 10:03:20 GMT"  # T0 + 200 s
    events = poll(client, tracker, clock=lambda: parse_time(at(200)))
    assert sorted((event["incident"]["id"], event["event"]) for event in events) == [("1", "modified"), ("500", "new")]
    assert client.fields[-2:] == ["modified", "created"]  # the new ones from a read by creation
