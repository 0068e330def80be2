# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one redaction of the collection, from a table of the shapes in which servers echo a key."""

import base64
import hashlib
import time
import urllib.parse

import pytest

from ansible_collections.xsoar.connector.plugins.module_utils.client import redact

KEY = "Kq7Zr2Wm9Xv4Tn8Lp3Hs6Jd1Fg5Bc0Ny"
# a key with characters that URL-encoding and base64 change
ODD_KEY = "ab+cd/ef=gh&ij%kl?mn#op@qr:st"
SIGNATURE = hashlib.sha256(b"x").hexdigest()


def b64(text):
    return base64.b64encode(text.encode()).decode()


def windows(text, length=8):
    return {text[start : start + length] for start in range(len(text) - length + 1)}


def key_windows(key):
    """Every 8 characters in a row of the key, and of its encoded forms, that must never show."""
    shown = set()
    for form in (key, urllib.parse.quote(key, safe="")):
        shown |= windows(form) | windows(form.lower()) | windows(form.upper())
    for shift in range(3):
        part = key.encode()[shift:]
        part = part[: len(part) - len(part) % 3]
        shown |= windows(base64.b64encode(part).decode()) | windows(base64.urlsafe_b64encode(part).decode())
    return shown


# (what the server echoed, the key)
ECHOES = {
    "whole key": ("bad key " + KEY, KEY),
    "first 16": ("key starts " + KEY[:16] + ", rejected", KEY),
    "last 12": ("key ends with " + KEY[-12:], KEY),
    "first 10...last 10": (f"key {KEY[:10]}...{KEY[-10:]} unknown", KEY),
    "lower case": ("key " + KEY.lower(), KEY),
    "upper case": ("KEY " + KEY.upper(), KEY),
    "mixed case": ("key " + KEY.swapcase(), KEY),
    "8-character chunks": ("key " + " ".join(KEY[i : i + 8] for i in range(0, len(KEY), 8)), KEY),
    "chunks with dashes": ("key " + "-".join(KEY[i : i + 8] for i in range(0, len(KEY), 8)), KEY),
    "8 characters from the middle": ("part " + KEY[11:19] + " end", KEY),
    "inside a word": ("xx" + KEY[3:20] + "yy", KEY),
    "JSON string": ('{"detail": "Authorization: ' + KEY + '"}', KEY),
    "twice": (KEY + " and " + KEY[5:25], KEY),
    "base64 of the key": ("Basic " + b64(KEY), KEY),
    "base64 of user:key": ("Basic " + b64("user:" + KEY), KEY),
    "base64 of x:key": ("Basic " + b64("x:" + KEY), KEY),
    "base64 of the first 20": ("token " + b64(KEY[:20]), KEY),
    "URL-safe base64": ("t=" + base64.urlsafe_b64encode(("ab" + ODD_KEY).encode()).decode(), ODD_KEY),
    "URL-encoded": ("GET /x?key=" + urllib.parse.quote(ODD_KEY, safe=""), ODD_KEY),
    "URL-encoded in lower case": ("GET /x?key=" + urllib.parse.quote(ODD_KEY, safe="").lower(), ODD_KEY),
    "URL-encoded first half": ("k=" + urllib.parse.quote(ODD_KEY[:14], safe=""), ODD_KEY),
    "raw odd key": ("key " + ODD_KEY, ODD_KEY),
    "base64 of the odd key": ("Basic " + b64(ODD_KEY), ODD_KEY),
}


@pytest.mark.parametrize("shape", sorted(ECHOES))
def test_no_eight_characters_of_any_form_of_the_key_remain(shape):
    echo, key = ECHOES[shape]
    redacted = redact(echo, key)
    assert "********" in redacted
    assert [window for window in key_windows(key) if window in redacted] == [], redacted


@pytest.mark.parametrize(
    "text",
    [
        "nothing secret here",
        "seven: " + KEY[:7] + " and " + KEY[-7:],  # shorter than 8: ordinary text is not touched
        "",
        "incident 42 of type Unclassified, severity 3",
    ],
)
def test_text_without_eight_characters_of_the_key_is_unchanged(text):
    assert redact(text, KEY) == text


def test_surrounding_text_is_kept():
    assert redact(f"before {KEY[:12]} after", KEY) == "before ******** after"
    assert redact(f"{KEY} {KEY}", KEY) == "******** ********"


def test_a_short_key_is_hidden_whole():
    assert redact("key abc123 given", "abc123") == "key ******** given"


def test_signatures_in_flight_are_hidden_in_any_case():
    text = f"sig {SIGNATURE} SIG {SIGNATURE.upper()}"
    assert redact(text, KEY, (SIGNATURE,)) == "sig ******** SIG ********"
    assert redact(text, KEY) == text


def test_anything_is_turned_into_text_first():
    assert redact(ValueError("bad " + KEY), KEY) == "bad ********"


def test_a_large_answer_is_redacted_in_reasonable_time():
    # not a timing assertion: the body must come back whole with each of its 1000 echoes hidden
    body = ("x" * 190 + KEY[:10]) * 1000
    started = time.monotonic()
    redacted = redact(body, KEY)
    print(f"200 KB redacted in {time.monotonic() - started:.3f}s")
    assert redacted.count("********") == 1000
    assert KEY[:8] not in redacted
