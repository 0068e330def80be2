#!/usr/bin/env python
"""The floor's HTTP part: the requests of one bulk task (a search, then one create per name) sent by a
plain keep-alive requests session, with XSOAR_URL and XSOAR_API_KEY from the environment.

    python scripts/benchmark/floor_requests.py NAMES_FILE   (one name per line)
"""

import json
import os
import sys

import requests


def main():
    with open(sys.argv[1]) as handle:
        names = [line.rstrip("\n") for line in handle if line.strip()]
    url = os.environ["XSOAR_URL"]
    session = requests.Session()
    session.headers.update({"Authorization": os.environ["XSOAR_API_KEY"], "Content-Type": "application/json"})
    verify = os.environ.get("XSOAR_CA_PATH") or True
    session.post(
        url + "/incidents/search",
        data=json.dumps({"filter": {"name": names[:200], "notStatus": [2, 3], "page": 0, "size": 1000}}),
        verify=verify,
    ).raise_for_status()
    for name in names:
        session.post(
            url + "/incident", data=json.dumps({"name": name, "severity": 3}), verify=verify
        ).raise_for_status()


if __name__ == "__main__":
    main()
