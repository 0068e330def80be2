# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""arguments.validate_connection: what it accepts, and what its error messages tell the user."""

import pytest

from ansible_collections.xsoar.connector.plugins.module_utils import arguments
from ansible_collections.xsoar.connector.plugins.module_utils.errors import XsoarInputError
from ansible_collections.xsoar.connector.tests.unit.plugins.module_utils.connection_values import connection_values


def params(**changes):
    """The connection options as AnsibleModule hands them over (defaults applied)."""
    values = connection_values(api_key="secret-key")
    values.update(changes)
    return values


def error_of(**changes):
    with pytest.raises(XsoarInputError) as info:
        arguments.validate_connection(params(**changes))
    return str(info.value)


@pytest.mark.parametrize(
    "url, expected",
    [
        ("https://xsoar.example.com", "https://xsoar.example.com"),
        ("https://xsoar.example.com/", "https://xsoar.example.com"),
        ("  http://10.0.0.5:8443/  ", "http://10.0.0.5:8443"),
        ("https://api-tenant.us.paloaltonetworks.com", "https://api-tenant.us.paloaltonetworks.com"),
        ("https://proxy.example.com/tenant", "https://proxy.example.com/tenant"),
    ],
)
def test_good_urls_are_normalised(url, expected):
    assert arguments.validate_connection(params(url=url)) == expected


def test_url_without_scheme():
    message = error_of(url="xsoar.example.com")
    assert "https://" in message
    assert "xsoar.example.com" in message


def test_url_with_ftp_scheme():
    message = error_of(url="ftp://xsoar.example.com")
    assert "must start with https://" in message
    assert "ftp://xsoar.example.com" in message


@pytest.mark.parametrize(
    "url", ["https://xsoar example.com", "https://xsoar.example.com/\tx", "https:// xsoar.example.com"]
)
def test_url_with_spaces(url):
    assert "contains spaces" in error_of(url=url)


@pytest.mark.parametrize(
    "url, suffix",
    [
        ("https://xsoar.example.com/xsoar", "/xsoar"),
        ("https://xsoar.example.com/xsoar/", "/xsoar"),
        ("https://api-x.paloaltonetworks.com/xsoar/public/v1", "/xsoar/public/v1"),
        ("https://api-x.paloaltonetworks.com/xsoar/public/v1/", "/xsoar/public/v1"),
    ],
)
def test_url_with_api_path(url, suffix):
    message = error_of(url=url)
    assert f"ends with {suffix}" in message
    assert "base address only" in message
    assert "api_key_id" in message


@pytest.mark.parametrize("url", ["", "   "])
def test_empty_url(url):
    assert "url is empty" in error_of(url=url)


def test_url_without_host():
    assert "no host name" in error_of(url="https://")


def test_url_with_bad_port():
    assert "invalid port" in error_of(url="https://xsoar.example.com:99999")


@pytest.mark.parametrize(
    "url",
    [
        "https://user:pw@xsoar.example.com",
        "https://xsoar.example.com/?a=1",
        "https://xsoar.example.com/#top",
    ],
)
def test_url_with_credentials_query_or_fragment(url):
    assert "bare address" in error_of(url=url)


@pytest.mark.parametrize(
    "url", ["https://admin:hunter2@xsoar.example.com", "https://admin:hunter2@xsoar.example.com:8443/"]
)
def test_url_with_credentials_does_not_echo_the_password(url):
    message = error_of(url=url)
    assert "hunter2" not in message
    assert "admin" not in message
    assert "xsoar.example.com" in message
    assert "secret-key" not in message


@pytest.mark.parametrize("key", ["", "   "])
def test_empty_api_key(key):
    assert "api_key is empty" in error_of(api_key=key)


@pytest.mark.parametrize("key", ["secret-key\n", " secret-key", "secret key", "secret-key\r\n", "secret\x00key"])
def test_api_key_with_whitespace_or_control_characters(key):
    # requests would refuse the header and quote it escaped ('secret-key\\n'), which no redaction of the
    # key itself matches: the key must be refused here, and never quoted
    message = error_of(api_key=key)
    assert "api_key contains spaces, a line break or other control characters: remove them" in message
    assert "secret" not in message


@pytest.mark.parametrize("key_id", ["  ", "\t"])
def test_blank_api_key_id(key_id):
    message = error_of(api_key_id=key_id)
    assert "api_key_id is blank" in message
    assert "leave it unset for XSOAR 6" in message


@pytest.mark.parametrize("key_id", ["secret-key", "17 ", " 17", "1 7", "abc", "-1"])
def test_api_key_id_must_be_numeric(key_id):
    message = error_of(api_key_id=key_id)
    assert "api_key_id must be the key's numeric ID" in message
    assert "not swapped" in message
    assert "secret-key" not in message


