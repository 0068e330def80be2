#!/usr/bin/env python
"""Render reStructuredText pages as GitHub does (docutils with github/markup's settings); fail on any warning.

    python scripts/checks/render_reference.py docs/reference/*.rst

nox -e docs runs it over docs/reference/, the pages antsibull-docs generates from the module docs.
"""

import sys
import docutils.core
import docutils.utils


def main():
    # the settings GitHub renders RST with (github/markup rest2html), and halt on any warning
    settings = {"raw_enabled": True, "file_insertion_enabled": False, "halt_level": 2, "report_level": 2}
    failed = 0
    for path in sys.argv[1:]:
        with open(path, encoding="utf-8") as handle:
            try:
                docutils.core.publish_string(
                    handle.read(), source_path=path, writer_name="html", settings_overrides=settings
                )
            except docutils.utils.SystemMessage as error:
                print(f"{path}: {error}")
                failed += 1
    print(f"{len(sys.argv) - 1} page(s) rendered, {failed} with warnings")
    return 1 if failed or len(sys.argv) < 2 else 0


if __name__ == "__main__":
    sys.exit(main())
