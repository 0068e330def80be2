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
            bulk_names = ["Bulk %d-%d" % (pair, index) for index in range(count)]
            role_names = ["Role %d-%d" % (pair, index) for index in range(count)]
            for label, playbook, names in (
                ("bulk", "xsoar_bulk.yml", bulk_names),
                ("role", "incident_role.yml", role_names),
                ("rerun", "incident_role.yml", role_names),
            ):
                if label != "rerun":
                    control(url, "reset", "POST")  # the same (empty) store for both: its size costs time
                seconds, requests, changed = run(env, url, playbook, {"names": names})
                times[label].append(seconds)
                print(
                    "pair %d: %-44s %6.2f s %5d requests  changed tasks: %d"
                    % (
                        pair + 1,
                        {
                            "bulk": "%d new: one bulk xsoar_incident task" % count,
                            "role": "%d new: the incident role" % count,
                            "rerun": "%d existing: the incident role again" % count,
                        }[label],
                        seconds,
                        requests,
                        changed,
                    ),
                    flush=True,
                )
        inventory = os.path.join(workdir, "ten_hosts.ini")
        with open(inventory, "w") as handle:
            handle.write(TEN_HOSTS)
        control(url, "reset", "POST")
        fleet_names = ["Fleet %d" % index for index in range(count)]
        for label in (
            "%d new: the role on ten hosts (forks 10)" % count,
            "%d existing: the role on ten hosts again" % count,
        ):
            seconds, requests, changed = run(
                env, url, "incident_role.yml", {"names": fleet_names, "bench_hosts": "fleet"}, inventory
            )
            print("%-52s %6.2f s %5d requests  changed tasks: %d" % (label, seconds, requests, changed))
        stored = [incident["name"] for incident in control(url, "incidents")["incidents"]]
        print(
            "incidents on the server: %d, names seen more than once: %d" % (len(stored), len(stored) - len(set(stored)))
        )
        medians = {label: statistics.median(values) for label, values in times.items()}
        print(
            "medians: bulk {:.2f} s, role {:.2f} s, role re-run {:.2f} s".format(
                medians["bulk"], medians["role"], medians["rerun"]
            )
        )
        print(
            "role / bulk, %d new: %.2fx (median of %d interleaved pairs; per pair: %s)"
            % (
                count,
                medians["role"] / medians["bulk"],
                options.pairs,
                ", ".join("%.2f" % (role / bulk) for role, bulk in zip(times["role"], times["bulk"])),
            )
        )
    finally:
        stop_simulator(workdir)


if __name__ == "__main__":
    main()
