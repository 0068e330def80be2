#!/usr/bin/env bash
# The old step names of the test command, run as nox sessions (README "Tests" has the nox commands):
#
#   scripts/test.sh                          everything: nox (through .ci/run)
#   scripts/test.sh sanity|units|simulator|lint|awx|eda ...    those groups
#   scripts/test.sh integration [TARGET...]  ansible-test integration against the simulator
#
#   TEST_VENVS="ansible-2.21 ansible-2.16"   the ansible-core versions (default: both)
#   TEST_PROFILES="xsoar6 ..."               the simulator profiles for integration (default: each
#                                            version's profiles in noxfile.py)
#
# `lint` is every linter and docs check: lint (ruff, yamllint), ansible-lint, shellcheck,
# docs-check, docs, extra-checks and build-import-check (galaxy-importer).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[ $# -gt 0 ] || exec "$root/.ci/run"

venvs=${TEST_VENVS:-ansible-2.21 ansible-2.16}
read -r -a cores <<<"${venvs//ansible-/}"
sessions=() targets=() integration=0
while [ $# -gt 0 ]; do
    case "$1" in
        -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; exit 0 ;;
        sanity|units) for core in "${cores[@]}"; do sessions+=("$1-$core"); done ;;
        unit) for core in "${cores[@]}"; do sessions+=("units-$core"); done ;;
        simulator|awx|eda) sessions+=("$1") ;;
        lint) sessions+=(lint ansible-lint shellcheck docs-check docs extra-checks build-import-check) ;;
        integration) integration=1; shift; targets=("$@"); break ;;
        *) echo "test.sh: unknown step '$1' (sanity, units, simulator, lint, awx, eda, integration; -h for help)" >&2; exit 2 ;;
    esac
    shift
done

others=("${sessions[@]}")
integration_sessions=()
if [ "$integration" = 1 ]; then
    # the integration sessions of noxfile.py for these versions and profiles
    for core in "${cores[@]}"; do
        for session in $("$root/.ci/run" -l 2>/dev/null | sed -n "s/^\* \(integration-$core-[^ ]*\).*/\1/p"); do
            profile=${session#"integration-$core-"}
            if [ -z "${TEST_PROFILES:-}" ] || [[ " $TEST_PROFILES " == *" $profile "* ]]; then
                integration_sessions+=("$session")
            fi
        done
    done
    [ ${#integration_sessions[@]} -gt 0 ] || { echo "test.sh: no integration session matches" >&2; exit 2; }
fi
# nox hands the arguments after -- to every session it runs: targets go to the integration ones only
status=0
if [ ${#others[@]} -gt 0 ]; then
    "$root/.ci/run" -e "${others[@]}" || status=$?
fi
if [ ${#integration_sessions[@]} -gt 0 ]; then
    "$root/.ci/run" -e "${integration_sessions[@]}" -- "${targets[@]}" || status=$?
fi
exit "$status"
