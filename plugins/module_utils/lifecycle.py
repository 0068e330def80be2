# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""xsoar_connector_test's lifecycle self-test: one incident created, found, updated, closed and deleted.

Each write goes through xsoar_incident's own flow (incident_flow.run: the existence search, the
planner, apply, and the proofs they make), so the self-test proves what the modules do on this
server, never a second implementation of it. After each write a read-back shows whether the server
did what the collection assumes. A step where it did not fails with what was sent, what came back
and what was expected; a failure after the create still deletes the self-test incident where it can.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any, Callable

from ansible_collections.xsoar.connector.plugins.module_utils import incident_flow
from ansible_collections.xsoar.connector.plugins.module_utils import incidents_api as api
from ansible_collections.xsoar.connector.plugins.module_utils.client import Client
from ansible_collections.xsoar.connector.plugins.module_utils.errors import XsoarError, XsoarInputError

NAME_PREFIX = "xsoar.connector lifecycle self-test"
CREATED_DETAILS = "Created by xsoar.connector's lifecycle self-test (xsoar_connector_test, lifecycle: true)."
UPDATED_DETAILS = "Updated by xsoar.connector's lifecycle self-test: this incident is deleted when it ends."
CLOSE_REASON = "Other"  # one of XSOAR's default close reasons
CLOSE_NOTES = "Closed by xsoar.connector's lifecycle self-test."
DEFAULT_WAIT = 60.0
# Seconds between read-backs: the index lag is measured to about this much.
POLL_INTERVAL = 1.0
STATUS_CLOSED = 2
ISSUES_URL = "https://github.com/xsoar-connector/xsoar.connector/issues"
REPORT = (
    f"This output never holds the API key: it is what to report ({ISSUES_URL}), with the server's version from"
    " the deployment check."
)


@dataclass(frozen=True)
class Check:
    """One step of the self-test, as xsoar_connector_test lists it."""

    name: str
    ok: bool
    detail: str
    seconds: float


@dataclass(frozen=True)
class Outcome:
    """The self-test's checks; `failure` is the message of the one that failed, None when all passed."""

    checks: list[Check]
    incident_name: str
    incident_id: str | None
    index_lag_s: float | None
    failure: str | None


class StepFailed(Exception):
    """A step did not pass; the message (its check's detail) says what was sent, came back and was expected."""


def check_wait(seconds: float | None) -> float:
    """lifecycle_wait, validated before any request."""
    if seconds is None:
        return DEFAULT_WAIT
    if not 0 <= seconds <= 3600:  # NaN fails too
        raise XsoarInputError(
            f"lifecycle_wait {seconds!r} is out of range: give the seconds each self-test step may wait for the"
            " server to show its effect, from 0 to 3600"
        )
    return seconds


def unique_name() -> str:
    return f"{NAME_PREFIX} {secrets.token_hex(6)}"


def still_there(client: Client, incident_id: str) -> bool:
    """Whether a search by id still finds the incident: how xsoar_incident proves a delete."""
    return bool(api.existing(client, [incident_id]))


def status_text(incident: dict | None) -> str:
    if incident is None:
        return "no incident"
    return f"status {incident.get('status')!r}, version {incident.get('version')!r}"


def run(client: Client, wait: float = DEFAULT_WAIT, clock: Callable[[], float] = time.monotonic) -> Outcome:
    """Create, find, update, close and delete one uniquely named incident; stop at the first failed step."""
    test = _SelfTest(client, wait, clock)
    steps = (test.create, test.find, test.update, test.close, test.delete)
    for step in steps:
        try:
            step()
        except StepFailed as failed:
            return test.outcome(f"{failed} {test.cleanup()} {REPORT}")
    return test.outcome(None)


