# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""xsoar_connector_test's logic: named checks of a connector, each with what to fix."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from urllib.parse import urlsplit

from ansible_collections.xsoar.connector.plugins.module_utils import incident_state
from ansible_collections.xsoar.connector.plugins.module_utils import incidents_api as api
from ansible_collections.xsoar.connector.plugins.module_utils.arguments import validated_suboptions
from ansible_collections.xsoar.connector.plugins.module_utils.client import LEGACY_API_PREFIX
from ansible_collections.xsoar.connector.plugins.module_utils.errors import (
    XsoarAuthError,
    XsoarError,
    XsoarResponseError,
)

TEST_INCIDENT_OPTIONS = dict(
    name=dict(type="str", required=True),
    severity=dict(type="raw"),
    rule_severity=dict(type="str"),
    playbook=dict(type="str"),
    start_investigation=dict(type="bool", default=False),
    type=dict(type="str"),
    details=dict(type="str"),
    body=dict(type="raw"),
)
# xsoar_connector_test's own option; its sub-options are checked in prepare (arguments.without_suboptions).
MODULE_OPTIONS = dict(
    incident=dict(type="dict", options=TEST_INCIDENT_OPTIONS, mutually_exclusive=[("severity", "rule_severity")]),
)
CLOUD_DOMAIN = "paloaltonetworks.com"


class ConnectorCheckFailed(XsoarError):
    """A check failed; `result` carries the checks made so far for the module's failure output."""

    def __init__(self, message, result):
        super(ConnectorCheckFailed, self).__init__(message)
        self.result = result


def prepare(params):
    incident = validated_suboptions({"incident": params.get("incident")}, MODULE_OPTIONS)["incident"]
    if not incident:
        return {"incident": None}
    item = dict((option, incident.get(option)) for option in incident_state.ITEM_OPTIONS)
    item["state"] = "present"
    return {"incident": incident_state.prepare(dict(item, match_closed=False, update_existing=False))}


class _Report:
    def __init__(self, client):
        self.client = client
        self.checks = []
        self.facts = {"api_base": client.api_base, "deployment": None, "server_version": None,
                      "latency_ms": None, "playbooks": []}

    def ok(self, name, detail):
        self.checks.append({"name": name, "ok": True, "detail": detail})

    def fail(self, name, detail):
        self.checks.append({"name": name, "ok": False, "detail": detail})
        raise ConnectorCheckFailed("connector test failed at check %r: %s" % (name, detail), self.result(False))

    def result(self, changed):
        return dict(self.facts, checks=self.checks, changed=changed)


def run(client, plan, check_mode):
    report = _Report(client)
    about = _check_server(client, report)
    _check_tls(client, report)
    _check_deployment(client, about, report)
    _check_api(client, report)
    if not plan["incident"]:
        return report.result(False)
    outcome = incident_state.run(client, plan["incident"], check_mode)
    report.ok("test_incident", "%s incident %r%s" % (
        "would create" if check_mode and outcome["action"] == "created" else outcome["action"],
        plan["incident"]["items"][0]["name"], " (check mode: nothing sent)" if check_mode else ""))
    result = report.result(outcome["changed"])
    result.update(incident=outcome.get("incident"), action=outcome["action"], warnings=outcome.get("warnings", []))
    return result


def _about_base(client, family):
    return client.url + (LEGACY_API_PREFIX if family == "xsoar8" else "")


def _check_server(client, report):
    """Reach GET /about where the configured deployment has it; on 404 look where the other one has it."""
    family = client.deployment_family
    started = time.time()
    try:
        about = client.get("/about", base=_about_base(client, family)).json
    except XsoarResponseError as error:
        if error.status != 404:
            _fail_reach(client, report, error)
        report.fail("deployment", _family_mismatch(client, family))
    except XsoarError as error:
        _fail_reach(client, report, error)
    report.facts["latency_ms"] = round((time.time() - started) * 1000, 1)
    report.ok("reachable", "%s answered GET /about in %.0f ms" % (client.url, report.facts["latency_ms"]))
    if not isinstance(about, dict) or "demistoVersion" not in about:
        report.fail("api_address", "GET /about answered without demistoVersion: %s is not an XSOAR API address" % client.url)
    report.ok("api_address", "%s is an XSOAR API address" % client.url)
    return about


def _fail_reach(client, report, error):
    name = "authentication" if isinstance(error, XsoarAuthError) else (
        "api_address" if isinstance(error, XsoarResponseError) else "reachable")
    detail = str(error)
    if name == "api_address" and client.api_key_id:
        detail += _cloud_url_hint(client.url)
    report.fail(name, detail)


def _family_mismatch(client, family):
    """GET /about was not found where the configured deployment has it; say which setting is wrong."""
    other = "xsoar6" if family == "xsoar8" else "xsoar8"
    try:
        other_about = client.get("/about", base=_about_base(client, other)).json
        answered = isinstance(other_about, dict)
        version = (other_about or {}).get("demistoVersion", "?")
    except XsoarAuthError:
        answered, version = True, "?"  # XSOAR 8 rejects a request without a key id: it is there
    except XsoarError:
        answered, version = False, None
    if answered and other == "xsoar6":
        return ("api_key_id is set, but the server is XSOAR 6 (version %s), which has no key ids and no"
                " /xsoar/public/v1 API: remove api_key_id (and XSOAR_API_KEY_ID)" % version)
    if answered:
        return ("the server is XSOAR 8 (its API lives under /xsoar), but api_key_id is not set: set api_key_id"
                " to the ID shown beside the key (Settings & Info > Settings > Integrations > API Keys)")
    return ("%s has no XSOAR API (GET /about and GET /xsoar/about: HTTP 404): check the url, including the port"
            % client.url) + _cloud_url_hint(client.url)


def _cloud_url_hint(url):
    host = urlsplit(url).hostname or ""
    if host.endswith(CLOUD_DOMAIN) and not host.startswith("api-"):
        return "; for XSOAR 8 cloud the API address starts with api-: use https://api-%s" % host
    return ""


def _check_tls(client, report):
    if not client.url.startswith("https://"):
        report.ok("tls", "plain HTTP: the key and incidents travel unencrypted; use https:// outside a lab")
    elif client.validate_certs:
        report.ok("tls", "certificate verified")
    else:
        report.ok("tls", "certificate NOT verified (validate_certs: false); set ca_path instead")


def _check_deployment(client, about, report):
    version = about.get("demistoVersion")
    deployment = "xsoar8-%s" % about.get("deploymentMode", "opp") if about.get("productMode") else "xsoar6"
    report.facts.update(server_version=version, deployment=deployment)
    if deployment == "xsoar6" and client.api_key_id:
        report.fail("deployment", "api_key_id is set, but the server is XSOAR 6 (version %s): remove api_key_id" % version)
    if deployment != "xsoar6" and not client.api_key_id:
        report.fail("deployment", "the server is XSOAR 8 (%s, version %s): set api_key_id" % (deployment, version))
    report.ok("deployment", "%s, version %s; API base %s" % (deployment, version, client.api_base))


def _check_api(client, report):
    try:
        playbooks = api.list_playbooks(client)
    except XsoarError as error:
        report.fail("authentication" if isinstance(error, XsoarAuthError) else "api", str(error))
    report.facts["playbooks"] = sorted(str(playbook.get("name")) for playbook in playbooks)
    report.ok("authentication", "the key is valid: POST /playbook/search answered with %d playbooks" % len(playbooks))
