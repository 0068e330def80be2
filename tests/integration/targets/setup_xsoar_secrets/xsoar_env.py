# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Usage: xsoar_env.py CONFIG [--set NAME=VALUE]...: print `export XSOAR_*=...` lines.

The lines hold the connection to the simulator in CONFIG (integration_config.yml): XSOAR_URL,
XSOAR_API_KEY, XSOAR_API_KEY_ID, XSOAR_API_KEY_TYPE and XSOAR_CA_PATH, each exported even when empty
(an empty XSOAR_API_KEY_ID or XSOAR_CA_PATH means unset, as AWX sends them), so that no XSOAR_* of the
caller's environment gets in. Each --set adds or replaces one variable (such as XSOAR_RETRIES=0).

A runme.sh writes them to a private file and sources it, so the key is on no command line and in no
`set -x` trace.
"""

import argparse
import shlex

import yaml


def variables(config, extra=()):
    env = {
        "XSOAR_URL": config["xsoar_url"],
        "XSOAR_API_KEY": config["xsoar_api_key"],
        "XSOAR_API_KEY_ID": config.get("xsoar_api_key_id") or "",
        "XSOAR_API_KEY_TYPE": config.get("xsoar_api_key_type") or "standard",
        "XSOAR_CA_PATH": config.get("xsoar_ca_path") or "",
    }
    for item in extra:
        name, dummy, value = item.partition("=")
        env[name] = value
    return env


def main():
    parser = argparse.ArgumentParser(description="export lines for the simulator's XSOAR_* variables")
    parser.add_argument("config", help="integration_config.yml")
    parser.add_argument(
        "--set",
        dest="extra",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="one more variable, or another value for one of them",
    )
    args = parser.parse_args()
    for item in args.extra:
        if "=" not in item or not item.split("=", 1)[0].isidentifier():
            parser.error("--set takes NAME=VALUE")
    with open(args.config, encoding="utf-8") as handle:
        config = yaml.safe_load(handle)
    for name, value in variables(config, args.extra).items():
        print(f"export {name}={shlex.quote(value)}")


if __name__ == "__main__":
    main()
