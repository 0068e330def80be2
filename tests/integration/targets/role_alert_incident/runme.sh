#!/usr/bin/env bash
# The alert_incident role from ten hosts at once (forks=10): alerts in both shapes, recoveries, re-runs.
set -eux
# ansible-test hands script targets no vars: read the simulator settings it copied two levels up.
ansible-playbook -i hosts.ini -f 10 -e @../../integration_config.yml role_alert_incident.yml "$@"
