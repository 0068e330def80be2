#!/usr/bin/env python
"""Write ansible-test's cached pip bootstrap script as an offline stand-in.

ansible-test bootstraps pip into each venv it creates (sanity tests, ``--venv``) by
downloading ``get-pip-<version>.py`` from a host this project's machines cannot reach.
It first looks for a cached copy at ``~/.ansible/test/cache/get_pip_<version with _>.py``.
This script writes a small stand-in there that does the same job with what the machine has:
``python -m ensurepip --upgrade`` (in a subprocess: ensurepip sets PIP_CONFIG_FILE=/dev/null in
its own process, which would hide the machine's pip configuration), then
``python -m pip install <the arguments ansible-test passed>`` minus get-pip-only options.

Run it with the python of the venv that has ansible-core installed, so that the pip version
matches what that ansible-test asks for (it reads get_venv_packages() of the installed
ansible-test). Prints the paths it wrote. Idempotent.
"""

import ast
import os
import sys

STAND_IN = '''\
#!/usr/bin/env python
"""Offline stand-in for get-pip.py {version}, written by scripts/ansible-test-offline.py.

ansible-test runs this in a fresh venv (through quiet_pip.py and runpy) with pip options and
the packages to install, e.g. ``--disable-pip-version-check pip=={version} ...``.
"""
import subprocess
import sys

GET_PIP_ONLY = ("--no-setuptools", "--no-wheel")


def main():
    args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY]
    # ensurepip in a subprocess: it sets PIP_CONFIG_FILE=/dev/null in its own process.
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade"],
                          stdout=subprocess.DEVNULL)
    if args:
        subprocess.check_call([sys.executable, "-m", "pip", "install", "-q"] + args)


if __name__ == "__main__":
    main()
'''


def pip_versions_from_source(path):
    """Collect every pip version named in get_venv_packages() of python_requirements.py."""
    with open(path, encoding="utf-8") as handle:
        tree = ast.parse(handle.read(), path)
    versions = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == "get_venv_packages":
            for sub in ast.walk(node):
                if isinstance(sub, ast.keyword) and sub.arg == "pip" and isinstance(sub.value, ast.Constant):
                    versions.add(sub.value.value)
                if isinstance(sub, ast.Dict):
                    for key, value in zip(sub.keys, sub.values):
                        if (
                            isinstance(key, ast.Constant)
                            and key.value == "pip"
                            and isinstance(value, ast.Constant)
                            and isinstance(value.value, str)
                        ):
                            versions.add(value.value)
    return versions


def main():
    try:
        import ansible_test  # noqa: F401  (installed with ansible-core)
    except ImportError:
        sys.exit(
            f"ansible-test-offline: ansible_test is not importable with {sys.executable}; "
            "run this with the python of a venv that has ansible-core"
        )
    source = os.path.join(os.path.dirname(ansible_test.__file__), "_internal", "python_requirements.py")
    versions = {v for v in pip_versions_from_source(source) if v}
    if not versions:
        sys.exit(f"ansible-test-offline: no pip version found in get_venv_packages() of {source}")

    cache = os.path.expanduser("~/.ansible/test/cache")
    os.makedirs(cache, exist_ok=True)
    for version in sorted(versions):
        path = os.path.join(cache, "get_pip_{}.py".format(version.replace(".", "_")))
        content = STAND_IN.format(version=version)
        current = None
        if os.path.exists(path):
            with open(path, encoding="utf-8") as handle:
                current = handle.read()
        if current != content:
            tmp = path + f".tmp{os.getpid()}"
            with open(tmp, "w", encoding="utf-8") as handle:
                handle.write(content)
            os.replace(tmp, path)
        # a failed earlier download leaves an empty *.download file behind; it is harmless
        # but confusing, so drop it.
        leftover = path + ".download"
        if os.path.exists(leftover) and os.path.getsize(leftover) == 0:
            os.remove(leftover)
        print(path)


if __name__ == "__main__":
    main()
