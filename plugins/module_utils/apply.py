# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place that knows what writes mean: send the planned actions, settle what is uncertain.

The client only reports what happened (an answer, or XsoarOutcomeUnknown for a write that may have
reached the server). Here a create without an id in its answer (XSOAR 8 SaaS), and a create whose
outcome is unknown, are looked up by name with one bounded wait (`wait_for_id`), the same for one
item and for a thousand. A create is sent again only when the failure allows it (a gateway error or a
dropped connection, not a server still working on it) and the whole wait did not find it.

A bulk task's writes go `parallel_writes` at a time, each thread on its own connection: every item
is another incident (names are unique in a task, and the name lock is held for the whole run), so
the order of the writes does not change what the server ends up with, only how long it takes.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

from ansible_collections.xsoar.connector.plugins.module_utils import incidents_api as api
from ansible_collections.xsoar.connector.plugins.module_utils import planner
from ansible_collections.xsoar.connector.plugins.module_utils.errors import (
    XsoarError,
    XsoarOutcomeUnknown,
    XsoarUnreachableError,
)
from ansible_collections.xsoar.connector.plugins.module_utils.incident_fields import parse_time
from ansible_collections.xsoar.connector.plugins.module_utils.planner import (
    Close,
    Create,
    Dedupe,
    Delete,
    Update,
    action_name,
)

# Seconds between look-ups for new incidents: quick at first, then every few seconds (demisto-sdk polls every 10 s).
LOOKUP_DELAYS = (0.5, 1, 2, 4)
LOOKUP_DELAY_MAX = 5


# Actions that change nothing on the server.
UNCHANGED_ACTIONS = ("none", "dropped", "failed", "not_attempted")


@dataclasses.dataclass
class ItemOutcome:
    """What one item's write did; `as_result()` is its part of the module result."""

    action: str
    incident: dict
    changed: bool
    warnings: list = dataclasses.field(default_factory=list)
    failed: bool = False
    msg: str | None = None
    ids: list | None = None
    closed_duplicates: list | None = None
    changed_fields: list | None = None
    not_kept: list | None = None

    def as_result(self) -> dict:
        result = {
            "action": self.action,
            "changed": self.changed,
            "incident": self.incident,
            "warnings": list(self.warnings),
        }
        if self.failed:
            result["failed"] = True
        for name in ("msg", "ids", "closed_duplicates", "changed_fields", "not_kept"):
            value = getattr(self, name)
            if value is not None:
                result[name] = value
        return result


def outcome(action: str, incident: dict | None, changed: bool | None = None, **details) -> ItemOutcome:
    if changed is None:
        changed = action not in UNCHANGED_ACTIONS
    return ItemOutcome(action, incident or {}, changed, **details)


def failed(error, action: str = "failed", changed: bool = False) -> ItemOutcome:
    return outcome(action, {}, changed, failed=True, msg=str(error))


def apply(client, steps, task, known=None, now=time.monotonic):
    """Send each step's action, started in order; steps are (desired, action). Returns one outcome per step.

    `known`: {name: ids of the incidents the existence search found}; a look-up after a create never
    takes one of those for the new incident.

    Up to `parallel_writes` writes are in flight at once. After the first failure (unless
    continue_on_item_error), and always once the server is unreachable (the rest would only pay the
    same timeouts), no more are started: those items are `not_attempted`.
    """
    known = known or {}
    pending = []
    run = _Run()

    def step(index):
        desired, action = steps[index]
        stop = run.stop
        if stop is not None:
            return outcome("not_attempted", {}, msg=f"not attempted: {stop}")
        try:
            result = write(client, Target(desired, index, known.get(desired.name, ())), action, pending, task)
        except XsoarUnreachableError as error:
            run.stopped("the server was unreachable at an earlier item", error)
            return failed(error)
        except XsoarError as error:
            result = failed(error)
        if result.failed and not task.get("continue_on_item_error"):
            run.stopped("an earlier item failed (continue_on_item_error: true would try it)")
        return result

    workers = min(task.get("parallel_writes") or 1, len(steps))
    if workers <= 1:
        outcomes = [step(index) for index in range(len(steps))]
    else:
        # map starts the steps in order and gives the outcomes in order (an unexpected exception too)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            outcomes = list(pool.map(step, range(len(steps))))
    for index, settled in settle(client, pending, task, now, run.unreachable).items():
        outcomes[index] = settled
    return outcomes


class Target(NamedTuple):
    """The item a write is for: its desired record, its place in the task, and the ids of the incidents
    the existence search found of its name (a look-up after a create never takes one of those)."""

    desired: dict
    index: int
    known: Collection[str]


class _Run:
    """Why the steps not yet started are not attempted (the first reason wins), shared by the threads."""

    def __init__(self):
        self.stop = None
        self.unreachable = None
        self._lock = threading.Lock()

    def stopped(self, reason, unreachable=None):
        with self._lock:
            self.stop = self.stop or reason
            self.unreachable = self.unreachable or unreachable


