#!/usr/bin/env bash
# Issue 13 point 7: the networking settings end to end, against real parts on 127.0.0.1 that
# network_stand.py starts (through xsoar_faults' with_stand.py): HTTP CONNECT proxies (open, with
# credentials, refusing) and an HTTPS simulator that requires a client certificate (mutual TLS).
# network.yml creates and finds incidents through them and checks the message of each misconfiguration.
set -eux
# no proxy from the environment of the test run itself
unset HTTPS_PROXY HTTP_PROXY https_proxy http_proxy NO_PROXY no_proxy ALL_PROXY all_proxy
# ansible-test hands script targets no vars: read the simulator settings it copied two levels up.
python ../xsoar_faults/with_stand.py network_stand.py network.yml \
    ansible-playbook -i hosts.ini -e @../../integration_config.yml network.yml "$@"
