# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""connector_check: telling the deployment from GET /about and from the other deployment's answers."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.xsoar.connector.plugins.module_utils import connector_check


@pytest.mark.parametrize("about, configured, deployment", [
    # XSOAR 6.10+ answers xsoar/opp exactly as XSOAR 8 on-prem does (demisto-sdk's fixtures)
    ({"demistoVersion": "6.14.0", "productMode": "xsoar", "deploymentMode": "opp"}, "xsoar8", "xsoar6"),
    ({"demistoVersion": "6.13.0", "productMode": "xsoar", "deploymentMode": "opp"}, "xsoar6", "xsoar6"),
    ({"demistoVersion": "6.5.0", "buildNum": "1"}, "xsoar6", "xsoar6"),
    ({"demistoVersion": "8.9.0", "productMode": "xsoar", "deploymentMode": "opp"}, "xsoar8", "xsoar8-opp"),
    ({"demistoVersion": "8.9.0", "productMode": "xsoar", "deploymentMode": "saas"}, "xsoar6", "xsoar8-saas"),
    ({"demistoVersion": "10.1.0"}, "xsoar6", "xsoar8-opp"),
    # no readable version: the deployment whose path answered
    ({"demistoVersion": "master", "deploymentMode": "saas"}, "xsoar8", "xsoar8-saas"),
    ({"demistoVersion": ""}, "xsoar6", "xsoar6"),
])
def test_deployment_of(about, configured, deployment):
    assert connector_check.deployment_of(about, configured) == deployment


@pytest.mark.parametrize("status, has_key_id, other", [
    (404, True, True), (404, False, True),
    (200, True, True),    # XSOAR 6's web app under /xsoar
    (200, False, False),  # the web UI itself
    (500, False, True),   # XSOAR 8 outside /xsoar
    (500, True, False),   # a real server error on the XSOAR 8 path
    (502, False, False),
])
def test_other_deployment_answer(status, has_key_id, other):
    assert connector_check.other_deployment_answer(status, has_key_id) is other


def test_prepare_takes_list_playbooks():
    assert connector_check.prepare({"incident": None, "list_playbooks": True}) == {"incident": None, "list_playbooks": True}
    assert connector_check.prepare({})["list_playbooks"] is False
