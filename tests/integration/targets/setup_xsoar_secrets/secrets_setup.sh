# shellcheck shell=bash
# Sourced by the runme.sh of a target that searches its output for the API key (its aliases have
# needs/target/setup_xsoar_secrets), from the target's directory: `. ../setup_xsoar_secrets/secrets_setup.sh NAME`.
# Sets config (integration_config.yml, a new key every simulator start), key (read from it, never
# written in a test), work (a private directory, removed on exit: env files there hold the key on
# purpose), out (in work: everything searched for the key) and secrets (this directory, for
# xsoar_env.py and leak_check.py). No `set -x` in the caller: it would print the key.
# shellcheck disable=SC2034  # the caller uses them
config=../../integration_config.yml
secrets=../setup_xsoar_secrets
work=$(mktemp -d "${TMPDIR:-/tmp}/xsoar-$1.XXXXXX")
trap 'rm -rf "$work"' EXIT
out=$work/output
mkdir "$out"
key=$(python -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["xsoar_api_key"])' "$config")
[ "${#key}" -ge 16 ] || { echo "FAIL: no API key in $config"; exit 1; }

xsoar_env() {  # xsoar_env FILE [--set NAME=VALUE]...: the XSOAR_* exports, in a file only the owner reads
    local file=$1
    shift
    (umask 077 && python "$secrets/xsoar_env.py" "$config" "$@" >"$file")
}

leak_check() {  # leak_check: fails (and names the files) if any 8 characters of the key are in $out
    python "$secrets/leak_check.py" "$config" "$out"
}
