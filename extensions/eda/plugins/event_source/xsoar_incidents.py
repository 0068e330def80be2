# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""xsoar_incidents: an ansible-rulebook event source that hands new Cortex XSOAR incidents to rules."""

import asyncio
import concurrent.futures
import logging
import os
import random
import sys

# The collection's imports follow the documentation and the sys.path fallback below.
# pylint: disable=wrong-import-position

DOCUMENTATION = r"""
---
short_description: Receive new Cortex XSOAR incidents as events.
description:
  - An ansible-rulebook event source plugin that polls C(POST /incidents/search) of a Cortex XSOAR
    server (XSOAR 6, XSOAR 8 on-premises and cloud) every O(interval) seconds and puts each new incident
    matching O(query) on the queue once, as an event with the keys C(incident) (the incident) and
    C(event) (V(new)).
  - With O(modified=true) an incident comes again, with C(event) V(modified), each time its version
    goes up.
  - Starts from now, by the server's clock (the HTTP Date header of its first answer, or the local clock
    when that is earlier), so an incident created before the start is not delivered even when the server
    indexes it later; O(replay=true) delivers the incidents that already match at start too.
  - An incident dated in the future is delivered once and does not hold back the incidents after it.
  - Real servers make a new incident searchable some time after it was created. Every poll
    re-reads the incidents of the last O(lookback) seconds (by the server's own timestamps, so the
    clocks of the two hosts need not agree) and remembers their ids, so an incident indexed late is
    still delivered, once. Memory is bounded by the incidents of that window.
  - Keeps polling through connection errors, timeouts, HTTP 429 and 5xx answers, waiting longer after
    each failure in a row (at most O(max_backoff) seconds); never returns, because a source that
    returns ends the ruleset. Wrong settings found by the first answer (a rejected key, HTTP 4xx such as
    a wrong API path or a query the server cannot parse) end it with a message saying what to fix.
  - The API key is never logged; messages are redacted of it.
  - Uses the collection's HTTP client, so the host running ansible-rulebook needs ansible-core and
    C(requests) (an EDA decision environment has both).
  - It takes the connection options of the collection's modules (C(url), C(api_key), C(api_key_id), ...),
    with the same defaults and the same E(XSOAR_*) environment variables (C(ansible-rulebook -E
    XSOAR_URL,XSOAR_API_KEY,...) passes them from the environment). They are documented once, in
    C(plugins/doc_fragments/connection.py), shown with every module (docs/reference/xsoar_connector_test_module.rst,
    or C(ansible-doc xsoar.connector.xsoar_connector_test)); a unit test keeps this source's options equal to them.
    C(url) and C(api_key) are required, as rule arguments or in the environment. Here a failed search, once its
    C(retries) are spent, or an answer above C(max_answer_mb), fails one poll, and the next poll tries again.
options:
  query:
    description:
      - The incidents to watch, in the query language of XSOAR's incidents page, for example
        C(type:Phishing and -status:closed).
      - The default is XSOAR's own default query, the incidents that are not closed.
    type: str
    default: "-status:closed"
  interval:
    description: Seconds between polls.
    type: float
    default: 30
  replay:
    description: Deliver the incidents that already match when the source starts, instead of starting from now.
    type: bool
    default: false
  modified:
    description:
      - Also deliver an incident again, with C(event) V(modified), each time it changes.
      - Each poll then makes two searches, by C(modified) and by C(created); XSOAR 8 gives a new incident
        C(modified) 1970-01-01 until its first change, which sorts it after every changed incident.
    type: bool
    default: false
  lookback:
    description:
      - Seconds behind the newest incident seen that every poll reads again, so that incidents indexed
        late are still delivered. Make it longer than the server's indexing delay.
    type: float
    default: 300
  page_size:
    description:
      - Incidents a poll asks for first (at most 1000). When the O(lookback) window holds more, the poll
        asks again for twice as many (in pages of at most 1000) until it has read the whole window.
    type: int
    default: 100
  max_backoff:
    description: The longest wait, in seconds, between polls after failures in a row.
    type: float
    default: 300
"""

EXAMPLES = r"""
- name: Remediate new XSOAR incidents
  hosts: localhost
  sources:
    - xsoar.connector.xsoar_incidents:
        query: 'type:"Ansible Remediation" and -status:closed'
        interval: 15
  rules:
    - name: A new remediation incident
      condition: event.event == "new"
      action:
        run_playbook:
          name: xsoar.connector.remediate_incident
          extra_vars:
            # urlencoded: the playbook decodes it, so text from XSOAR is never templated
            xsoar_incident_json: "{{ event.incident | tojson | urlencode }}"

# The connection in the rulebook (a vaulted variable) instead of the XSOAR_* environment
- xsoar.connector.xsoar_incidents:
    url: https://api-tenant.xdr.us.paloaltonetworks.com
    api_key: "{{ xsoar_api_key }}"
    api_key_id: "17"
    query: "severity:>=3"
    modified: true
"""

try:
    from ansible_collections.xsoar.connector.plugins.module_utils import arguments  # noqa: F401
