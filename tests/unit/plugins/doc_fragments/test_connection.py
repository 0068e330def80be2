# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connection options are documented once (doc_fragments/connection.py), and the modules, the callback
and the EDA source take exactly them (module_utils/arguments.py CONNECTION_SPEC): none can drift."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import yaml

from ansible import constants as C
from ansible.plugins.loader import callback_loader

from ansible_collections.xsoar.connector.plugins.callback import failure_incident
from ansible_collections.xsoar.connector.plugins.doc_fragments.connection import ModuleDocFragment
from ansible_collections.xsoar.connector.plugins.module_utils.arguments import CONNECTION_SPEC

COLLECTION = Path(__file__).resolve().parents[4]
EDA_SOURCE = COLLECTION / "extensions" / "eda" / "plugins" / "event_source" / "xsoar_incidents.py"
CALLBACK = "xsoar.connector.failure_incident"
# The callback's own variables for these two: the end of every run waits for them.
CALLBACK_ENV = {"timeout": "XSOAR_FAILURE_INCIDENT_TIMEOUT", "retries": "XSOAR_FAILURE_INCIDENT_RETRIES"}


def eda_source():
    """The event source, loaded from its file as ansible-rulebook loads it (runpy would take the collection
    loader's path hook for a package and look for a __main__ in it)."""
    spec = importlib.util.spec_from_file_location("xsoar_incidents_source", EDA_SOURCE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def documented(text: str) -> dict:
    return yaml.safe_load(text)["options"]


def env_name(option: str) -> str:
    return CALLBACK_ENV.get(option, "XSOAR_" + option.upper())


@pytest.fixture
def pem_files(tmp_path: Path) -> dict[str, str]:
    """Files that exist: the connection check refuses a PEM path that is not a file."""
    paths = {}
    for option in ("ca_path", "client_cert", "client_key"):
        path = tmp_path / (option + ".pem")
        path.write_text("not read before a request\n")
        paths[option] = str(path)
    return paths


@pytest.fixture
def no_xsoar_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [env_name(option) for option in CONNECTION_SPEC] + ["XSOAR_TIMEOUT", "XSOAR_RETRIES"]:
        monkeypatch.delenv(name, raising=False)


def every_option(pem_files: dict[str, str]) -> dict:
    """A value for every connection option that passes the connection check, none its default."""
    return dict(
        url="https://xsoar.example.com:8443",
        api_key="k3y-0123456789abcdef",
        api_key_id="17",
        api_key_type="advanced",
        validate_certs=True,
        proxy="http://proxy.example.com:3128",
        timeout=5.0,
        retries=2,
        max_answer_mb=8,
        **pem_files,
    )


def test_every_variant_documents_the_connection_spec():
    assert set(documented(ModuleDocFragment.DOCUMENTATION)) == set(CONNECTION_SPEC)
    assert set(documented(ModuleDocFragment.PLUGINS)) == set(CONNECTION_SPEC)
    modules = documented(ModuleDocFragment.MODULES)
    assert modules["api_key_type"]["choices"] == CONNECTION_SPEC["api_key_type"]["choices"]


def test_the_callback_is_configured_for_exactly_the_connection_options_and_its_own():
    callback = callback_loader.get(CALLBACK)  # loads its documentation, fragments merged, into the configuration
    definitions = C.config.get_configuration_definitions("callback", callback._load_name)
    own = documented(failure_incident.DOCUMENTATION)
    assert set(definitions) == set(CONNECTION_SPEC) | set(own)
    # the connection options the callback documents itself are the two whose variables and defaults differ
    assert set(own) & set(CONNECTION_SPEC) == set(CALLBACK_ENV)
    for option in CONNECTION_SPEC:
        assert [entry["name"] for entry in definitions[option]["env"]] == [env_name(option)]
        assert definitions[option]["ini"] == [{"section": "callback_failure_incident", "key": option}]


@pytest.mark.usefixtures("no_xsoar_environment")
def test_the_callback_reads_every_connection_option_from_its_variable(monkeypatch, pem_files):
    given = every_option(pem_files)
    for option, value in given.items():
        monkeypatch.setenv(env_name(option), str(value))
    callback = callback_loader.get(CALLBACK)
    callback.set_options()
    assert callback._settings() == given


@pytest.mark.usefixtures("no_xsoar_environment")
def test_the_eda_source_takes_exactly_the_connection_options_and_documents_only_its_own(pem_files):
    source = eda_source()
    own = documented(source.DOCUMENTATION)
    assert set(own) == set(source.SOURCE_SPEC)
    given = every_option(pem_files)
    settings = source.settings_from(given)
    assert set(settings) == set(CONNECTION_SPEC) | set(own)
    assert {option: settings[option] for option in CONNECTION_SPEC} == given


@pytest.mark.usefixtures("no_xsoar_environment")
@pytest.mark.parametrize("option", ["time_budget", "severity", "list_playbooks"])
def test_the_eda_source_refuses_an_option_that_is_not_its_own(pem_files, option):
    source = eda_source()
    with pytest.raises(ValueError, match=option):
        source.settings_from(dict(every_option(pem_files), **{option: "1"}))
