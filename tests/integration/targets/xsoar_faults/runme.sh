#!/usr/bin/env bash
# Faults of issue 6 against the simulator of this profile, plus a second simulator that serves
# HTTPS with its own self-signed certificate (tls_simulator.py, run by with_stand.py), so the TLS
# cases run on every profile.
set -eux
# ansible-test hands script targets no vars: read the simulator settings it copied two levels up.
python with_stand.py tls_simulator.py tls.yml ansible-playbook -i hosts.ini -e @../../integration_config.yml faults.yml "$@"
