#!/usr/bin/env bash
# Lint and documentation checks (scripts/test.sh lint runs this in the tools venv), all offline:
#
#   scripts/lint.sh              check everything below; exit 1 if anything fails
#   scripts/lint.sh --fix-docs   regenerate docs/reference/ (the module and role reference pages)
#
#  1. ansible-lint --profile production on roles/, playbooks/ (when present), tests/awx/project/ and
#     tests/awx/callback_project/
#  2. antsibull-changelog lint (changelogs/fragments/)
#  3. docs/reference/ is what antsibull-docs generates now from the module and role docs
#     (simplified RST, which GitHub renders); a difference is printed with the command that fixes it
#  4. antsibull-docs lint-collection-docs --plugin-docs: module/role docs markup and references
#  5. every page of docs/reference/ renders with docutils as GitHub renders RST, without a warning
#  6. every relative link in README.md and docs/*.md points to a file that exists
#  7. docs/troubleshooting.md has a row for every message the plugins, roles, collection playbooks and
#     the EDA event source can print, and no row
#     for a message that no longer exists
#
# The collection is $XSOAR_TEST_COLLECTION (the copy scripts/test.sh makes) or, run alone, this
# checkout through a symlinked .../ansible_collections/xsoar/connector.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="$root/.venv/tools/bin:$PATH"
unset VIRTUAL_ENV PYTHONPATH
[ -x "$root/.venv/tools/bin/antsibull-docs" ] || "$root/scripts/venv.sh" tools >/dev/null || exit 1

fix_docs=0
case "${1:-}" in
    "") ;;
    --fix-docs) fix_docs=1 ;;
    -h|--help) sed -n '2,/^set -uo/{/^set -uo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "usage: $0 [--fix-docs]" >&2; exit 2 ;;
esac

work=$(mktemp -d "${XSOAR_TEST_TMP:-${TMPDIR:-/tmp}}/lint.XXXXXX")
trap 'rm -rf "$work"' EXIT
if [ -n "${XSOAR_TEST_COLLECTION:-}" ] && [ "$fix_docs" = 0 ]; then
    collection=$XSOAR_TEST_COLLECTION
else
    # ansible-doc (which antsibull-docs runs) finds collections only under ansible_collections/
    collection=$work/collections/ansible_collections/xsoar/connector
    mkdir -p "$(dirname "$collection")"
    ln -s "$root" "$collection"
