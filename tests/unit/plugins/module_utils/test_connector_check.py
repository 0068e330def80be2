# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""connector_check: telling the deployment from GET /about and from the other deployment's answers."""

import pytest

from ansible_collections.xsoar.connector.plugins.module_utils import connector_check
from ansible_collections.xsoar.connector.plugins.module_utils.errors import XsoarAuthError, XsoarResponseError


@pytest.mark.parametrize(
    "about, configured, deployment",
    [
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
    ],
)
def test_deployment_of(about, configured, deployment):
    assert connector_check.deployment_of(about, configured) == deployment


@pytest.mark.parametrize(
    "status, has_key_id, other",
    [
        (404, True, True),
        (404, False, True),
        (200, True, True),  # XSOAR 6's web app under /xsoar
        (200, False, False),  # the web UI itself
        (500, False, True),  # XSOAR 8 outside /xsoar
        (500, True, False),  # a real server error on the XSOAR 8 path
        (502, False, False),
    ],
)
def test_other_deployment_answer(status, has_key_id, other):
    assert connector_check.other_deployment_answer(status, has_key_id) is other


def test_prepare_takes_list_playbooks():
    assert connector_check.prepare({"incident": None, "list_playbooks": True}) == {
        "incident": None,
        "list_playbooks": True,
        "lifecycle": False,
        "lifecycle_wait": 60.0,
    }
    assert connector_check.prepare({})["list_playbooks"] is False


class AboutServer:
    """Answers GET /about by base address: a dict is the JSON answer, an exception is raised."""

    def __init__(self, api_key_id, answers):
        self.url = "https://xsoar.example.com"
        self.api_key_id = api_key_id
        self.deployment_family = "xsoar8" if api_key_id else "xsoar6"
        self.api_base = self.url + ("/xsoar/public/v1" if api_key_id else "")
        self.validate_certs = True
        self.answers = answers
        self.asked = []

    def get(self, path, base=None, **kwargs):
        assert path == "/about"
        where = base[len(self.url) :] or "/"
        self.asked.append(where)
        answer = self.answers[where]
        if isinstance(answer, Exception):
            raise answer

        class Answer:
            json = answer

        return Answer()


def html(status=200):
    return XsoarResponseError(f"answered HTTP {status} with an HTML page", status)


XSOAR6_ABOUT = {"demistoVersion": "6.14.0", "productMode": "xsoar", "deploymentMode": "opp"}


@pytest.mark.parametrize(
    "api_key_id, answers, check, words",
    [
        # a key id against XSOAR 6: its web app under /xsoar, its API at the root
        ("17", {"/xsoar": html(), "/": XSOAR6_ABOUT}, "deployment", "remove api_key_id"),
        # no key id against XSOAR 8: 500 at the root, 401 (no key id) under /xsoar
        (
            None,
            {"/": XsoarResponseError("HTTP 500", 500), "/xsoar": XsoarAuthError("HTTP 401", 401)},
            "deployment",
            "set api_key_id",
        ),
        (
            None,
            {"/": XsoarResponseError("HTTP 404", 404), "/xsoar": {"demistoVersion": "8.9.0"}},
            "deployment",
            "set api_key_id",
        ),
        # neither deployment answers
        (
            "17",
            {"/xsoar": XsoarResponseError("HTTP 404", 404), "/": XsoarResponseError("HTTP 404", 404)},
            "api_address",
            "has no XSOAR API",
        ),
        # the web UI: HTML on both paths
        ("17", {"/xsoar": html(), "/": html()}, "api_address", "HTML page"),
        # a real 500 on XSOAR 6: /xsoar is the web app, so the original error stands
        (None, {"/": XsoarResponseError("GET /about: HTTP 500 boom", 500), "/xsoar": html()}, "api_address", "boom"),
        # an answer from the other path that is not the other deployment proves nothing
        (None, {"/": XsoarResponseError("HTTP 500 x", 500), "/xsoar": XSOAR6_ABOUT}, "api_address", "HTTP 500 x"),
    ],
)
def test_check_server_on_the_other_deployments_answers(api_key_id, answers, check, words):
    client = AboutServer(api_key_id, answers)
    with pytest.raises(connector_check.ConnectorCheckFailed) as failed:
        connector_check.run(client, {"incident": None, "list_playbooks": False}, False)
    last = failed.value.result["checks"][-1]
    assert last["name"] == check and not last["ok"]
    assert words in last["detail"]
