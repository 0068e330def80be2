# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Usage: leak_check.py CONFIG DIR: fail if any file under DIR holds 8 or more consecutive characters of the key.

The key comes from CONFIG (integration_config.yml), never from the command line. A piece of the key is
as bad as the key: a server that echoes it and a cut snippet would show its beginning or its end.
Each leak is reported by file (the whole key, or how many pieces of it), never by what leaked.
Used by the runme.sh of targets whose aliases have needs/target/setup_xsoar_secrets.
"""

import os
import sys

import yaml

PIECE = 8


def pieces(key):
    return {key[start : start + PIECE] for start in range(len(key) - PIECE + 1)}


def main(config, directory):
    with open(config, encoding="utf-8") as handle:
        key = yaml.safe_load(handle)["xsoar_api_key"]
    wanted = pieces(key)
    if not wanted:
        print(f"FAIL: the key in {config} is shorter than {PIECE} characters: nothing to search for")
        return 1
    leaks = []
    checked = 0
    for root, _dummy, files in os.walk(directory):
        for name in files:
            path = os.path.join(root, name)
            with open(path, encoding="utf-8", errors="replace") as handle:
                text = handle.read()
            checked += 1
            found = sorted(piece for piece in wanted if piece in text)
            # say where, never what: the pieces are the key
            if key in text:
                leaks.append(f"{path}: the whole key")
            elif found:
                leaks.append(f"{path}: {len(found)} piece(s) of {PIECE} characters of the key")
    print(f"searched {checked} files for any {PIECE} characters of the key")
    for leak in leaks:
        print("FAIL: " + leak)
    return 1 if leaks or not checked else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
