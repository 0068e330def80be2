# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The client's wrong-deployment hints, as real servers answer (200 HTML, 500, 303), not only 404."""

from ansible_collections.xsoar.connector.plugins.module_utils.client import (
    html_message,
    redirect_message,
    root_path_hint,
)


def test_html_with_key_id_says_remove_it_or_use_the_api_address():
    message = html_message("https://xsoar6.example.com", 200, "17")
    assert "answered HTTP 200 with an HTML page" in message
    assert "remove api_key_id" in message and "XSOAR 6" in message
    assert "https://api-" in message


def test_html_without_key_id_is_the_web_ui():
    message = html_message("https://xsoar.example.com", 200, None)
    assert "web UI" in message and "remove api_key_id" not in message


def test_500_without_key_id_says_set_it():
    hint = root_path_hint(500, None)
    assert "set api_key_id" in hint and "HTTP 500" in hint
    assert root_path_hint(500, "17") == ""
    assert root_path_hint(502, None) == ""
    assert root_path_hint(400, None) == ""


def test_303_is_a_missing_public_route_not_the_web_ui():
    message = redirect_message("POST", "/incident/batchClose", "https://api-x.example.com/xsoar/public/v1", 303, "/")
    assert "POST https://api-x.example.com/xsoar/public/v1/incident/batchClose answered HTTP 303" in message
    assert "does not document" in message and "not the web UI" in message


def test_other_redirects_point_at_the_api_address():
    message = redirect_message("GET", "/about", "https://xsoar.example.com", 302, "https://sso.example.com/login")
    assert "HTTP 302" in message and "sso.example.com" in message and "API address" in message
