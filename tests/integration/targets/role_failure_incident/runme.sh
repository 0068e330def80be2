#!/usr/bin/env bash
# The failure_incident role from ten hosts at once (forks=10), run twice: one incident per failure.
set -eux
# ansible-test hands script targets no vars: read the simulator settings it copied two levels up.
config=../../integration_config.yml
ansible-playbook -i hosts.ini -e @$config reset.yml "$@"
ansible-playbook -i hosts.ini -f 10 -e @$config failures.yml "$@"
ansible-playbook -i hosts.ini -f 10 -e @$config failures.yml "$@"
ansible-playbook -i hosts.ini -e @$config misuse.yml "$@"
ansible-playbook -i hosts.ini -e @$config check.yml "$@"
