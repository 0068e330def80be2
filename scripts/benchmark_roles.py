#!/usr/bin/env python
"""Measure the incident role against one bulk xsoar_incident task for the same incidents (issue 11).

    .venv/ansible-2.21/bin/python scripts/benchmark_roles.py [--count 200] [--pairs 5]

Starts an XSOAR 6 simulator (as scripts/benchmark.py does) and runs, PAIRS times interleaved, with new
names each time, from an empty store: one bulk task for COUNT new incidents (scripts/benchmark/xsoar_bulk.yml), then the
incident role for COUNT other new incidents (scripts/benchmark/incident_role.yml), then the role's re-run;
once more, the role from ten hosts (forks 10). Prints wall times, the requests the simulator counted and
the tasks Ansible reported changed, and the role/bulk ratio of the medians. It asserts nothing about time
(machines here are noisy); docs/performance.md holds a run.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

from benchmark import PLAYBOOKS, control, start_simulator, stop_simulator

TEN_HOSTS = "[fleet]\nhost[01:10]\n\n[fleet:vars]\nansible_connection=local\n"


def run(env, url, playbook, extra, inventory=None):
    """(seconds, requests, changed tasks) of one ansible-playbook run."""
    command = [
        os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
        os.path.join(PLAYBOOKS, playbook),
        "-e",
        json.dumps(extra),
    ] + (["-i", inventory, "-f", "10"] if inventory else [])
    before = control(url, "stats")["total"]
    started = time.time()
    output = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
    seconds = time.time() - started
    changed = sum(int(count) for count in re.findall(r"\bchanged=(\d+)", output))
    return seconds, control(url, "stats")["total"] - before, changed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--pairs", type=int, default=5)
    options = parser.parse_args()
    count = options.count
    workdir = tempfile.mkdtemp(prefix="xsoar-bench-roles.")
    try:
        env, url = start_simulator(workdir)
        control(url, "reset", "POST")
        times = {"bulk": [], "role": [], "rerun": []}
        for pair in range(options.pairs):
            bulk_names = [f"Bulk {pair}-{index}" for index in range(count)]
            role_names = [f"Role {pair}-{index}" for index in range(count)]
            for label, playbook, names in (
                ("bulk", "xsoar_bulk.yml", bulk_names),
                ("role", "incident_role.yml", role_names),
                ("rerun", "incident_role.yml", role_names),
            ):
                if label != "rerun":
                    control(url, "reset", "POST")  # the same (empty) store for both: its size costs time
                seconds, requests, changed = run(env, url, playbook, {"names": names})
                times[label].append(seconds)
                title = {
                    "bulk": f"{count} new: one bulk xsoar_incident task",
                    "role": f"{count} new: the incident role",
                    "rerun": f"{count} existing: the incident role again",
                }[label]
                print(
                    f"pair {pair + 1}: {title:<44} {seconds:6.2f} s {requests:5d} requests  changed tasks: {changed}",
                    flush=True,
                )
        inventory = os.path.join(workdir, "ten_hosts.ini")
        with open(inventory, "w") as handle:
            handle.write(TEN_HOSTS)
        control(url, "reset", "POST")
        fleet_names = [f"Fleet {index}" for index in range(count)]
        for label in (
            f"{count} new: the role on ten hosts (forks 10)",
            f"{count} existing: the role on ten hosts again",
        ):
            seconds, requests, changed = run(
                env, url, "incident_role.yml", {"names": fleet_names, "bench_hosts": "fleet"}, inventory
            )
            print(f"{label:<52} {seconds:6.2f} s {requests:5d} requests  changed tasks: {changed}")
        stored = [incident["name"] for incident in control(url, "incidents")["incidents"]]
        repeated = len(stored) - len(set(stored))
        print(f"incidents on the server: {len(stored)}, names seen more than once: {repeated}")
        medians = {label: statistics.median(values) for label, values in times.items()}
        bulk, role, rerun = medians["bulk"], medians["role"], medians["rerun"]
        print(f"medians: bulk {bulk:.2f} s, role {role:.2f} s, role re-run {rerun:.2f} s")
        ratios = [role_time / bulk_time for role_time, bulk_time in zip(times["role"], times["bulk"])]
        per_pair = ", ".join(f"{ratio:.2f}" for ratio in ratios)
        print(
            f"role / bulk, {count} new: {role / bulk:.2f}x"
            f" (median of {options.pairs} interleaved pairs; per pair: {per_pair})"
        )
    finally:
        stop_simulator(workdir)


if __name__ == "__main__":
    main()
