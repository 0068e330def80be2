# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which incidents of a repeated search are new: the bookkeeping of the xsoar_incidents event source.

Real servers index a new incident seconds (up to minutes) after it was created, so an incident may
first show up in a search with a `created` time older than incidents already seen. Each poll
therefore re-reads a window of `lookback` seconds behind the newest time seen (server clock, so the
poller's own clock does not matter), and remembers the ids in that window: an incident is delivered
once, however late it is indexed within the window, and memory stays bounded by the window.

"Start from now" is the server's clock at the first answer (its HTTP Date header), not the first
answer's contents: an incident created before the source started but indexed after its first poll is
older than that start, so it is recorded, not delivered.

Clocks can disagree: a front end may stamp the Date header with another clock than the one that
stamps `created`, and an incident may be dated in the future. "Now" is therefore the earlier of the
Date header and the local clock, and the window's anchor never runs ahead of that "now": a clock
ahead on one side (or an incident dated tomorrow) can only make the start or the window earlier,
which delivers an incident made just before the start or keeps a few more ids, never loses one.
"""

import time

from ansible_collections.xsoar.connector.plugins.module_utils import incident_fields, incidents_api
from ansible_collections.xsoar.connector.plugins.module_utils.client import parse_http_date

DEFAULT_QUERY = "-status:closed"  # XSOAR's own default of the incidents page: the open ones
DEFAULT_LOOKBACK = 300.0  # demisto-sdk waits up to 300 s for a new incident to become searchable
DEFAULT_PAGE_SIZE = 100
# XSOAR 8's new incidents have `modified` 1970-01-01T00:00:00Z (and version 0) until their first change
# (Kibana's recorded create answer in xsoar.test.ts; the XSOAR 8 docs' "get an incident" example):
# "never modified", so such an incident's time is its `created`.
NEVER_MODIFIED = 0.0


def parse_time(text):
    """Seconds since the epoch of an RFC 3339 time as XSOAR writes it, else None.

    incident_fields.parse_time reads the text; Go's zero time "0001-01-01T00:00:00Z" is XSOAR's "never".
    """
    moment = incident_fields.parse_time(text)
    if moment is None or moment.year < 1970:
        return None
    return moment.timestamp()


def earliest_now(server_now=None, local_now=None):
    """ "Now" for the window and the start: the earlier of the server's Date and the local clock, or None."""
    known = [moment for moment in (server_now, local_now) if moment is not None]
    return min(known) if known else None


def _version(incident):
    version = incident.get("version")
    return version if isinstance(version, int) and not isinstance(version, bool) else -1


class Tracker:
    """Remembers what was delivered; `select()` turns one newest-first read into the events to send.

    `modified`: also deliver an incident again when it changes (a higher version); the window and the
    sort then follow `modified` instead of `created`. `replay`: the first read is delivered too;
    otherwise it only records what exists ("start from now").
    """

    def __init__(self, lookback=DEFAULT_LOOKBACK, modified=False, replay=False):
        self.lookback = float(lookback)
        self.modified = modified
        self.field = "modified" if modified else "created"
        self.newest = None  # the newest `field` time seen in any read (server clock)
        self.known = {}  # id -> ((version, time), time): delivered or recorded, within the window
        self.first = True
        self.replay = replay
        self.started = None  # "now" at start (server clock): older incidents seen later are not events

    def time_of(self, incident):
        own = parse_time(incident.get(self.field))
        if self.modified and own == NEVER_MODIFIED:
            return parse_time(incident.get("created"))
        return own

    def window_start(self, newest=None):
        newest = self.newest if newest is None else max(newest, self.newest or newest)
        return None if newest is None else newest - self.lookback

    def anchor(self, times, now=None):
        """The newest of `times`, but never ahead of `now` (an incident dated in the future moves nothing)."""
        if not times:
            return None
        newest = max(times)
        if now is not None:
            newest = min(newest, now)
        return newest

    def covered(self, incidents, total, limit, now=None, field=None):
        """True when a newest-first read of `limit` (sorted by `field`, default the tracker's) gives
        everything `select()` needs."""
        if len(incidents) < limit or len(incidents) >= total:
            return True  # nothing more matches
        if self.first and self.replay:
            return False  # replay delivers every match
        field = field or self.field
        times = [parse_time(incident.get(field)) for incident in incidents]
        if field == "modified" and NEVER_MODIFIED in times:
            return True  # past every changed incident: the rest were never modified (the read by created has them)
        times = [t for t in times if t is not None]
        if not times:
            return False
        start = self.window_start(self.anchor(times, now))
        return min(times) < start  # the read reaches past the window

    def select(self, incidents, server_now=None, local_now=None):
        """The events of one read, oldest first: {"incident": ..., "event": "new" | "modified"}.

        `server_now`: the server's time of the read (its Date header), `local_now`: the local clock's
        (seconds since the epoch). The earlier of them is "now": on the first read the start, on
        every read the most the window's anchor may be. Without either, the start is the newest
        time in the first read.
        """
        now = earliest_now(server_now, local_now)
        timed = [
            (incident, self.time_of(incident))
            for incident in incidents
            if isinstance(incident, dict) and incident.get("id")
        ]
        times = [own_time for incident, own_time in timed if own_time is not None]
        anchor = self.anchor(times, now)
        if anchor is not None:
            self.newest = anchor if self.newest is None else max(self.newest, anchor)
        if self.first and not self.replay:
            self.started = now if now is not None else self.newest
        start = self.window_start()
        stamped = []
        for incident, own_time in timed:
            moment = (
                self.newest if own_time is None else own_time
            )  # no usable time: kept for the window, then forgotten
            if start is None or moment is None or moment >= start:
                stamped.append((moment if moment is not None else 0.0, incident, own_time))
        stamped.sort(key=lambda entry: (entry[0], str(entry[1]["id"])))
        events = []
        for moment, incident, own_time in stamped:
            kind = self._kind(incident, moment, own_time, start)
            if kind and not (self.first and not self.replay):
                events.append({"incident": incident, "event": kind})
        self.first = False
        if start is not None:
            self.known = {key: value for key, value in self.known.items() if value[1] >= start}
        return events

    def _kind(self, incident, moment, own_time, start):
        """ "new", "modified" or None (already delivered), and remember the incident.

        `moment` is the time it is kept under (`own_time`, its own `created`/`modified`, or the newest).
        """
        key = str(incident["id"])
        marker = (_version(incident), moment)
        previous = self.known.get(key)
        self.known[key] = (max(marker, previous[0]) if previous else marker, moment)
        if previous is None:
            if self.started is not None and own_time is not None and own_time < self.started:
                return None  # it existed before the start and was indexed after it
            if not self.modified:
                return "new"
            created = parse_time(incident.get("created"))
            since = [t for t in (start, self.started) if t is not None]
            return "new" if not since or created is None or created >= max(since) else "modified"
        if self.modified and marker > previous[0]:
            return "modified"
        return None


def search_filter(query, field):
    """Everything in the query: a real server ignores the other filter fields when `query` is set."""
    return {"query": query, "sort": [{"field": field, "asc": False}]}


def poll(client, tracker, query=DEFAULT_QUERY, page_size=DEFAULT_PAGE_SIZE, clock=time.time):
    """One poll (blocking): read newest first, wider until the window is covered; return the events.

    In modified mode a second read, by `created`, brings the new incidents: XSOAR 8's keep `modified`
    1970-01-01 until their first change, so a read by `modified` puts them after every changed one.
    """
    incidents, server_now, local_now = read_window(client, tracker, query, page_size, tracker.field, clock)
    if tracker.modified:
        by_created, server_now, local_now = read_window(client, tracker, query, page_size, "created", clock)
        by_id = {}
        incidents_api.keep_newest(by_id, incidents + by_created)
        incidents = list(by_id.values())
    return tracker.select(incidents, server_now, local_now)


def read_window(client, tracker, query, page_size, field, clock):
    """(incidents, server_now, local_now): a newest-first read by `field`, wider until the window is covered."""
    limit = page_size
    incident_filter = search_filter(query, field)
    while True:
        total, incidents = incidents_api.search(client, incident_filter, limit)
        server_now = parse_http_date(client.last_answer_date)
        local_now = clock()
        if tracker.covered(incidents, total, limit, earliest_now(server_now, local_now), field):
            return incidents, server_now, local_now
        limit *= 2  # rare (more than a page within the window): one wider read, not page-by-page state
