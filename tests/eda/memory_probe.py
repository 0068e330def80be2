"""Run by test_source_memory.py in a process of its own: the xsoar_incidents source polls for a number of
polls while tracemalloc measures what the process holds; prints the measures as one line of JSON.

A process of its own, so that nothing of other tests (their threads, log records, caches) is traced.
Usage: memory_probe.py SOURCE_PATH URL API_KEY POLLS
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import runpy
import sys
import threading
import tracemalloc

# the fraction of the polls after which tracing starts, and the first measure (a warm-up before both)
TRACE_FROM = 0.05
FIRST_MEASURE = 0.1


def top_growth(before, after, count=5):
    """The lines that grew most between two snapshots: what to look at when the bound fails."""
    return [str(stat) for stat in after.compare_to(before, "lineno")[:count]]


class Probe:
    """Wraps the poller's poll: counts polls and measures the traced memory at three of them."""

    def __init__(self, poller, polls):
        self.real_poll = poller.poll
        self.polls = polls
        self.count = 0
        self.done = threading.Event()
        self.trace_from = int(polls * TRACE_FROM)
        middle = (FIRST_MEASURE + 1) / 2
        self.checkpoints = {int(polls * FIRST_MEASURE): "first", int(polls * middle): "middle", polls: "last"}
        self.measures = {}
        self.snapshots = {}
        self.error = None

    def poll(self, client, tracker, *args, **kwargs):
        events = self.real_poll(client, tracker, *args, **kwargs)
        self.count += 1
        try:
            self.after_poll(client, tracker)
        except Exception as error:  # the source would take it for a failed poll and go on for ever
            self.error = error
            self.done.set()
        return events

    def after_poll(self, client, tracker):
        if self.count == self.trace_from:
            tracemalloc.start()
        name = self.checkpoints.get(self.count)
        if name:
            self.measure(name, client, tracker)
        if self.count == self.polls:
            tracemalloc.stop()
            self.done.set()

    def measure(self, name, client, tracker):
        gc.collect()  # cyclic garbage (a finished watchdog thread) is memory the collector takes back
        if name == "middle":  # before the measure: the snapshot is held in the later measure too
            self.snapshots[name] = tracemalloc.take_snapshot()
        traced = tracemalloc.get_traced_memory()[0]
        if name == "last":
            self.snapshots[name] = tracemalloc.take_snapshot()
        self.measures[name] = {
            "poll": self.count,
            "traced": traced,
            "requests": client.request_count,
            "known_ids": len(tracker.known),
            "sessions": len(client._sessions),
            "threads": threading.active_count(),
        }


async def run(source, args, probe):
    queue = asyncio.Queue()
    task = asyncio.ensure_future(source["main"](queue, args))
    while not probe.done.is_set():
        if task.done():
            task.result()  # the source's error
            raise RuntimeError("the source returned")
        await asyncio.sleep(0.1)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return queue.qsize()


def main():
    source_path, url, key, polls = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    source = runpy.run_path(source_path)
    poller = source["incident_poller"]
    probe = Probe(poller, polls)
    poller.poll = probe.poll  # the source calls incident_poller.poll once per poll
    args = {
        "url": url,
        "api_key": key,
        "api_key_id": "42",
        "api_key_type": "advanced",
        "interval": 0.001,
        "replay": True,
        "timeout": 10,
    }
    events = asyncio.run(run(source, args, probe))
    if probe.error is not None:
        raise probe.error
    result = dict(probe.measures, events=events)
    result["growth_first_half"] = probe.measures["middle"]["traced"] - probe.measures["first"]["traced"]
    result["growth_second_half"] = probe.measures["last"]["traced"] - probe.measures["middle"]["traced"]
    result["top_second_half"] = top_growth(probe.snapshots["middle"], probe.snapshots["last"])
    print(json.dumps(result))


if __name__ == "__main__":
    main()
