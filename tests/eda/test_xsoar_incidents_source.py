"""The xsoar_incidents event source: its `main` run as an asyncio task against the simulator.

The source is loaded from the installed collection by path, as ansible-rulebook loads it.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import runpy
import socket
import threading
import time

import pytest

from conftest import Simulator, installed, store_incident_dated_tomorrow
import contextlib

INTERVAL = 0.2


@pytest.fixture(scope="module")
def source():
    return runpy.run_path(str(installed("extensions", "eda", "plugins", "event_source", "xsoar_incidents.py")))


def connection(sim) -> dict:
    names = {
        "XSOAR_URL": "url",
        "XSOAR_API_KEY": "api_key",
        "XSOAR_API_KEY_ID": "api_key_id",
        "XSOAR_API_KEY_TYPE": "api_key_type",
        "XSOAR_CA_PATH": "ca_path",
    }
    return {names[var]: value for var, value in sim.env.items()}


class Run:
    """main() as a task; events collected from its queue."""

    def __init__(self, source, args):
        self.queue = asyncio.Queue()
        self.events = []
        self.task = asyncio.ensure_future(source["main"](self.queue, args))

    async def until(self, condition, timeout=10.0):
        """Collect events until condition(events) holds; fails after timeout."""
        deadline = time.monotonic() + timeout
        while not condition(self.events):
            if self.task.done():
                self.task.result()  # raises the source's error
                pytest.fail("the source returned: a source that returns ends the ruleset")
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"events so far: {self.ids()}"
            with contextlib.suppress(asyncio.TimeoutError):
                self.events.append(await asyncio.wait_for(self.queue.get(), min(remaining, 0.5)))

    async def settle(self, polls=5):
        """Let the source poll a few more times, collecting anything it sends."""
        deadline = time.monotonic() + polls * INTERVAL + 0.5
        while time.monotonic() < deadline:
            with contextlib.suppress(asyncio.TimeoutError):
                self.events.append(await asyncio.wait_for(self.queue.get(), 0.1))
        assert not self.task.done(), "the source stopped"

    def ids(self, kind=None):
        return [event["incident"]["id"] for event in self.events if kind is None or event["event"] == kind]

    async def finish(self, count, timeout=10.0, polls=5):
        """Wait for `count` events in all, check that no more come in a few polls, stop the source."""
        await self.until(lambda events: len(events) >= count, timeout)
        await self.settle(polls)
        await self.stop()
        return self

    async def stop(self):
        self.task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await self.task


def searches(sim) -> list:
    return [entry for entry in sim.requests_log() if entry["api_path"] == "/incidents/search"]


async def first_poll(sim, run, count=1):
    """Wait until the source has searched `count` times (so that "now" has been taken)."""
    deadline = time.monotonic() + 10
    while len([entry for entry in searches(sim) if entry["status"] == 200 and not entry["fault"]]) < count:
        assert time.monotonic() < deadline and not run.task.done()
        await asyncio.sleep(0.05)


def test_new_incidents_once_each(source, sim, caplog):
    caplog.set_level(logging.DEBUG)
    old = [sim.create(f"Before start {index}") for index in range(3)]
    # On SaaS the first poll cannot see them yet (index lag): they are told from new ones by the start,
    # the server's Date header, which has whole seconds; so they are made before the start's second.
    time.sleep(1.1)

    async def scenario():
        run = Run(source, dict(connection(sim), interval=INTERVAL))
        await first_poll(sim, run)
        new = [await asyncio.to_thread(sim.create, f"After start {index}", severity=2) for index in range(4)]
        await run.finish(4)
        return run, new

    run, new = asyncio.run(scenario())
    assert run.ids() == [incident["id"] for incident in new]  # each once, oldest first, none from before
    assert all(event["event"] == "new" for event in run.events)
    assert run.events[0]["incident"]["name"] == "After start 0"
    assert run.events[0]["incident"]["severity"] == 2
    # the new ones were searchable only after the old ones (made earlier, same lag): seen, and skipped
    assert not set(run.ids()) & {incident["id"] for incident in old}
    # every search is the open incidents, newest first, with an explicit size (a real server needs one)
    for entry in searches(sim):
        flt = entry["body"]["filter"]
        assert flt["query"] == "-status:closed" and flt["size"] == 100
        assert flt["sort"] == [{"field": "created", "asc": False}]
    assert sim.key not in caplog.text


@pytest.mark.parametrize("simulator", ["xsoar8-saas-advanced"], indirect=True)
def test_closed_incidents_are_not_events(source, sim):
    async def scenario():
        # a longer interval, so that create and close both happen between two polls
        run = Run(source, dict(connection(sim), interval=1.5))
        await first_poll(sim, run)
        closed = await asyncio.to_thread(sim.create, "Closed at once")
        # closed before the next poll: it never matches the default query
        await asyncio.to_thread(sim.close, closed)
        opened = await asyncio.to_thread(sim.create, "Stays open")
        await run.finish(1)
        return run, opened

    run, opened = asyncio.run(scenario())
    assert run.ids() == [opened["id"]]


@pytest.mark.parametrize("simulator", ["xsoar8-saas-advanced"], indirect=True)
def test_replay_delivers_existing_ones_once(source, sim):
    old = [sim.create(f"Existing {index}") for index in range(3)]

    async def scenario():
        run = Run(source, dict(connection(sim), interval=INTERVAL, replay=True))
        await run.until(lambda events: len(events) >= 3)
        new = await asyncio.to_thread(sim.create, "New one")
        await run.finish(4)
        return run, new

    run, new = asyncio.run(scenario())
    assert run.ids() == [incident["id"] for incident in old] + [new["id"]]


@pytest.mark.parametrize("simulator", ["xsoar8-saas-advanced"], indirect=True)
def test_incident_indexed_late_is_delivered_once(source, sim):
    """An incident that becomes searchable after newer ones were delivered (a real server's index lag).

    Here it is hidden from the query at first (another type) and then changed to match: to the source
    this is exactly a late index, an incident whose `created` is older than ones already seen.
    """

    async def scenario():
        run = Run(source, dict(connection(sim), interval=INTERVAL, query="type:Phishing"))
        await first_poll(sim, run)
        late = await asyncio.to_thread(sim.create, "Indexed late", type="Unclassified")
        on_time = await asyncio.to_thread(sim.create, "Indexed on time", type="Phishing")
        await run.until(lambda events: len(events) >= 1)
        await run.settle(3)
        await asyncio.to_thread(sim.update, late, type="Phishing")
        await run.finish(2)
        return run, late, on_time

    run, late, on_time = asyncio.run(scenario())
    assert run.ids() == [on_time["id"], late["id"]]
    assert run.events[1]["event"] == "new"


@pytest.mark.parametrize("simulator", ["xsoar8-saas-advanced"], indirect=True)
def test_modified_incidents_come_again(source, sim):
    async def scenario():
        run = Run(source, dict(connection(sim), interval=INTERVAL, modified=True))
        await first_poll(sim, run)
        incident = await asyncio.to_thread(sim.create, "Will change")
        await run.until(lambda events: len(events) >= 1)
        await run.settle(3)
        await asyncio.to_thread(sim.update, incident, severity=3)
        await run.finish(2)
        return run, incident

    run, incident = asyncio.run(scenario())
    assert run.ids() == [incident["id"], incident["id"]]
    assert [event["event"] for event in run.events] == ["new", "modified"]
    assert run.events[1]["incident"]["severity"] == 3
    assert run.events[1]["incident"]["version"] > run.events[0]["incident"]["version"]
    # each poll reads by modified (the changes), then by created (XSOAR 8's new incidents keep modified
    # 1970-01-01 until their first change, so they sort last by modified)
    fields = [entry["body"]["filter"]["sort"] for entry in searches(sim)]
    by_field = [{"field": "modified", "asc": False}], [{"field": "created", "asc": False}]
    assert fields == list(by_field) * (len(fields) // 2) and fields


@pytest.mark.parametrize("simulator", ["xsoar8-saas-advanced"], indirect=True)
def test_pages_through_a_burst(source, sim):
    """More new incidents within one interval than one page holds: all delivered, once."""

    async def scenario():
        run = Run(source, dict(connection(sim), interval=1.0, page_size=20))
        await first_poll(sim, run)
        burst = [await asyncio.to_thread(sim.create, f"Burst {index}") for index in range(45)]
        await run.finish(45, timeout=20, polls=2)
        return run, burst

    run, burst = asyncio.run(scenario())
    assert sorted(run.ids(), key=int) == [incident["id"] for incident in burst]
    assert len(run.ids()) == len(set(run.ids()))
    sizes = [entry["body"]["filter"]["size"] for entry in searches(sim)]
    assert sizes[0] == 20 and set(sizes) <= {20, 40, 80}, sizes  # wider reads only while the window needs them


def test_transient_errors_back_off_and_recover(source, sim, caplog):
    caplog.set_level(logging.INFO)
    # seven failed searches in a row: 503, a dropped connection, an answer that is not JSON, 500s
    sim.faults(
        {"api_path": "/incidents/search", "kind": "status", "status": 503, "times": 1},
        {"api_path": "/incidents/search", "kind": "drop", "times": 1},
        {"api_path": "/incidents/search", "kind": "malformed", "times": 1},
        {"api_path": "/incidents/search", "kind": "echo_headers", "times": 1},
        {"api_path": "/incidents/search", "kind": "status", "status": 500, "times": 3},
    )

    async def scenario():
        run = Run(source, dict(connection(sim), interval=0.1, retries=0, max_backoff=1.0))
        await first_poll(sim, run)
        incident = await asyncio.to_thread(sim.create, "After the outage")
        await run.finish(1, timeout=20, polls=3)
        return run, incident

    run, incident = asyncio.run(scenario())
    assert run.ids() == [incident["id"]]
    log = searches(sim)
    failed = [entry for entry in log if entry["fault"]]
    assert len(failed) == 7
    times = [datetime.datetime.fromisoformat(entry["time"].replace("Z", "+00:00")).timestamp() for entry in log]
    gaps = [later - earlier for earlier, later in zip(times, times[1:8])]
    # doubling from the interval (0.1 s, jittered 20 %), capped at max_backoff
    assert gaps[0] < 0.5 and gaps[3] > 0.6 and gaps[5] > 0.75 and max(gaps) < 1.6, gaps
    assert caplog.text.count("XSOAR poll failed") == 7
    assert "failed (7 in a row)" in caplog.text and "succeeded again after 7 failure(s)" in caplog.text
    assert sim.key not in caplog.text  # the echo_headers answer carried the key back


def test_bad_settings_fail_before_any_request(source, sim, monkeypatch):
    for var in ("XSOAR_URL", "XSOAR_API_KEY", "XSOAR_API_KEY_ID", "XSOAR_API_KEY_TYPE", "XSOAR_CA_PATH"):
        monkeypatch.delenv(var, raising=False)
    cases = [
        ({"api_key": sim.key}, "url"),
        (dict(connection(sim), url="https://xsoar.example.com/xsoar/public/v1"), "give the base address only"),
        (dict(connection(sim), interval=0), "interval must be a number of seconds above 0"),
        (dict(connection(sim), page_size=5000), "page_size must be between 1 and 1000"),
        (dict(connection(sim), quey="-status:closed"), "quey"),
        (dict(connection(sim), api_key=sim.key + "\n"), "api_key contains spaces"),
    ]
    for args, expected in cases:
        with pytest.raises(ValueError) as error:
            asyncio.run(source["main"](asyncio.Queue(), args))
        assert expected in str(error.value)
        assert sim.key not in str(error.value)
    assert sim.requests_log() == []


def test_wrong_key_ends_the_source_with_the_fix(source, sim):
    with pytest.raises(ValueError) as error:
        asyncio.run(source["main"](asyncio.Queue(), dict(connection(sim), api_key="0" * 48, retries=0)))
    assert "authentication failed" in str(error.value)
    assert "0" * 48 not in str(error.value)


def test_connection_from_the_environment(source, sim, monkeypatch):
    for var, value in sim.env.items():
        monkeypatch.setenv(var, value)

    async def scenario():
        run = Run(source, {"interval": INTERVAL})
        await first_poll(sim, run)
        incident = await asyncio.to_thread(sim.create, "From the environment")
        await run.until(lambda events: len(events) >= 1)
        await run.stop()
        return run, incident

    run, incident = asyncio.run(scenario())
    assert run.ids() == [incident["id"]]


def test_an_outage_by_refusal_ends_when_the_server_is_back(source, tmp_path, caplog):
    """The server is killed (connections refused) and restarted on the same port: polls resume.

    A module run stops at the first unreachable server; a source that runs for ever must keep trying.
    While it is down, an incident dated tomorrow is stored: it and the incidents after it all come.
    """
    caplog.set_level(logging.INFO)
    first = Simulator(tmp_path, "xsoar6", state_file=str(tmp_path / "state.json"))
    servers = [first]

    async def scenario():
        run = Run(source, dict(connection(first), interval=INTERVAL, retries=0, max_backoff=0.5))
        await first_poll(first, run)
        before = await asyncio.to_thread(first.create, "Before the outage")
        await run.until(lambda events: len(events) >= 1)
        first.stop()
        while caplog.text.count("connection refused") < 3:  # three failed polls in a row
            assert not run.task.done()
            await asyncio.sleep(0.05)
        future = store_incident_dated_tomorrow(tmp_path / "state.json", "Dated tomorrow")
        second = await asyncio.to_thread(first.restarted)
        servers.append(second)
        await run.until(lambda events: len(events) >= 2)
        after = [await asyncio.to_thread(second.create, f"After the outage {index}") for index in range(3)]
        await run.finish(5, timeout=10, polls=3)
        answered = [entry for entry in searches(second) if entry["status"] == 200]
        return run, [before, future] + after, answered

    try:
        run, expected, answered = asyncio.run(scenario())
    finally:
        for server in servers:
            server.stop()
    assert run.ids() == [incident["id"] for incident in expected]
    assert len(answered) >= 3  # polling goes on after the outage
    assert "XSOAR poll succeeded again after" in caplog.text
    assert first.key not in caplog.text


DNS_HOST = "xsoar-eda.resolver.test"


async def logged(caplog, text, count, run):
    """Wait until `text` is in the log `count` times (the source still running)."""
    deadline = time.monotonic() + 20
    while caplog.text.count(text) < count:
        assert time.monotonic() < deadline and not run.task.done(), caplog.text[-2000:]
        await asyncio.sleep(0.05)


def test_a_dns_outage_ends_when_the_resolver_is_back(source, tmp_path, caplog, monkeypatch):
    """The resolver fails the server's name, then hangs past timeout, then answers again: the source
    backs off through both, as through a refusal, and delivers the incidents before, during and after."""
    caplog.set_level(logging.INFO)
    server = Simulator(tmp_path, "xsoar6")
    real_getaddrinfo = socket.getaddrinfo
    resolver = {"state": "up"}
    released = threading.Event()

    def resolve(host, *args, **kwargs):
        if host == DNS_HOST:
            if resolver["state"] == "failing":
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            if resolver["state"] == "hanging":
                released.wait(30)
            host = "127.0.0.1"
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    url = server.url.replace("127.0.0.1", DNS_HOST)
    args = dict(connection(server), url=url, interval=INTERVAL, retries=0, timeout=1, max_backoff=0.5)

    async def scenario():
        run = Run(source, args)
        await first_poll(server, run)
        before = await asyncio.to_thread(server.create, "Before the DNS outage")
        await run.until(lambda events: len(events) >= 1)
        resolver["state"] = "failing"
        # the kept-alive connection needs no look-up: dropped, the next poll must make a new one
        server.faults({"api_path": "/incidents/search", "kind": "drop", "times": 1})
        await logged(caplog, f"cannot resolve host '{DNS_HOST}' (DNS)", 2, run)
        resolver["state"] = "hanging"
        await logged(caplog, f"could not resolve {DNS_HOST} within 1s", 2, run)
        during = await asyncio.to_thread(server.create, "During the DNS outage")
        resolver["state"] = "up"
        released.set()
        after = await asyncio.to_thread(server.create, "After the DNS outage")
        await run.finish(3, timeout=10, polls=3)
        return run, [before, during, after]

    try:
        run, expected = asyncio.run(scenario())
    finally:
        released.set()
        server.stop()
    assert run.ids() == [incident["id"] for incident in expected]
    assert "XSOAR poll succeeded again after" in caplog.text
    assert server.key not in caplog.text
