# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every module must be in the action group, or module_defaults silently stop applying to it."""

import os

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def module_names():
    modules_dir = os.path.join(ROOT, "plugins", "modules")
    return sorted(name[:-3] for name in os.listdir(modules_dir) if name.endswith(".py") and not name.startswith("_"))


def test_every_module_is_in_the_xsoar_action_group():
    with open(os.path.join(ROOT, "meta", "runtime.yml")) as runtime_file:
        runtime = yaml.safe_load(runtime_file)
    group = runtime["action_groups"]["xsoar"]
    assert module_names(), "no modules found"
    assert sorted(group) == module_names()
