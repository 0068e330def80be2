#!/usr/bin/env python
"""Check that every relative link of Markdown pages points to a file that exists.

    python scripts/checks/markdown_links.py README.md docs/*.md

Links inside code spans and code blocks are not links; absolute URLs and #anchors are not checked.
"""

import os
import re
import sys

# [text](target) outside code spans; a target is a path relative to the page, maybe with #anchor
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def main():
    broken = []
    for page in sys.argv[1:]:
        with open(page, encoding="utf-8") as handle:
            text = re.sub(r"```.*?```", "", handle.read(), flags=re.S)
        for target in LINK.findall(re.sub(r"`[^`]*`", "", text)):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            path = os.path.normpath(os.path.join(os.path.dirname(page), target.split("#")[0]))
            if not os.path.exists(path):
                broken.append(f"{page}: {target}")
    print("\n".join(broken) or f"{len(sys.argv) - 1} page(s), no broken relative link")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
