# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The logic of the read-only module xsoar_playbook_info: playbooks by name, or all of them."""

from __future__ import annotations

from typing import Any, NamedTuple

from ansible_collections.xsoar.connector.plugins.module_utils import incidents_api as api
from ansible_collections.xsoar.connector.plugins.module_utils.client import Client
from ansible_collections.xsoar.connector.plugins.module_utils.errors import XsoarInputError


PLAYBOOK_INFO_OPTIONS: dict[str, dict[str, Any]] = dict(
    name=dict(type="str"),
    match=dict(type="str", default="exact", choices=["exact", "contains"]),
)


class PlaybookQuery(NamedTuple):
    """The playbooks xsoar_playbook_info lists: all (no name), or by name, exactly or containing it."""

    name: str | None
    # exact or contains
    match: str


def prepare_playbooks(params: dict[str, Any]) -> PlaybookQuery:
    name = params.get("name")
    if name is not None and not name.strip():
        raise XsoarInputError(
            "name is empty: give a playbook name to filter by, or leave name out to list all playbooks"
        )
    return PlaybookQuery(name, params.get("match") or "exact")


def playbook_matches(playbook: dict[str, Any], name: str | None, match: str) -> bool:
    """Exact (case included) or case-insensitive substring comparison of a playbook's name."""
    if name is None:
        return True
    current = playbook.get("name")
    if not isinstance(current, str):
        return False
    if match == "contains":
        return name.lower() in current.lower()
    return current == name


def playbook_summary(playbook: dict[str, Any]) -> dict[str, Any]:
    tags = playbook.get("tags")
    if not isinstance(tags, list):
        tags = []
    return {"id": playbook.get("id"), "name": playbook.get("name"), "tags": list(tags)}


def all_playbooks(client: Client) -> list[dict[str, Any]]:
    return api.playbook_pages(client)


def find_playbooks(client: Client, name: str | None, match: str) -> list[dict[str, Any]]:
    """Playbooks by name without listing them all when the name is exact.

    The server's name search matches words, so the result is compared exactly here; if it finds
    no exact match (its tokenising is not documented), every playbook is read before concluding.
    """
    if name is not None and match == "exact":
        searched = api.playbook_pages(client, api.name_query(name))
        found = [p for p in searched if playbook_matches(p, name, match)]
        if found:
            return found
    return [p for p in all_playbooks(client) if playbook_matches(p, name, match)]


def run_playbooks(client: Client, plan: PlaybookQuery, check_mode: bool) -> dict[str, Any]:
    found = [playbook_summary(p) for p in find_playbooks(client, plan.name, plan.match)]
    return {"changed": False, "playbooks": found}
