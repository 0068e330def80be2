# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""xsoar_connector_test's logic: named checks of a connector, each with what to fix."""

from __future__ import annotations

import time
from typing import Any, Callable, NoReturn, TypedDict

from urllib.parse import urlsplit

from ansible_collections.xsoar.connector.plugins.module_utils import incident_flow
from ansible_collections.xsoar.connector.plugins.module_utils import incidents_api as api
from ansible_collections.xsoar.connector.plugins.module_utils import playbook_info
from ansible_collections.xsoar.connector.plugins.module_utils import lifecycle
from ansible_collections.xsoar.connector.plugins.module_utils.arguments import validated_suboptions
from ansible_collections.xsoar.connector.plugins.module_utils.client import Client, api_bases
from ansible_collections.xsoar.connector.plugins.module_utils.desired import DesiredRun
from ansible_collections.xsoar.connector.plugins.module_utils.errors import (
    XsoarAuthError,
    XsoarError,
    XsoarResponseError,
)

TEST_INCIDENT_OPTIONS: dict[str, dict[str, Any]] = dict(
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
MODULE_OPTIONS: dict[str, dict[str, Any]] = dict(
    incident=dict(type="dict", options=TEST_INCIDENT_OPTIONS, mutually_exclusive=[("severity", "rule_severity")]),
    list_playbooks=dict(type="bool", default=False),
    lifecycle=dict(type="bool", default=False),
    lifecycle_wait=dict(type="float", default=lifecycle.DEFAULT_WAIT),
)
CLOUD_DOMAIN = "paloaltonetworks.com"


class ConnectorCheckFailed(XsoarError):
    """A check failed; `result` carries the checks made so far for the module's failure output."""

    def __init__(self, message: str, result: dict[str, Any]) -> None:
        super().__init__(message)
        self.result = result


class ConnectorPlan(TypedDict):
    """xsoar_connector_test's validated options."""

    lifecycle: bool
    lifecycle_wait: float
    list_playbooks: bool
    incident: DesiredRun | None  # the test incident to create, as xsoar_incident would


def prepare(params: dict[str, Any]) -> ConnectorPlan:
    incident = validated_suboptions({"incident": params.get("incident")}, {"incident": MODULE_OPTIONS["incident"]})[
        "incident"
    ]
    lifecycle_wait = lifecycle.check_wait(params.get("lifecycle_wait"))
    test_incident = None
    if incident:
        item = {option: incident.get(option) for option in incident_flow.ITEM_OPTIONS}
        item["state"] = "present"
        test_incident = incident_flow.prepare(dict(item, match_closed=False, update_existing=False))
    return ConnectorPlan(
        lifecycle=bool(params.get("lifecycle")),
        lifecycle_wait=lifecycle_wait,
        list_playbooks=bool(params.get("list_playbooks")),
        incident=test_incident,
    )


class _Report:
    def __init__(self, client: Client) -> None:
        self.client = client
        self.checks: list[dict[str, Any]] = []
        self.facts: dict[str, Any] = {
            "api_base": client.api_base,
            "deployment": None,
            "server_version": None,
            "latency_ms": None,
        }
        self.warnings: list[str] = []
        self.wrote = False  # the lifecycle self-test wrote (and deleted) an incident

    def ok(self, name: str, detail: str) -> None:
        self.checks.append({"name": name, "ok": True, "detail": detail})

    def fail(self, name: str, detail: str) -> NoReturn:
        self.checks.append({"name": name, "ok": False, "detail": detail})
        raise ConnectorCheckFailed(f"connector test failed at check {name!r}: {detail}", self.result(False))

    def result(self, changed: bool) -> dict[str, Any]:
        return dict(self.facts, checks=self.checks, changed=changed or self.wrote, warnings=list(self.warnings))


def run(client: Client, plan: ConnectorPlan, check_mode: bool) -> dict[str, Any]:
    report = _Report(client)
    about = _check_server(client, report)
    _check_tls(client, report)
    _check_deployment(client, about, report)
    _check_api(client, report)
    if plan.get("list_playbooks"):
        _list_playbooks(client, report)
    if plan.get("lifecycle"):
        _self_test(client, report, plan["lifecycle_wait"], check_mode)
    if not plan["incident"]:
        return report.result(False)
    outcome = incident_flow.run(client, plan["incident"], check_mode)
    report.ok(
        "test_incident",
        "{} incident {!r}{}".format(
            "would create" if check_mode and outcome["action"] == "created" else outcome["action"],
            plan["incident"].items[0].name,
            " (check mode: nothing sent)" if check_mode else "",
        ),
    )
    result = report.result(outcome["changed"])
    result.update(incident=outcome.get("incident"), action=outcome["action"])
    result["warnings"] += outcome.get("warnings", [])
    return result


def _self_test(
    client: Client, report: _Report, wait: float, check_mode: bool, clock: Callable[[], float] = time.monotonic
) -> None:
    """lifecycle: true: the checks create, find, update, close and delete (lifecycle.py); not in check mode."""
    if check_mode:
        report.warnings.append("lifecycle: true was skipped in check mode: the self-test writes to the server")
        return
    outcome = lifecycle.run(client, wait, clock)
    report.wrote = bool(outcome.checks) and outcome.checks[0].ok  # the create passed: it wrote (and deleted)
    for check in outcome.checks:
        report.checks.append({"name": check.name, "ok": check.ok, "detail": check.detail, "seconds": check.seconds})
    report.facts["index_lag_s"] = outcome.index_lag_s
    if outcome.failure is not None:
        failed = outcome.checks[-1].name
        raise ConnectorCheckFailed(f"connector test failed at check {failed!r}: {outcome.failure}", report.result(True))


def _about_base(client: Client, family: str) -> str | None:
    return api_bases(client.url, family == "xsoar8")[1]


def _check_server(client: Client, report: _Report) -> dict[str, Any]:
    """Reach GET /about where the configured deployment has it; on 404 look where the other one has it."""
    family = client.deployment_family
    started = time.time()
    try:
        about = client.get("/about", base=_about_base(client, family)).json
    except XsoarAuthError as error:
        _fail_reach(client, report, error)
    except XsoarResponseError as error:
        if not other_deployment_answer(error.status, bool(client.api_key_id)):
            _fail_reach(client, report, error)
        mismatch = _family_mismatch(client, family)
        if mismatch is None and error.status == 404:
            report.fail(
                "api_address",
                (
                    f"{client.url} has no XSOAR API (GET /about and GET /xsoar/about: HTTP 404): check the"
                    " url, including the port"
                )
                + _cloud_url_hint(client.url),
            )
        if mismatch is None:
            _fail_reach(client, report, error)
        report.fail("deployment", mismatch)
    except XsoarError as error:
        _fail_reach(client, report, error)
    report.facts["latency_ms"] = round((time.time() - started) * 1000, 1)
    report.ok("reachable", "{} answered GET /about in {:.0f} ms".format(client.url, report.facts["latency_ms"]))
    if not isinstance(about, dict) or "demistoVersion" not in about:
        report.fail(
            "api_address", f"GET /about answered without demistoVersion: {client.url} is not an XSOAR API address"
        )
    report.ok("api_address", f"{client.url} is an XSOAR API address")
    return about


def _fail_reach(client: Client, report: _Report, error: XsoarError) -> NoReturn:
    name = (
        "authentication"
        if isinstance(error, XsoarAuthError)
        else ("api_address" if isinstance(error, XsoarResponseError) else "reachable")
    )
    detail = str(error)
    if name == "api_address" and client.api_key_id:
        detail += _cloud_url_hint(client.url)
    report.fail(name, detail)


def other_deployment_answer(status: int | None, has_key_id: bool) -> bool:
    """Whether a failed GET /about is what the *other* deployment answers for this path.

    A key id sends it to /xsoar/about: XSOAR 6 answers 200 with its web app there (the error then
    carries status 200). Without one it goes to /about: XSOAR 8 answers root paths with 500.
    Either may also be a plain 404 (a proxy in front, or an older server).
    """
    return status == 404 or (status == 200 and has_key_id) or (status == 500 and not has_key_id)


def family_of(about: dict[str, Any], configured: str) -> str:
    """xsoar6 or xsoar8 from GET /about: the major of demistoVersion decides.

    productMode/deploymentMode do not: XSOAR 6.10+ answers xsoar/opp exactly as XSOAR 8 on-prem
    does. Without a readable version, the deployment whose path answered is taken.
    """
    major = str(about.get("demistoVersion") or "").split(".", 1)[0]
    if major.isdigit():
        return "xsoar6" if int(major) < 8 else "xsoar8"
    return configured


def deployment_of(about: dict[str, Any], configured: str) -> str:
    """xsoar6, xsoar8-opp or xsoar8-saas (deploymentMode, opp when absent)."""
    if family_of(about, configured) == "xsoar6":
        return "xsoar6"
    mode = about.get("deploymentMode") or "opp"
    return f"xsoar8-{mode}"


def _family_mismatch(client: Client, family: str) -> str | None:
    """GET /about failed where the configured deployment has it: ask where the other one has it.

    The message says which setting is wrong, or None when the other deployment is not there either.
    """
    other = "xsoar6" if family == "xsoar8" else "xsoar8"
    try:
        other_about = client.get("/about", base=_about_base(client, other)).json
    except XsoarAuthError:
        if other == "xsoar6":
            return None
        other_about = {}  # XSOAR 8 rejects a request without a key id: it is there
    except XsoarError:
        return None
    if not isinstance(other_about, dict) or family_of(other_about, other) != other:
        return None
    version = other_about.get("demistoVersion") or "?"
    if other == "xsoar6":
        return (
            f"api_key_id is set, but the server is XSOAR 6 (version {version}), which has no key ids and no"
            " /xsoar/public/v1 API (it answers /xsoar paths with its web app): remove api_key_id (and"
            " XSOAR_API_KEY_ID)"
        )
    return (
        f"the server is XSOAR 8 (version {version}; its API lives under /xsoar, and it answers other paths with"
        " HTTP 500), but api_key_id is not set: set api_key_id to the ID shown beside the key (Settings &"
        " Info > Settings > Integrations > API Keys)"
    )


def _cloud_url_hint(url: str) -> str:
    host = urlsplit(url).hostname or ""
    if host.endswith(CLOUD_DOMAIN) and not host.startswith("api-"):
        return f"; for XSOAR 8 cloud the API address starts with api-: use https://api-{host}"
    return ""


def _check_tls(client: Client, report: _Report) -> None:
    if not client.url.startswith("https://"):
        report.ok("tls", "plain HTTP: the key and incidents travel unencrypted; use https:// outside a lab")
    elif client.validate_certs:
        report.ok("tls", "certificate verified")
    else:
        report.ok("tls", "certificate NOT verified (validate_certs: false); set ca_path instead")


def _check_deployment(client: Client, about: dict[str, Any], report: _Report) -> None:
    version = about.get("demistoVersion")
    deployment = deployment_of(about, client.deployment_family)
    report.facts.update(server_version=version, deployment=deployment)
    if deployment == "xsoar6" and client.api_key_id:
        report.fail(
            "deployment", f"api_key_id is set, but the server is XSOAR 6 (version {version}): remove api_key_id"
        )
    if deployment != "xsoar6" and not client.api_key_id:
        report.fail("deployment", f"the server is XSOAR 8 ({deployment}, version {version}): set api_key_id")
    report.ok("deployment", f"{deployment}, version {version}; API base {client.api_base}")


def _check_api(client: Client, report: _Report) -> None:
    """Prove the key on the modules' own API path with one cheap call: a search of size 1.

    Not a listing of every playbook: real tenants hold thousands, and listing them takes 30-90 s.
    """
    try:
        total = api.search(client, {}, limit=1)[0]
    except XsoarError as error:
        report.fail("authentication" if isinstance(error, XsoarAuthError) else "api", str(error))
    report.ok("authentication", f"the key is valid: POST /incidents/search answered ({total} incidents visible)")


def _list_playbooks(client: Client, report: _Report) -> None:
    try:
        playbooks = playbook_info.all_playbooks(client)
    except XsoarError as error:
        report.fail("playbooks", str(error))
    report.facts["playbooks"] = sorted(str(playbook.get("name")) for playbook in playbooks)
    report.ok("playbooks", f"POST /playbook/search listed {len(playbooks)} playbooks")