def write(client, target: Target, action, pending: list, task: dict) -> ItemOutcome:
    """One action's requests, proven; a create that needs a look-up joins `pending` and is settled later."""
    if isinstance(action, Dedupe):
        # the kept incident first: if closing the duplicates fails after it, a re-run closes them
        kept = write(client, target, action.action, pending, task)
        closed = send_close(client, action.close, task)
        return dataclasses.replace(
            kept,
            action=action_name(action),
            changed=True,
            closed_duplicates=action.close.ids,
            warnings=kept.warnings + closed.warnings,
        )
    if isinstance(action, Create):
        return send_create(client, target, action.body, pending, sends=1)
    if isinstance(action, Update):
        return send_update(client, action)
    if isinstance(action, Close):
        return send_close(client, action, task)
    if isinstance(action, Delete):
        api.delete(client, action.ids, task["wait_for_id"])
        return outcome("deleted", action.incidents[0], ids=action.ids)
    return outcome(action_name(action), action.incident)


def send_update(client, action: Update) -> ItemOutcome:
    """An update planned against the loaded incident (action.incident), re-planned after a version conflict.

    Fields the server did not store as sent (an unknown `type` becomes "Unclassified") are named in
    `not_kept` and a warning: the next run would send them again, so it must not do so silently.
    """

    def changes_for(loaded):
        return planner.field_changes(loaded, action.wanted)

    updated = api.update_loaded(client, action.incident["id"], changes_for, action.incident)
    if not updated.sent:  # someone else set the values meanwhile
        return outcome("none", updated.incident, changed_fields=[])
    result = outcome("updated", updated.incident, changed_fields=sorted(updated.sent))
    not_kept = sorted(planner.field_changes(updated.incident, updated.sent))
    if not_kept:
        result.not_kept = not_kept
        result.warnings.append(not_kept_warning(updated, not_kept))
    return result


def not_kept_warning(updated: api.Updated, not_kept: list) -> str:
    shown = ", ".join(
        f"{field} (sent {updated.sent[field]!r}, stored {updated.incident.get(field)!r})" for field in not_kept
    )
    hint = ""
    if "type" in not_kept:
        hint = " Is that incident type defined on the server? XSOAR stores an unknown type as Unclassified."
    return (
        f"XSOAR did not keep {shown} as sent: every run with update_existing sends them again and reports a change.{hint}"
        " Set the values the server accepts, or leave them out"
    )


def send_close(client, action: Close, task: dict) -> ItemOutcome:
    """A proven close of action.ids; closes the batch call did not carry out went one by one (a warning)."""
    closed = api.close(client, action.ids, action.close_reason, action.close_notes, task["wait_for_id"])
    result = outcome("closed", closed.incidents[0], ids=action.ids)
    if closed.one_by_one:
        result.warnings.append(
            f"POST /incident/batchClose did not close incidents {', '.join(closed.one_by_one)}; POST /incident/close"
            " closed them one by one"
        )
    return result


@dataclasses.dataclass
class PendingCreate:
    """A create not yet confirmed by a search: sent without an id in its answer (`error` None), or with
    an unknown outcome (`error`). `result` is the item's outcome until the look-up settles it."""

    target: Target
    body: dict
    result: ItemOutcome
    error: XsoarOutcomeUnknown | None
    sends: int
    answer: dict


def send_create(client, target: Target, body: dict, pending: list, sends: int) -> ItemOutcome:
    """Send a create; its outcome, and a PendingCreate in `pending` when it needs a look-up."""
    try:
        incident, status = api.create(client, body)
    except XsoarOutcomeUnknown as error:
        result = outcome("unknown", {}, changed=True)
        pending.append(PendingCreate(target, body, result, error, sends, {}))
        return result
    if incident is None:
        result = outcome("dropped", {})
        result.warnings.append(
            f"XSOAR accepted the create of {target.desired.name!r} with HTTP {status} and no content: no"
            " incident was created. A pre-processing rule most likely dropped or merged it; check"
            " Settings > Pre-Process Rules"
        )
        return result
    result = created_outcome(target.desired, incident)
    if not incident.get("id"):  # XSOAR 8 SaaS: found by name once the search index has it
        pending.append(PendingCreate(target, body, result, None, sends, incident))
    return result


def created_outcome(desired: dict, incident: dict) -> ItemOutcome:
    """`created`, or `created_closed` with a warning when the server answered with a closed incident."""
    if not planner.is_open(incident):
        result = outcome("created_closed", incident)
        result.warnings.append(
            f"XSOAR created {desired.name!r} already closed (status {incident.get('status')}): a pre-process"
            " rule (Close, Link and close) most likely closed it. Without match_closed: true every run opens"
            " another one; set match_closed: true, or change the rule (Settings > Pre-Process Rules)"
        )
        return result
    return outcome("created", incident)


