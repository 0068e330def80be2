# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""incident_state.prepare: task-level checks made before any request."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.xsoar.connector.plugins.module_utils import incident_state
from ansible_collections.xsoar.connector.plugins.module_utils.errors import XsoarInputError


def params(**changes):
    values = dict((option, None) for option in incident_state.module_argument_spec())
    values.update(state="present", start_investigation=False, match_closed=False, update_existing=False,
                  continue_on_item_error=False)
    values.update(changes)
    return values


@pytest.mark.parametrize("option", ["close_reason", "close_notes"])
def test_close_options_without_a_close(option):
    with pytest.raises(XsoarInputError) as error:
        incident_state.prepare(params(name="n", **{option: "Resolved"}))
    message = str(error.value)
    assert message.startswith("%s only applies with state: closed" % option)
    assert "set state: closed" in message and "remove %s" % option in message


def test_close_options_without_a_closed_item_in_bulk():
    with pytest.raises(XsoarInputError, match="close_reason only applies with state: closed"):
        incident_state.prepare(params(close_reason="Resolved", incidents=[{"name": "a"}, {"name": "b", "state": "absent"}]))


def test_close_options_with_a_close():
    plan = incident_state.prepare(params(name="n", state="closed", close_reason="Resolved", close_notes="done"))
    assert plan["task"]["close_reason"] == "Resolved"
    plan = incident_state.prepare(params(close_reason="Resolved", incidents=[{"name": "a"}, {"name": "b", "state": "closed"}]))
    assert [item["state"] for item in plan["items"]] == ["present", "closed"]
