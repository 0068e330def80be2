# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Usage: argument_specs.py: the modules' own argument specs say no_log where they must, and only there.

api_key and proxy (its address may carry user:password@) are no_log; every option whose name looks
secret (key, token, secret, pass) states no_log either way; nothing else is no_log by accident. Each
module's main() runs until it builds its AnsibleModule, which records the spec and stops it; the
collection is found on ANSIBLE_COLLECTIONS_PATH (set by ansible-test).
"""

import importlib
import os
import pkgutil
import sys

from ansible.module_utils import basic

SECRET_WORDS = ("key", "token", "secret", "pass")


class Captured(Exception):
    """Raised in place of building the AnsibleModule, once its argument spec is kept."""


def argument_spec(name):
    """The argument spec module `name` builds its AnsibleModule with."""
    captured = {}

    def capture(self, argument_spec, **kwargs):
        captured["spec"] = argument_spec
        raise Captured()

    module = importlib.import_module("ansible_collections.xsoar.connector.plugins.modules." + name)
    original = basic.AnsibleModule.__init__
    basic.AnsibleModule.__init__ = capture
    try:
        module.main()
    except Captured:
        pass
    finally:
        basic.AnsibleModule.__init__ = original
    return captured["spec"]


def module_names():
    """Every module of the collection: a new one is checked without being listed here."""
    package = importlib.import_module("ansible_collections.xsoar.connector.plugins.modules")
    return sorted(info.name for info in pkgutil.iter_modules(package.__path__))


def main():
    sys.path[:0] = os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(os.pathsep)
    specs = {name: argument_spec(name) for name in module_names()}
    for name, spec in sorted(specs.items()):
        assert spec["api_key"].get("no_log") is True, name
        secret_looking = [option for option in spec if any(word in option for word in SECRET_WORDS)]
        assert all("no_log" in spec[option] for option in secret_looking), (name, secret_looking)
        # proxy: its address may carry user:password@
        assert sorted(option for option in spec if spec[option].get("no_log")) == ["api_key", "proxy"], name
    # a wrong path would find no module at all, and check nothing
    assert "xsoar_incident" in specs, sorted(specs)
    print("argument specs: api_key and proxy are no_log in {}".format(", ".join(sorted(specs))))


if __name__ == "__main__":
    main()
