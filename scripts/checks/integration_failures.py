#!/usr/bin/env python
"""Print what failed in an ansible-test integration run, read from its output.

    python scripts/checks/integration_failures.py TITLE LOG

LOG is the output of ``ansible-test integration --continue-on-error``. The summary names each target
that ran a task that failed and was not ignored, with that task's heading and its first lines, then
ansible-test's own closing error. CI shows only the end of a long run, and a failure can be thousands
of lines before that; scripts/ci_lanes.py prints these summaries again after every lane has ended.
The summary starts with a line ``BEGIN_MARK TITLE`` and ends with END_MARK.
"""

import re
import sys

BEGIN_MARK = "=== integration failures:"
END_MARK = "=== end of integration failures"
TARGET_LINE = re.compile(r"^Running (\S+) integration test (role|script)")
TASK_LINE = re.compile(r"^(TASK|RUNNING HANDLER) \[")
FAILED_LINE = re.compile(r"^(fatal|failed): \[")
COMMAND_FAILED = re.compile(r"^ERROR: Command .* returned exit status")
CLOSING_ERROR = re.compile(r"^(FATAL|ERROR): The \d+ integration test")
IGNORED_LINE = "...ignoring"
# lines kept of the last failed task, and of a target's output before ansible-test said it failed
TASK_LINES = 12
TAIL_LINES = 15
LINE_WIDTH = 600


def sections(lines):
    """{target: its lines}, from each ``Running TARGET integration test`` line to the next."""
    found = {}
    current = None
    for line in lines:
        match = TARGET_LINE.match(line)
        if match:
            current = found.setdefault(match.group(1), [])
        if current is not None:
            current.append(line)
    return found


def last_failed_task(lines):
    """(heading, first lines) of the last task that failed and was not ignored, or (None, []).

    A script target runs playbooks that fail on purpose, and a rescued task looks failed too: the
    last failure before ansible-test gave up is the one that counts.
    """
    last = (None, [])
    task = None
    index = 0
    while index < len(lines):
        line = lines[index]
        if TASK_LINE.match(line):
            task = line
        elif FAILED_LINE.match(line):
            block = [line]
            index += 1
            while index < len(lines) and not (TASK_LINE.match(lines[index]) or lines[index].startswith("PLAY")):
                block.append(lines[index])
                index += 1
            if not any(entry.strip() == IGNORED_LINE for entry in block):
                last = (task or "(no task heading)", block[:TASK_LINES])
            continue
        index += 1
    return last


def closing_error(lines):
    """ansible-test's closing error and the failed targets it lists, or []."""
    for index in range(len(lines) - 1, -1, -1):
        if CLOSING_ERROR.match(lines[index]):
            return lines[index:]
    return []


def failed_targets(by_target, error):
    """The targets the closing error lists, else those whose command ansible-test saw fail."""
    listed = [line.strip() for line in error[1:] if line.strip() in by_target]
    return listed or [name for name, lines in by_target.items() if any(COMMAND_FAILED.match(line) for line in lines)]


def failed_command_tail(lines):
    """The last TAIL_LINES lines of a target up to ansible-test's ``Command ... returned`` line."""
    ends = [index for index, line in enumerate(lines) if COMMAND_FAILED.match(line)]
    end = ends[-1] + 1 if ends else len(lines)
    return lines[max(0, end - TAIL_LINES) : end]


def summary(title, text):
    lines = text.splitlines()
    by_target = sections(lines)
    error = closing_error(lines)
    out = [f"{BEGIN_MARK} {title}"]
    for target in failed_targets(by_target, error):
        heading, block = last_failed_task(by_target[target])
        tail = failed_command_tail(by_target[target])
        if block:
            out.append(f"--- {target}: the last failed task")
            # when the end of the output shows its result, only the heading is missing there
            out.extend([heading] if block[0] in tail else [heading] + block)
        out.append(f"--- {target}: the end of its output")
        out.extend(tail)
    out.extend(error)
    if len(out) == 1:
        out.append("no failed target found in the output: see its end")
    out.append(END_MARK)
    return "\n".join(line[:LINE_WIDTH] for line in out)


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__)
    with open(argv[2], encoding="utf-8", errors="replace") as handle:
        print(summary(argv[1], handle.read()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
