#!/usr/bin/env bash
# The README's command lines, run as written (copied from its ```bash blocks) against the simulator:
# a multi-word incident name must reach the server whole, and no command may warn about the inventory.
set -eux
# ansible-test hands script targets no vars: read the simulator settings it copied two levels up.
config=../../integration_config.yml
python=${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}

# ansible-test runs a copy of the target inside the collection: walk up to the collection root.
dir=$PWD
while [ "$dir" != / ] && [ ! -f "$dir/galaxy.yml" ]; do
    dir=$(dirname "$dir")
done
readme=$dir/README.md
[ -f "$readme" ] || { echo "readme_commands: README.md not found above $PWD" >&2; exit 1; }

"$python" readme_commands.py reset "$config"
"$python" readme_commands.py commands "$readme" > commands.txt
cat commands.txt

set +x  # the key must not show in the output
eval "$("$python" readme_commands.py env "$config")"
: > output.log
while IFS= read -r line; do
    case "$line" in
        export\ ANSIBLE_*) eval "$line"; continue ;;  # the README's settings for the lines after it
    esac
    echo "+ $line" | tee -a output.log
    bash -c "$line" </dev/null 2>&1 | tee -a output.log
    [ "${PIPESTATUS[0]}" -eq 0 ] || { echo "readme_commands: failed: $line" >&2; exit 1; }
done < commands.txt
set -x

# Any warning fails (the implicit localhost's above all), except the one of this test's own layout:
# ansible-test runs the target inside the collection's tree, which a reader's directory is not.
if grep -F '[WARNING]' output.log | grep -vF 'running with default collection xsoar.connector'; then
    echo "readme_commands: the README's commands print warnings (above)" >&2
    exit 1
fi
ansible-playbook -e @$config check.yml "$@"