@pytest.mark.parametrize("key_id", [None, "", "1", "17", "0042"])
def test_api_key_id_accepted(key_id):
    assert arguments.validate_connection(params(api_key_id=key_id)) == "https://xsoar.example.com"


@pytest.mark.parametrize("key_id", [None, ""])
def test_advanced_key_without_key_id(key_id):
    message = error_of(api_key_type="advanced", api_key_id=key_id)
    assert "api_key_type=advanced" in message
    assert "set api_key_id" in message


def test_advanced_key_with_key_id():
    assert (
        arguments.validate_connection(params(api_key_type="advanced", api_key_id="42")) == "https://xsoar.example.com"
    )


def test_client_key_without_client_cert(tmp_path):
    key = tmp_path / "client.key"
    key.write_text("-----BEGIN PRIVATE KEY-----\n")
    message = error_of(client_key=str(key))
    assert "client_key is set without client_cert" in message


@pytest.mark.parametrize("option", ["ca_path", "client_cert", "client_key"])
def test_missing_files(option, tmp_path):
    missing = str(tmp_path / "nope.pem")
    message = error_of(**{option: missing})
    assert option in message
    assert "not a readable file" in message


def test_ca_path_with_validate_certs_false(tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    message = error_of(ca_path=str(ca), validate_certs=False)
    assert "ca_path" in message and "validate_certs" in message


def test_proxy_without_scheme():
    assert "needs a scheme" in error_of(proxy="proxy.example.com:3128")


@pytest.mark.parametrize("proxy", ["user:hunter2@proxy.example.com:3128", "ftp://user:hunter2@proxy.example.com:21"])
def test_proxy_error_does_not_echo_the_proxy_password(proxy):
    message = error_of(proxy=proxy)
    assert "needs a scheme" in message
    assert "hunter2" not in message and "user" not in message
    assert "<credentials>@proxy.example.com" in message


@pytest.mark.parametrize(
    "address, shown",
    [
        ("https://xsoar.example.com", "https://xsoar.example.com"),
        ("https://admin:pw@xsoar.example.com:8443", "https://<credentials>@xsoar.example.com:8443"),
        ("admin:pw@proxy:3128", "<credentials>@proxy:3128"),
        ("http://a@b@proxy", "http://<credentials>@proxy"),
    ],
)
def test_without_credentials(address, shown):
    assert arguments.without_credentials(address) == shown


@pytest.mark.parametrize("proxy", ["http://proxy:3128", "https://proxy:3128", "socks5h://proxy:1080"])
def test_proxy_with_scheme(proxy, monkeypatch):
    monkeypatch.setattr(arguments.importlib.util, "find_spec", lambda name: object())  # PySocks installed
    assert arguments.validate_connection(params(proxy=proxy))


@pytest.mark.parametrize("timeout", [0, 0.0, -1, -0.5, float("nan"), float("inf"), arguments.MAX_TIMEOUT + 1])
def test_timeout_must_be_positive_and_bounded(timeout):
    # inf used to reach the socket layer and fail there with an OverflowError traceback
    assert f"timeout must be a number of seconds above 0 and at most {arguments.MAX_TIMEOUT}" in error_of(
        timeout=timeout
    )


@pytest.mark.parametrize("timeout", [0.1, 1, 600])
def test_timeout_positive_is_accepted(timeout):
    assert arguments.validate_connection(params(timeout=timeout))


@pytest.mark.parametrize("retries", [-1, arguments.MAX_RETRIES + 1, 100])
def test_retries_out_of_bounds(retries):
    message = error_of(retries=retries)
    assert f"retries must be between 0 and {arguments.MAX_RETRIES}" in message
    assert str(retries) in message


@pytest.mark.parametrize("retries", [0, 1, arguments.MAX_RETRIES])
def test_retries_in_bounds(retries):
    assert arguments.validate_connection(params(retries=retries))


@pytest.mark.parametrize("size", [0, -1, arguments.MAX_ANSWER_MB + 1])
def test_max_answer_mb_out_of_bounds(size):
    message = error_of(max_answer_mb=size)
    assert f"max_answer_mb must be between 1 and {arguments.MAX_ANSWER_MB}" in message
    assert str(size) in message


@pytest.mark.parametrize("size", [1, 64, arguments.MAX_ANSWER_MB])
def test_max_answer_mb_in_bounds(size):
    assert arguments.validate_connection(params(max_answer_mb=size))


@pytest.mark.parametrize("proxy", ["socks5://proxy.example.com:1080", "socks5h://user:pw@proxy.example.com:1080"])
def test_a_socks_proxy_without_pysocks_names_the_library(proxy, monkeypatch):
    monkeypatch.setattr(arguments.importlib.util, "find_spec", lambda name: None)
    message = error_of(proxy=proxy)
    assert "is a SOCKS proxy, which needs the Python library PySocks" in message
    assert "pw" not in message


def test_a_socks_proxy_with_pysocks_is_accepted(monkeypatch):
    monkeypatch.setattr(arguments.importlib.util, "find_spec", lambda name: object())
    assert arguments.validate_connection(params(proxy="socks5://proxy.example.com:1080"))


def test_connection_argument_spec_merges_and_copies():
    spec = arguments.connection_argument_spec(name=dict(type="str", required=True))
    assert spec["name"] == dict(type="str", required=True)
    assert set(arguments.CONNECTION_SPEC) <= set(spec)
    assert spec["api_key"]["no_log"] is True
    spec["url"]["type"] = "int"
    assert arguments.CONNECTION_SPEC["url"]["type"] == "str"


def test_every_option_has_an_env_fallback():
    for name, option in arguments.CONNECTION_SPEC.items():
        assert option["fallback"][1] == ["XSOAR_" + name.upper()]


# --- sub-options checked after AnsibleModule (see without_suboptions) ---------------------------

LABELS_SPEC = {
    "labels": dict(
        type="list",
        elements="dict",
        options=dict(type=dict(type="str", required=True), value=dict(type="str", required=True)),
    )
}


def test_without_suboptions_keeps_type_and_elements_only():
    spec = dict(
        LABELS_SPEC,
        incident=dict(type="dict", options={"name": {}}, mutually_exclusive=[("a", "b")]),
        name=dict(type="str"),
    )
    stripped = arguments.without_suboptions(spec)
    assert stripped == {
        "labels": dict(type="list", elements="dict"),
        "incident": dict(type="dict"),
        "name": dict(type="str"),
    }
    assert "options" in spec["labels"]  # the original is left alone


def test_validated_suboptions_converts_like_ansiblemodule():
    values = arguments.validated_suboptions({"labels": [{"type": "Port", "value": 443}]}, LABELS_SPEC)
    assert values == {"labels": [{"type": "Port", "value": "443"}]}


@pytest.mark.parametrize(
    "labels, message",
    [
        # the case that made ansible-core drop every no_log value: its clear error is reported, not the NoLogError
        (
            "Source ansible",
            "^incidents\\[2\\]: Elements value for option 'labels' is of type .*str.* unable to convert to dict",
        ),
        ([{"type": "Source"}], "^incidents\\[2\\]: missing required arguments: value found in labels"),
        (
            [{"type": "a", "value": "b", "colour": "red"}],
            "^incidents\\[2\\]: unsupported option labels.colour. Supported parameters include: type, value",
        ),
    ],
)
def test_validated_suboptions_errors(labels, message):
    with pytest.raises(XsoarInputError, match=message):
        arguments.validated_suboptions({"labels": labels}, LABELS_SPEC, "incidents[2]: ")


# -- issue 13: input that raised Python errors, and issue 16: the missing connection -------------


@pytest.mark.parametrize(
    "missing, expect",
    [
        (["url"], ["url is not set", "export XSOAR_URL", "give the url option", "module_defaults"]),
        (["api_key"], ["api_key is not set", "export XSOAR_API_KEY", "api_key option"]),
        (["url", "api_key"], ["url and api_key are not set", "XSOAR_URL and XSOAR_API_KEY", "url and api_key options"]),
    ],
)
def test_a_missing_connection_names_the_environment_variables(missing, expect):
    message = error_of(**dict.fromkeys(missing))
    assert all(part in message for part in expect), message


@pytest.mark.parametrize("url", ["http://[::1", "https://[::1/x", "https://[zz]:8443"])
def test_an_invalid_ipv6_url_is_a_message(url):
    message = error_of(url=url)
    assert message.startswith(f"url {url!r} is not a valid address") and "https://[::1]:8443" in message


def test_a_bracketed_ipv6_url_is_accepted():
    assert arguments.validate_connection(params(url="https://[::1]:8443/")) == "https://[::1]:8443"


@pytest.mark.parametrize("proxy", ["http://[::1", "http://user:pw@[::1", "http://proxy:99999"])
def test_an_invalid_proxy_is_a_message_without_its_password(proxy):
    message = error_of(proxy=proxy)
    assert message.startswith("proxy") and "not a valid address" in message and "pw" not in message


def test_a_proxy_without_host():
    assert "has no host name" in error_of(proxy="http://:3128")


@pytest.mark.parametrize("api_key", ["secret\u2019key", "caf\u00e9-key", "key\u2013dash"])
def test_a_non_ascii_api_key_is_refused_unquoted(api_key):
    message = error_of(api_key=api_key)
    assert "api_key contains a character that is not ASCII" in message
    assert api_key not in message


@pytest.mark.parametrize("api_key_id", ["\u0661\u0667", "\uff11\uff17", "17 "])
def test_non_ascii_digits_in_api_key_id_are_refused(api_key_id):
    message = error_of(api_key_id=api_key_id)
    assert "api_key_id must be the key's numeric ID" in message and api_key_id not in message
