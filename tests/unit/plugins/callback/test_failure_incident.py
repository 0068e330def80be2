# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the failure_incident callback: which failures a rescue section handles."""

import pytest

from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play import Play
from ansible.vars.manager import VariableManager

from ansible_collections.xsoar.connector.plugins.callback.failure_incident import will_be_rescued

PLAY = {
    "hosts": "localhost",
    "gather_facts": False,
    "tasks": [
        {"name": "plain", "debug": {"msg": "x"}},
        {
            "block": [
                {"name": "in block with rescue", "debug": {"msg": "x"}},
                {
                    "block": [{"name": "nested in block", "debug": {"msg": "x"}}],
                    "always": [{"name": "nested always", "debug": {"msg": "x"}}],
                },
            ],
            "rescue": [
                {"name": "in rescue", "debug": {"msg": "x"}},
            ],
            "always": [
                {"name": "in always", "debug": {"msg": "x"}},
            ],
        },
        {
            "block": [{"name": "in block without rescue", "debug": {"msg": "x"}}],
            "always": [{"name": "always without rescue", "debug": {"msg": "x"}}],
        },
        {
            "block": [
                {
                    "block": [{"name": "inner rescue's block", "debug": {"msg": "x"}}],
                    "rescue": [{"name": "inner rescue", "debug": {"msg": "x"}}],
                },
            ],
            "rescue": [{"name": "outer rescue", "debug": {"msg": "x"}}],
        },
    ],
}


def _tasks():
    loader = DataLoader()
    play = Play.load(PLAY, variable_manager=VariableManager(loader=loader), loader=loader)
    found = {}

    def walk(blocks):
        for block in blocks:
            for section in (block.block, block.rescue, block.always):
                for member in section:
                    if hasattr(member, "block"):
                        walk([member])
                    else:
                        found[member.name] = member

    walk(play.compile())
    return found


@pytest.mark.parametrize(
    "name, rescued",
    [
        ("plain", False),
        ("in block with rescue", True),
        ("nested in block", True),
        ("nested always", True),  # the outer block's rescue handles it
        ("in rescue", False),
        ("in always", False),
        ("in block without rescue", False),
        ("always without rescue", False),
        ("inner rescue's block", True),
        ("inner rescue", True),  # the outer rescue handles a failing inner rescue
        ("outer rescue", False),
    ],
)
def test_will_be_rescued(name, rescued):
    assert will_be_rescued(_tasks()[name]) is rescued
