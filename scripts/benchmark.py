#!/usr/bin/env python
"""Benchmark xsoar_incident against what users write instead (ansible.builtin.uri), on the simulator.

    .venv/ansible-2.21/bin/python scripts/benchmark.py [--count 200]
    .venv/ansible-2.21/bin/python scripts/benchmark.py --pairs 5 --counts 200,1000 [--collection DIR]
        [--latency-ms MS] [--parallel-writes N]

Starts an XSOAR 6 simulator (scripts/simulator.sh), installs nothing (the collection is used from
this checkout), and prints wall times and the HTTP requests the simulator counted for:
  1. one incident: an xsoar_incident task vs. the uri pair (search, then create when missing);
  2. COUNT new incidents: one bulk task vs. a loop of xsoar_incident vs. a loop of the uri pair;
  3. the same COUNT again (all exist);
  4. peak memory of the module process and the size of the module payload Ansible ships.
It reports; it asserts nothing about time (machines here are noisy). docs/performance.md holds a run.

With --pairs P it measures instead, for each COUNT, P interleaved pairs of (one bulk task of COUNT new
incidents, the floor): the floor is an ansible-playbook start with one trivial task plus the same
COUNT + 1 requests sent by a plain keep-alive requests session (scripts/benchmark/floor_requests.py).
Interleaving spreads the machine's noise over both sides. --collection measures another checkout of
the collection (for example `git archive main` unpacked) with the same harness. --latency-ms makes
every API request of both sides wait that long at the simulator (a remote server), --parallel-writes
sets the bulk task's option (its default otherwise).
"""

import argparse
import glob
import json
import os
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLAYBOOKS = os.path.join(ROOT, "scripts", "benchmark")


def control(url, path, method="GET", body=None):
    data = json.dumps(body or {}).encode() if method == "POST" else None
    request = urllib.request.Request(url + "/_simulator/" + path, method=method, data=data)
    with urllib.request.urlopen(request, context=ssl.create_default_context()) as answer:
        return json.loads(answer.read() or b"{}")


def run_playbook(env, playbook, extra):
    started = time.time()
    subprocess.run(
        [
            os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
            os.path.join(PLAYBOOKS, playbook),
            "-e",
            json.dumps(extra),
        ],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.time() - started


def measure(env, url, playbook, extra):
    before = control(url, "stats")["total"]
    seconds = run_playbook(env, playbook, extra)
    return seconds, control(url, "stats")["total"] - before


def module_footprint(env, workdir, names):
    """Peak RSS of one module process and the AnsiballZ payload size, from a kept payload."""
    keep = os.path.join(workdir, "keep")
    env = dict(env, ANSIBLE_KEEP_REMOTE_FILES="1", ANSIBLE_REMOTE_TMP=keep)
    run_playbook(env, "xsoar_bulk.yml", {"names": names})
    payload = sorted(glob.glob(os.path.join(keep, "*", "AnsiballZ_xsoar_incident.py")))[-1]
    args_file = os.path.join(workdir, "args.json")
    with open(args_file, "w") as handle:
        json.dump({"ANSIBLE_MODULE_ARGS": {"incidents": [{"name": name} for name in names]}}, handle)
    # A fresh parent, so that RUSAGE_CHILDREN sees the module process alone, not ansible-playbook.
    probe = (
        "import resource, subprocess, sys\n"
        "subprocess.run([sys.executable, sys.argv[1]], stdin=open(sys.argv[2]), stdout=subprocess.DEVNULL)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    peak_kib = int(
        subprocess.run(
            [sys.executable, "-c", probe, payload, args_file], env=env, check=True, capture_output=True, text=True
        ).stdout
    )
    return os.path.getsize(payload), peak_kib


def start_simulator(workdir, collection=ROOT):
    """An XSOAR 6 simulator for this checkout's collection: (environment for ansible-playbook, its url)."""
    subprocess.run(
        [os.path.join(ROOT, "scripts", "simulator.sh"), "start", "xsoar6", workdir],
        check=True,
        stdout=subprocess.DEVNULL,
        env=dict(os.environ, XSOAR_INTEGRATION_CONFIG=""),
    )
    settings = {}
    with open(os.path.join(workdir, "env")) as env_file:
        for line in env_file:
            if line.startswith("export "):
                key, value = line[len("export ") :].strip().split("=", 1)
                settings[key] = value.strip("'")
    collections = os.path.join(workdir, "collections", "ansible_collections", "xsoar")
    os.makedirs(collections)
    os.symlink(os.path.abspath(collection), os.path.join(collections, "connector"))
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=os.path.join(workdir, "collections"),
        ANSIBLE_LOCALHOST_WARNING="false",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
        **settings,
    )
    return env, settings["XSOAR_URL"]