class _SelfTest:
    """The state one self-test run carries from step to step."""

    def __init__(self, client: Client, wait: float, clock: Callable[[], float]) -> None:
        self.client = client
        self.wait = wait
        self.clock = clock
        self.name = unique_name()
        self.incident_id: str | None = None
        self.index_lag_s: float | None = None
        self.checks: list[Check] = []
        self.sent_create = False

    def outcome(self, failure: str | None) -> Outcome:
        return Outcome(list(self.checks), self.name, self.incident_id, self.index_lag_s, failure)

    # -- the steps ------------------------------------------------------------------------------

    def create(self) -> None:
        started = self.clock()
        self.sent_create = True
        # wait_for_id 0: an answer without id (SaaS) is looked up once here; the find step waits and measures
        result = self.module_step("create", "created", details=CREATED_DETAILS, wait_for_id=0)
        self.incident_id = result["incident"].get("id") or None
        if self.incident_id is None:
            found = "; the answer had no id (as XSOAR 8 SaaS answers), so the find check looks it up by name"
        else:
            found = f" (id {self.incident_id})"
        self.passed("create", f"created {self.name!r}{found}", started)

    def search_by_name(self) -> tuple[list[dict], int, float]:
        """Search by exact name until found or lifecycle_wait is spent: (matches, searches, seconds)."""
        started = self.clock()
        searches = 0
        while True:
            matches = api.find_by_names(self.client, [self.name], True)[self.name]
            searches += 1
            waited = self.clock() - started
            if matches or waited >= self.wait:
                return matches, searches, waited
            self.pause(started)

    def find(self) -> None:
        """Search by exact name until the index has the new incident: its lag is index_lag_s."""
        started = self.clock()
        matches, searches, waited = self.guarded("find", "the search", self.search_by_name)
        if not matches:
            self.failed(
                "find",
                f"{searches} searches by exact name (POST /incidents/search, filter.name [{self.name!r}]) over"
                f" {waited:.1f}s after the create's answer found no incident; expected it within lifecycle_wait"
                f" ({self.wait:g}s). The server may index new incidents later than that (raise lifecycle_wait), or"
                " its name search does not find them.",
                started,
            )
        found_id = matches[0].get("id")
        if self.incident_id is not None and found_id != self.incident_id:
            self.failed(
                "find",
                f"the create answered id {self.incident_id}, but a search by exact name found id {found_id};"
                " expected the same incident.",
                started,
            )
        self.incident_id = found_id
        self.index_lag_s = round(waited, 2)
        self.passed(
            "find", f"a search by exact name found id {found_id} {waited:.1f}s after the create's answer", started
        )

    def update(self) -> None:
        started = self.clock()
        self.module_step("update", "updated", details=UPDATED_DETAILS, update_existing=True)
        seen, waited = self.load_until("update", lambda incident: incident.get("details") == UPDATED_DETAILS)
        if seen.get("details") != UPDATED_DETAILS:
            self.failed(
                "update",
                f"sent details {UPDATED_DETAILS!r} for incident {self.incident_id} (xsoar_incident reported"
                f" updated); a load {waited:.1f}s later shows details {seen.get('details')!r} ({status_text(seen)});"
                " expected the details sent. The server did not keep the update.",
                started,
            )
        self.passed("update", f"details updated and loaded back ({status_text(seen)})", started)

    def close(self) -> None:
        started = self.clock()
        self.module_step("close", "closed", state="closed", close_reason=CLOSE_REASON, close_notes=CLOSE_NOTES)
        seen, waited = self.load_until("close", api.is_closed)
        if not api.is_closed(seen):
            self.failed(
                "close",
                f"sent a close of incident {self.incident_id} (xsoar_incident reported closed); a load"
                f" {waited:.1f}s later shows {status_text(seen)}; expected status 2 (closed). The server did not"
                " keep it closed.",
                started,
            )
        self.passed("close", f"closed and loaded back as closed ({status_text(seen)})", started)

    def delete(self) -> None:
        started = self.clock()
        self.module_step("delete", "deleted", state="absent")
        gone, waited = self.read_until(lambda: self.guarded("delete", "the search by id", self.searched_gone))
        if not gone:
            self.failed(
                "delete",
                f"sent a delete of incident {self.incident_id} (xsoar_incident reported deleted); a search by id"
                f" {waited:.1f}s later still finds it; expected no incident with that id. The server did not"
                " delete it.",
                started,
            )
        self.passed("delete", "deleted, and a search by id finds no incident", started)

    def cleanup(self) -> str:
        """After a failed step: delete the self-test incident where it can, and say whether it could."""
        if not self.sent_create:
            return "Nothing was created."
        try:
            if self.incident_id is None:  # created without an id in the answer: wait until a search finds it
                matches = self.search_by_name()[0]
                self.incident_id = matches[0].get("id") if matches else None
            result = module_flow(self.client, self.name, self.wait, state="absent")
            if result["action"] != "deleted" and self.incident_id:
                # not searchable by name (yet): the id the create answered is enough for the modules' delete
                api.delete(self.client, [self.incident_id], self.wait)
        except XsoarError as error:
            return f"The self-test incident could not be deleted ({error}): delete the incident named {self.name!r} by hand."
        if result["action"] == "deleted":
            return f"The self-test incident {self.name!r} was deleted (a search by id no longer finds it)."
        if self.incident_id:
            return (
                f"A delete of the self-test incident {self.incident_id} was sent, but no search shows that incident,"
                f" so it cannot be proven gone: look for an incident named {self.name!r} later."
            )
        return (
            f"No search found an incident named {self.name!r}, so nothing was deleted; if one shows up later,"
            " delete it by hand."
        )

    # -- helpers --------------------------------------------------------------------------------

    def module_step(self, step: str, expected: str, **options: object) -> dict:
        """One write through xsoar_incident's flow; fails the step unless it reports `expected`."""
        started = self.clock()
        result = self.guarded(step, "xsoar_incident", lambda: module_flow(self.client, self.name, self.wait, **options))
        if result["action"] != expected:
            warnings = "; ".join(result.get("warnings") or []) or "no warning"
            self.failed(
                step,
                f"xsoar_incident reported {result['action']!r} for {self.name!r} ({warnings}); expected {expected!r}.",
                started,
            )
        return result

    def guarded(self, step: str, what: str, call: Callable[[], Any]) -> Any:
        """call(); an error fails the step with `what` failed and the error's message."""
        started = self.clock()
        try:
            return call()
        except XsoarError as error:
            self.failed(step, f"{what} failed: {error}.", started)

    def searched_gone(self) -> bool:
        return not still_there(self.client, str(self.incident_id))  # known since the find step

    def load_until(self, step: str, done: Callable[[dict], bool]) -> tuple[dict, float]:
        """Load the incident (as xsoar_incident proves its writes) until `done` or lifecycle_wait is spent:
        (what was loaded last, seconds)."""
        seen: dict = {}

        def loaded_done() -> bool:
            loaded = self.guarded(
                step, "the load", lambda: api.load(self.client, str(self.incident_id))
            )  # known since the find step
            seen.clear()
            seen.update(loaded)
            return done(seen)

        _done, waited = self.read_until(loaded_done)
        return seen, waited

    def read_until(self, done: Callable[[], bool]) -> tuple[bool, float]:
        """Call `done` until true or lifecycle_wait is spent: (its last value, seconds)."""
        started = self.clock()
        while True:
            finished = done()
            waited = self.clock() - started
            if finished or waited >= self.wait:
                return finished, waited
            self.pause(started)

    def pause(self, started: float) -> None:
        left = self.wait - (self.clock() - started)
        self.client.sleep(max(min(POLL_INTERVAL, left), 0))

    def passed(self, step: str, detail: str, started: float) -> None:
        self.checks.append(Check(step, True, detail, round(self.clock() - started, 2)))

    def failed(self, step: str, detail: str, started: float) -> None:
        self.checks.append(Check(step, False, detail, round(self.clock() - started, 2)))
        raise StepFailed(detail)


def module_flow(client: Client, name: str, wait: float, **options: object) -> dict:
    """xsoar_incident with these options on the self-test incident (single form, no diff)."""
    params = dict.fromkeys(incident_flow.ITEM_OPTIONS)
    params.update(name=name, state="present", start_investigation=False, wait_for_id=wait)
    params.update(options)
    prepared = incident_flow.prepare(params, diff=False)
    return incident_flow.run(client, prepared, False)