except ImportError:
    # ansible-rulebook runs this file by path: make the collection tree it sits in importable.
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), *([os.pardir] * 7))))

from ansible_collections.xsoar.connector.plugins.module_utils import arguments, incident_poller  # noqa: E402,F811
from ansible_collections.xsoar.connector.plugins.module_utils.errors import (  # noqa: E402
    XsoarAuthError,
    XsoarError,
    XsoarInputError,
    XsoarResponseError,
)
from ansible_collections.xsoar.connector.plugins.module_utils.connection import (  # noqa: E402
    connection_settings,
    open_client,
)

LOGGER = logging.getLogger("xsoar.connector.xsoar_incidents")

SOURCE_SPEC = dict(
    query=dict(type="str", default=incident_poller.DEFAULT_QUERY),
    interval=dict(type="float", default=30),
    replay=dict(type="bool", default=False),
    modified=dict(type="bool", default=False),
    lookback=dict(type="float", default=incident_poller.DEFAULT_LOOKBACK),
    page_size=dict(type="int", default=incident_poller.DEFAULT_PAGE_SIZE),
    max_backoff=dict(type="float", default=300),
)


def settings_from(args):
    """The validated options (rulebook args, else XSOAR_* environment); ValueError says what to fix."""
    given = {name: value for name, value in (args or {}).items() if name != "eda_feedback_queue"}
    spec = arguments.connection_argument_spec(**SOURCE_SPEC)
    try:
        # the validator's messages name the option, never a secret value
        params = connection_settings(given, spec)
    except XsoarInputError as error:
        raise ValueError(f"xsoar.connector.xsoar_incidents: {error}")
    for name in ("interval", "lookback", "max_backoff"):
        if not 0 < params[name] < float("inf"):
            raise ValueError(
                f"xsoar.connector.xsoar_incidents: {name} must be a number of seconds above 0, got {params[name]}"
            )
    if not 1 <= params["page_size"] <= incident_poller.incidents_api.PAGE_SIZE:
        raise ValueError(
            "xsoar.connector.xsoar_incidents: page_size must be between 1 and"
            f" {incident_poller.incidents_api.PAGE_SIZE}, got {params['page_size']}"
        )
    if not params["query"].strip():
        raise ValueError(
            "xsoar.connector.xsoar_incidents: query is empty: leave it out for the open incidents, or give one"
        )
    return params


def backoff(failures, interval, max_backoff):
    """Seconds to wait after `failures` failed polls in a row: doubling from interval, jittered, capped."""
    delay = interval * (2 ** min(failures - 1, 16))
    return min(delay * random.uniform(0.8, 1.2), max_backoff)


def fatal_at_start(error):
    """Settings the first answer proves wrong (rejected key, wrong path or query): retrying would not help.

    Anything else (no connection, 429, 5xx, an answer that is not JSON) may pass, so the source waits.
    """
    if isinstance(error, (XsoarInputError, XsoarAuthError)):
        return True
    return (
        isinstance(error, XsoarResponseError)
        and error.status is not None
        and 400 <= error.status < 500
        and error.status != 429
    )


async def main(queue, args):
    """Poll XSOAR for ever and put each new incident on `queue` as {"incident": ..., "event": ...}."""
    params = settings_from(args)
    # every poll tries the server again: an outage of any kind ends when the server is back
    client = open_client(params, LOGGER.warning, remember_unreachable=False)
    tracker = incident_poller.Tracker(params["lookback"], params["modified"], params["replay"])
    failures = 0
    started = False
    # one thread for every poll: the client keeps a keep-alive session per thread, and asyncio's default
    # executor may hand polls to up to min(32, cores + 4) threads, each with a session and a connection
    poller = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="xsoar_incidents")
    loop = asyncio.get_running_loop()
    try:
        while True:
            try:
                events = await loop.run_in_executor(
                    poller, incident_poller.poll, client, tracker, params["query"], params["page_size"]
                )
            except Exception as error:  # pylint: disable=broad-except
                message = client.redact(error)
                if not started and isinstance(error, XsoarError) and fatal_at_start(error):
                    raise ValueError(f"xsoar.connector.xsoar_incidents: {message}")
                failures += 1
                delay = backoff(failures, params["interval"], params["max_backoff"])
                LOGGER.warning("XSOAR poll failed (%d in a row), next poll in %.1fs: %s", failures, delay, message)
                await asyncio.sleep(delay)
                continue
            if failures:
                LOGGER.info("XSOAR poll succeeded again after %d failure(s)", failures)
            started, failures = True, 0
            for event in events:
                await queue.put(event)
            await asyncio.sleep(params["interval"])
    finally:
        poller.shutdown(wait=False, cancel_futures=True)
        client.close()


if __name__ == "__main__":

    class MockQueue:
        """Prints the events (XSOAR_* environment): python xsoar_incidents.py."""

        async def put(self, event):
            print(event)

    logging.basicConfig(level=logging.INFO)
    asyncio.run(main(MockQueue(), {"interval": 5}))
