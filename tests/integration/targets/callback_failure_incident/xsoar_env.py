#!/usr/bin/env python
"""Print `export XSOAR_*=...` lines for the simulator in integration_config.yml (argv[1]).

runme.sh writes them to a private file and sources it, so the key is on no command line and in no
`set -x` trace. argv[2], if given, replaces the url (an address where XSOAR is down).
"""

import shlex
import sys

import yaml

with open(sys.argv[1], encoding="utf-8") as handle:
    config = yaml.safe_load(handle)
env = {
    "XSOAR_URL": sys.argv[2] if len(sys.argv) > 2 else config["xsoar_url"],
    "XSOAR_API_KEY": config["xsoar_api_key"],
    "XSOAR_API_KEY_ID": config.get("xsoar_api_key_id") or "",
    "XSOAR_API_KEY_TYPE": config.get("xsoar_api_key_type") or "standard",
    "XSOAR_CA_PATH": config.get("xsoar_ca_path") or "",
}
for name, value in env.items():
    print("export %s=%s" % (name, shlex.quote(value)))
