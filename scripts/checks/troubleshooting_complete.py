#!/usr/bin/env python
"""Check that docs/troubleshooting.md has a row for every message the plugins and roles can print,
and no row for a message that no longer exists.

    python scripts/checks/troubleshooting_complete.py docs/troubleshooting.md plugins/*/*.py \\
        extensions/eda/plugins/*/*.py roles/*/tasks/*.yml playbooks/*.yml

A row's first cell holds `code` fragments of the message, ``...`` where the message varies.
"""

import ast
import re
import sys

import yaml


def message_text(node):
    """The text of a string literal or an f-string (``...`` for each value it formats), else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if not isinstance(node, ast.JoinedStr):
        return None
    parts = []
    for part in node.values:
        if isinstance(part, ast.Constant):
            parts.append(part.value)
        else:
            parts.append("...")
    return "".join(parts)


def source_messages(path):
    """The message texts of a plugin file: its string literals, minus docstrings, module docs,
    dict keys and values, comparisons and regular expressions (lookup data, not messages)."""
    with open(path, encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    data = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr):
            data.add(id(node.value))
        if isinstance(node, ast.Assign) and any(
            getattr(target, "id", "") in ("DOCUMENTATION", "EXAMPLES", "RETURN") for target in node.targets
        ):
            data.add(id(node.value))
        if isinstance(node, (ast.Dict, ast.Subscript, ast.Compare)):
            data.update(id(sub) for sub in ast.walk(node))
        # constant tables (words looked up in error texts) and namedtuple field lists are data too
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, (ast.Tuple, ast.List, ast.Set))
            and all(isinstance(element, ast.Constant) for element in node.value.elts)
        ):
            data.update(id(element) for element in node.value.elts)
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "namedtuple":
            data.update(id(sub) for sub in ast.walk(node))
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            # an f-string's pieces are one message, "..." where a value goes in
            data.update(id(part) for part in node.values)
    for node in ast.walk(tree):
        if id(node) in data:
            continue
        text = message_text(node)
        if text is None:
            continue
        # a message has words; a 20-character floor leaves out keys, formats and names
        if len(text) < 20 or " " not in text or "\n" in text or text.startswith("^"):
            continue
        # a frame of values with one word ("... ...: HTTP ... ...") passes another's message on
        if len(re.findall(r"[A-Za-z]{2,}", text.replace("...", ""))) > 1:
            yield f"{path}:{node.lineno}", text


def role_messages(path):
    """The fail_msg of assert tasks and the msg of fail tasks in a role's task file or a playbook."""
    with open(path, encoding="utf-8") as handle:
        pending = list(yaml.safe_load(handle) or [])
    while pending:
        task = pending.pop()
        if not isinstance(task, dict):
            continue
        for section in ("block", "rescue", "always", "pre_tasks", "tasks", "post_tasks"):
            pending.extend(task.get(section) or [])
        for action, option in (("assert", "fail_msg"), ("fail", "msg")):
            for name in (action, "ansible.builtin." + action):
                text = (task.get(name) or {}).get(option) if isinstance(task.get(name), dict) else None
                if isinstance(text, str):
                    yield "{} (task {!r})".format(path, task.get("name")), " ".join(text.split())


def documented_fragments(path):
    """`code` spans of the first cell of each table row, above the ansible-core section."""
    with open(path, encoding="utf-8") as handle:
        own = handle.read().split("\n## From ansible-core")[0]
    for line in own.splitlines():
        if line.startswith("| ") and not line.startswith("| ---"):
            first_cell = re.split(r"(?<!\\)\|", line)[1]
            yield from re.findall(r"`([^`]+)`", first_cell)


def matches(fragment, message):
    """A fragment matches when its parts between `...` appear in the message in that order."""
    position = 0
    for part in (part for part in fragment.split("...") if part.strip()):
        position = message.find(part, position)
        if position < 0:
            return False
        position += len(part)
    return True


def main():
    page, sources = sys.argv[1], sys.argv[2:]
    messages = [
        message
        for path in sources
        for message in (role_messages(path) if path.endswith(".yml") else source_messages(path))
    ]
    fragments = [
        fragment for fragment in documented_fragments(page) if fragment not in ("message contains", "detail contains")
    ]
    undocumented = [
        f"{where}: {text}" for where, text in messages if not any(matches(fragment, text) for fragment in fragments)
    ]
    stale = [fragment for fragment in fragments if not any(matches(fragment, text) for _where, text in messages)]
    for where in undocumented:
        print(f"not in {page}: {where}")
    for fragment in stale:
        print(f"in {page} but no message contains it: {fragment}")
    print(f"{len(messages)} messages in the plugins and roles, {len(fragments)} rows' fragments in {page}")
    return 1 if undocumented or stale or not messages else 0


if __name__ == "__main__":
    sys.exit(main())
