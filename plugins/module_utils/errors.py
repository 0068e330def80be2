# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Errors of the collection: a module catches XsoarError and fails with its message."""

from __future__ import annotations


class XsoarError(Exception):
    """Base class; str(error) is a short, redacted message that says what to fix."""


class XsoarInputError(XsoarError):
    """Bad module input, found before any request is sent."""


class XsoarConnectionError(XsoarError):
    """No usable HTTP answer: DNS, refused connection, TLS, timeout, dropped connection."""


class XsoarResponseError(XsoarError):
    """An HTTP answer that is not what the API promises (wrong status, HTML, not JSON)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class XsoarVersionConflict(XsoarResponseError):
    """An update sent a version the server no longer holds: someone else changed the incident since it was
    read (XSOAR 6 answers 409; XSOAR 8 400 "DB version conflict")."""


class XsoarAuthError(XsoarResponseError):
    """The server rejected the credentials (401, or XSOAR 6's 403 "Issue with CSRF code")."""


class XsoarUnreachableError(XsoarConnectionError):
    """The server could not be reached at all (DNS, refused, connect timeout) after every retry.

    Nothing was sent. Callers with more work for the same server stop and report the rest as not
    attempted, rather than paying the same timeouts again for each item.
    """


class XsoarTimeBudgetSpent(XsoarUnreachableError):
    """The time its caller gave the whole run (the callback's time_budget) is spent: nothing more is sent."""


class XsoarOutcomeUnknown(XsoarConnectionError):
    """A write may have reached the server, but no answer says whether it took effect.

    The client raises it for a write (never re-sent by the client itself); the caller looks the
    result up before anything is sent again. `resend_safe` is false when the whole request went out
    and the server may still be working on it (a read timeout): then it must only be waited for.
    """

    def __init__(self, message: str, resend_safe: bool = True) -> None:
        super().__init__(message)
        self.resend_safe = resend_safe