def stop_simulator(workdir):
    subprocess.run([os.path.join(ROOT, "scripts", "simulator.sh"), "stop", workdir], check=False)


def floor(env, workdir, names):
    """Seconds of the floor for these names: the trivial playbook plus the plain requests session."""
    names_file = os.path.join(workdir, "floor-names.txt")
    with open(names_file, "w") as handle:
        handle.write("\n".join(names) + "\n")
    started = time.time()
    run_playbook(env, "trivial.yml", {})
    subprocess.run([sys.executable, os.path.join(PLAYBOOKS, "floor_requests.py"), names_file], env=env, check=True)
    return time.time() - started


def pairs(env, url, workdir, counts, rounds, bulk_options):
    for count in counts:
        ratios = []
        for round_number in range(rounds):
            names = [f"Pair {count} {round_number} {index}" for index in range(count)]
            control(url, "reset", "POST")
            bulk, bulk_requests = measure(env, url, "xsoar_bulk.yml", dict(bulk_options, names=names))
            control(url, "reset", "POST")
            before = control(url, "stats")["total"]
            base = floor(env, workdir, ["Floor " + name for name in names])
            floor_requests = control(url, "stats")["total"] - before
            ratios.append(bulk / base)
            print(
                f"{count:5d} new: bulk {bulk:6.2f} s ({bulk_requests} requests)"
                f"  floor {base:6.2f} s ({floor_requests} requests)  ratio {bulk / base:.2f}",
                flush=True,
            )
        ratios.sort()
        print(f"{count:5d} new: median ratio {ratios[len(ratios) // 2]:.2f} over {rounds} pairs", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--pairs", type=int, default=0, help="interleaved pairs of bulk vs. floor per count")
    parser.add_argument("--counts", default="200,1000", help="incident counts for --pairs")
    parser.add_argument("--collection", default=ROOT, help="the checkout of the collection to measure")
    parser.add_argument("--latency-ms", type=float, default=0, help="the simulator's wait per API request")
    parser.add_argument("--parallel-writes", type=int, help="the bulk task's parallel_writes (its default otherwise)")
    options = parser.parse_args()
    count = options.count
    workdir = tempfile.mkdtemp(prefix="xsoar-bench.")
    try:
        env, url = start_simulator(workdir, options.collection)
        control(url, "config", "POST", {"latency_ms": options.latency_ms})
        if options.pairs:
            bulk_options = {} if options.parallel_writes is None else {"parallel_writes": options.parallel_writes}
            pairs(env, url, workdir, [int(text) for text in options.counts.split(",")], options.pairs, bulk_options)
            return
        rows = []

        def row(label, playbook, extra):
            seconds, requests = measure(env, url, playbook, extra)
            rows.append((label, seconds, requests))
            print(f"{label:<58} {seconds:8.2f} s {requests:6d} requests", flush=True)

        control(url, "reset", "POST")
        row("1 incident: xsoar_incident task", "xsoar_bulk.yml", {"names": ["Bench single module"], "single": True})
        row("1 incident: uri pair (search, create)", "uri_loop.yml", {"names": ["Bench single uri"]})
        names = [f"Bench {index}" for index in range(count)]
        for label, playbook, prefix in (
            (f"{count} new: one bulk xsoar_incident task", "xsoar_bulk.yml", "bulk"),
            (f"{count} new: loop of xsoar_incident", "xsoar_loop.yml", "loop"),
            (f"{count} new: loop of the uri pair", "uri_loop.yml", "uri"),
        ):
            batch = [f"{prefix} {name}" for name in names]
            row(label, playbook, {"names": batch})
            what = label.split(": ", 1)[1]
            row(f"{count} existing: same again ({what})", playbook, {"names": batch})
        payload, peak = module_footprint(env, workdir, ["{} {}".format("bulk", name) for name in names])
        print(f"module payload (AnsiballZ_xsoar_incident.py): {payload} bytes")
        print(f"peak RSS of the module process ({count} existing incidents): {peak / 1024.0:.1f} MiB")
        times = {label: seconds for label, seconds, _requests in rows}
        bulk, uri = times[f"{count} new: one bulk xsoar_incident task"], times[f"{count} new: loop of the uri pair"]
        print(f"bulk vs uri loop, {count} new: {uri / bulk:.1f}x faster")
        single = times["1 incident: xsoar_incident task"] / times["1 incident: uri pair (search, create)"]
        print(f"single task vs uri pair: {single:.2f}x the time")
    finally:
        stop_simulator(workdir)


if __name__ == "__main__":
    main()