fi
export ANSIBLE_COLLECTIONS_PATH=${collection%/ansible_collections/*}

# generate_reference DIR: the reference pages, as antsibull-docs writes them now, into DIR
generate_reference() {
    # antsibull-docs wants a destination that only its owner can write to
    mkdir -p "$(dirname "$1")" && mkdir -m 755 "$1"
    antsibull-docs collection --use-current --squash-hierarchy --fail-on-error \
        --output-format simplified-rst --no-add-antsibull-docs-version --dest-dir "$1" xsoar.connector
}

if [ "$fix_docs" = 1 ]; then
    generate_reference "$work/reference" || exit 1
    rm -rf "$root/docs/reference"
    cp -r "$work/reference" "$root/docs/reference"
    pages=("$root"/docs/reference/*.rst)
    echo "lint.sh: regenerated docs/reference/ (${#pages[@]} pages)"
    exit 0
fi

failures=0
check() {  # check NAME COMMAND...: run, report, count a failure
    local name=$1
    shift
    echo
    echo "--- $name ---"
    if "$@"; then
        echo "ok: $name"
    else
        echo "FAIL: $name"
        failures=$((failures + 1))
    fi
}

cd "$collection" || exit 1

lint_targets=()
for dir in roles playbooks extensions/eda/rulebooks tests/eda/rulebooks tests/awx/project tests/awx/callback_project; do
    [ -d "$dir" ] && lint_targets+=("$dir")
done
# --offline: nothing from Galaxy; the collection itself is found in ANSIBLE_COLLECTIONS_PATH
check "ansible-lint --profile production ${lint_targets[*]}" \
    ansible-lint --offline --nocolor --profile production "${lint_targets[@]}"

check "antsibull-changelog lint" antsibull-changelog lint

reference_current() {
    generate_reference "$work/reference" || return 1
    # "-" lines: checked in; "+" lines: generated now
    diff -ru docs/reference "$work/reference" >"$work/reference.diff" 2>&1 && return 0
    head -n 200 "$work/reference.diff"
    echo "docs/reference/ is not what the module docs generate: run scripts/lint.sh --fix-docs and commit docs/reference/"
    return 1
}
check "docs/reference/ is current (antsibull-docs)" reference_current

check "antsibull-docs lint-collection-docs --plugin-docs" \
    antsibull-docs lint-collection-docs --plugin-docs --output-format simplified-rst \
    --validate-collection-refs all --disallow-unknown-collection-refs "$collection"

render_reference() {
    python - "$collection"/docs/reference/*.rst <<'PY'
import sys
import docutils.core
import docutils.utils

# the settings GitHub renders RST with (github/markup rest2html), and halt on any warning
settings = {"raw_enabled": True, "file_insertion_enabled": False, "halt_level": 2, "report_level": 2}
failed = 0
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as handle:
        try:
            docutils.core.publish_string(handle.read(), source_path=path, writer_name="html",
                                         settings_overrides=settings)
        except docutils.utils.SystemMessage as error:
            print("%s: %s" % (path, error))
            failed += 1
print("%d page(s) rendered, %d with warnings" % (len(sys.argv) - 1, failed))
sys.exit(1 if failed or len(sys.argv) < 2 else 0)
PY
}
check "docs/reference/ renders (docutils, GitHub's settings)" render_reference

markdown_links() {
    python - README.md docs/*.md <<'PY'
import os
import re
import sys

# [text](target) outside code spans; a target is a path relative to the page, maybe with #anchor
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
broken = []
for page in sys.argv[1:]:
    with open(page, encoding="utf-8") as handle:
        text = re.sub(r"```.*?```", "", handle.read(), flags=re.S)
    for target in LINK.findall(re.sub(r"`[^`]*`", "", text)):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        path = os.path.normpath(os.path.join(os.path.dirname(page), target.split("#")[0]))
        if not os.path.exists(path):
            broken.append("%s: %s" % (page, target))
print("\n".join(broken) or "%d page(s), no broken relative link" % (len(sys.argv) - 1))
sys.exit(1 if broken else 0)
PY
}
check "relative links in README.md and docs/*.md" markdown_links

troubleshooting_complete() {
    python - docs/troubleshooting.md plugins/module_utils/*.py plugins/modules/*.py plugins/callback/*.py plugins/filter/*.py \
        roles/*/tasks/*.yml playbooks/*.yml extensions/eda/plugins/event_source/*.py <<'PY'
import ast
import re
import sys

import yaml

page, sources = sys.argv[1], sys.argv[2:]


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
                getattr(target, "id", "") in ("DOCUMENTATION", "EXAMPLES", "RETURN") for target in node.targets):
            data.add(id(node.value))
        if isinstance(node, (ast.Dict, ast.Subscript, ast.Compare)):
            data.update(id(sub) for sub in ast.walk(node))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in data:
            text = node.value
            # a message has words; a 20-character floor leaves out keys, formats and names
            if len(text) >= 20 and " " in text and "\n" not in text and not text.startswith("^"):
                yield "%s:%d" % (path, node.lineno), text


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
                    yield "%s (task %r)" % (path, task.get("name")), " ".join(text.split())


def documented_fragments(path):
    """`code` spans of the first cell of each table row, above the ansible-core section."""
    with open(path, encoding="utf-8") as handle:
        own = handle.read().split("\n## From ansible-core")[0]
    for line in own.splitlines():
        if line.startswith("| ") and not line.startswith("| ---"):
            first_cell = re.split(r"(?<!\\)\|", line)[1]
            for fragment in re.findall(r"`([^`]+)`", first_cell):
                yield fragment


def matches(fragment, message):
    """A fragment matches when its parts between `...` appear in the message in that order."""
    position = 0
    for part in (part for part in fragment.split("...") if part.strip()):
        position = message.find(part, position)
        if position < 0:
            return False
        position += len(part)
    return True


messages = [message for path in sources
            for message in (role_messages(path) if path.endswith(".yml") else source_messages(path))]
fragments = [fragment for fragment in documented_fragments(page) if fragment not in ("message contains", "detail contains")]
undocumented = ["%s: %s" % (where, text) for where, text in messages
                if not any(matches(fragment, text) for fragment in fragments)]
stale = [fragment for fragment in fragments if not any(matches(fragment, text) for _where, text in messages)]
for where in undocumented:
    print("not in %s: %s" % (page, where))
for fragment in stale:
    print("in %s but no message contains it: %s" % (page, fragment))
print("%d messages in the plugins and roles, %d rows' fragments in %s" % (len(messages), len(fragments), page))
sys.exit(1 if undocumented or stale or not messages else 0)
PY
}
check "docs/troubleshooting.md lists every message of the plugins and roles" troubleshooting_complete

echo
if [ "$failures" -ne 0 ]; then
    echo "lint: $failures check(s) failed"
    exit 1
fi
echo "lint: all checks passed"
