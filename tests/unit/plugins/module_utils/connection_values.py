# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connection options as AnsibleModule hands them over (every option, defaults applied), for the
unit tests that build a Client or check the options: one place, so a new connection option is added once."""

from __future__ import annotations


def connection_values(**changes) -> dict:
    """Every connection option at its default, a standard key on a made-up server, then `changes`."""
    values = dict(
        url="https://xsoar.example.com",
        api_key="k3y-0123456789abcdef",
        api_key_id=None,
        api_key_type="standard",
        validate_certs=True,
        ca_path=None,
        client_cert=None,
        client_key=None,
        proxy=None,
        timeout=30.0,
        retries=3,
    )
    values.update(changes)
    return values
