#!/usr/bin/env python
"""Drive the simulator's control API for runme.sh.

    simulator_control.py CONFIG reset|clear-requests|clear-faults|fail-create|slow SECONDS|count-incidents

reset forgets incidents, requests and faults; clear-requests only the request log (so a later check
sees one run's requests); clear-faults only the faults; fail-create makes the next create answer 500;
slow makes every API answer wait SECONDS (an XSOAR that is up but does not answer); count-incidents
prints how many incidents the simulator holds.
"""

import json
import ssl
import sys
import urllib.request

import yaml

with open(sys.argv[1], encoding="utf-8") as handle:
    config = yaml.safe_load(handle)
action = sys.argv[2]
bodies = {
    "reset": ("reset", {}),
    "clear-requests": ("reset", {"requests": True}),
    "clear-faults": ("reset", {"faults": True}),
}
if action == "fail-create":  # the next create answers 500 (not retried: its outcome is known)
    bodies[action] = (
        "faults",
        {"faults": [{"kind": "status", "status": 500, "method": "POST", "api_path": "/incident"}]},
    )
if action == "slow":
    bodies["slow"] = ("faults", {"faults": [{"kind": "slow", "delay": float(sys.argv[3]), "times": 100}]})
context = ssl.create_default_context(cafile=config["xsoar_ca_path"]) if config.get("xsoar_ca_path") else None
if action == "count-incidents":
    with urllib.request.urlopen(config["xsoar_simulator_url"] + "/_simulator/incidents", context=context) as answer:
        print(len(json.loads(answer.read())["incidents"]))
    sys.exit(0)
path, body = bodies[action]
request = urllib.request.Request(
    config["xsoar_simulator_url"] + "/_simulator/" + path,
    data=json.dumps(body).encode(),
    headers={"Content-Type": "application/json"},
    method="POST",
)
with urllib.request.urlopen(request, context=context) as answer:
    answer.read()