def settle(client, pending, task, now=time.monotonic, unreachable=None) -> dict:
    """Look the pending creates up by name, all in one search per round, until found or `wait_for_id` is spent.

    Returns {item index: its settled outcome}. When the server is unreachable (already, or during the
    look-ups) they stay unknown: no one can tell.
    """
    settled = {}
    if unreachable is not None:
        # it quotes another item's request: say that no search was made, not that one failed
        for entry in pending:
            why = f"no look-up by name was sent, as the server was unreachable ({unreachable})"
            settled[entry.target.index] = _unconfirmed(entry, why)
        return settled
    while pending:
        try:
            look_ups, waited = _look_up(client, pending, task, now, settled)
        except XsoarError as problem:
            for entry in pending:
                settled[entry.target.index] = _unconfirmed(entry, f"the look-up by name failed ({problem})")
            return settled
        again = []
        for entry in pending:
            settled[entry.target.index] = _not_found(client, entry, task, again, look_ups, waited)
        pending[:] = again
    return settled


def _not_found(client, entry: PendingCreate, task: dict, again: list, look_ups: int, waited: float) -> ItemOutcome:
    """The outcome of a pending create no look-up found: a warning, a create sent again, or unknown."""
    result, error = entry.result, entry.error
    if error is None:
        warned = dataclasses.replace(result, warnings=list(result.warnings))
        warned.warnings.append(
            "XSOAR created {!r} but answered without its id, and no search found it within {:g}s"
            " (wait_for_id): raise wait_for_id; a re-run finds it and creates nothing".format(
                entry.target.desired.name, task["wait_for_id"]
            )
        )
        return warned
    if error.resend_safe and entry.sends <= client.retries:
        try:
            return send_create(client, entry.target, entry.body, again, entry.sends + 1)
        except XsoarError as problem:
            return failed(problem)
    plural = "" if look_ups == 1 else "s"
    return failed(
        f"{error}; searches by name did not find it ({look_ups} look-up{plural} over {waited:.0f}s);"
        f" {times_sent(entry.sends)}, and not sent again (that could do it twice): its outcome is unknown."
        " Run the task again later (it looks up what exists before writing), or raise timeout or wait_for_id",
        action="unknown",
        changed=True,
    )


def _look_up(client, pending, task, now, settled):
    """Wait for every pending name to be searchable; found ones go into `settled` and leave `pending`.

    The wait is bounded by `wait_for_id` seconds of the clock, or of sleeps (the same with a real sleep).
    Closed incidents count when match_closed is set, or when a create's answer said it was closed.
    """
    started = now()
    budget = task["wait_for_id"]
    slept = 0
    look_ups = 0

    def pause(seconds):
        seconds = max(min(seconds, budget - slept, budget - (now() - started)), 0)
        client.sleep(seconds)
        return seconds

    # an unknown outcome may still be in the works on the server: give it a moment first
    if any(entry.error is not None for entry in pending):
        slept += pause(LOOKUP_DELAYS[0])
    while True:
        include_closed = task.get("match_closed") or any(not planner.is_open(entry.answer) for entry in pending)
        names = [entry.target.desired.name for entry in pending]
        found = api.find_by_names(client, names, include_closed)
        look_ups += 1
        for entry in list(pending):
            incident = new_incident(entry, found[entry.target.desired.name])
            if incident is not None:
                settled[entry.target.index] = created_outcome(entry.target.desired, incident)
                pending.remove(entry)
        if not pending or slept >= budget or now() - started >= budget:
            return look_ups, max(slept, now() - started)
        slept += pause(LOOKUP_DELAYS[look_ups - 1] if look_ups <= len(LOOKUP_DELAYS) else LOOKUP_DELAY_MAX)


def new_incident(entry: PendingCreate, matches: list) -> dict | None:
    """The incident a pending create made, among the incidents of its name (newest first), or None.

    Never one the existence search had found; when the answer (without id) carries `created`, the one
    with that time (compared as times: the search and the answer may write it differently): an older
    incident of the same name, hidden from the first search, is not it.
    """
    candidates = [incident for incident in matches if incident.get("id") not in entry.target.known]
    created = parse_time(entry.answer.get("created"))
    if created is not None:
        candidates = [incident for incident in candidates if parse_time(incident.get("created")) == created]
    return candidates[0] if candidates else None


def times_sent(sends: int) -> str:
    """How often a create went out, for messages that say it will not go out again."""
    if sends == 1:
        return "it was sent once"
    return f"it was sent {sends} times"


def _unconfirmed(entry: PendingCreate, why: str) -> ItemOutcome:
    """A pending create that no search could confirm: created without id (a warning), or unknown."""
    result, error = entry.result, entry.error
    if error is None:
        warned = dataclasses.replace(result, warnings=list(result.warnings))
        warned.warnings.append(
            f"XSOAR created {entry.target.desired.name!r} but answered without its id, and {why}: a re-run finds it"
        )
        return warned
    return failed(
        f"{error}; {why}; {times_sent(entry.sends)}, and not sent again (that could do it twice): its outcome is"
        " unknown. Run the task again later (it looks up what exists before writing)",
        action="unknown",
        changed=True,
    )
