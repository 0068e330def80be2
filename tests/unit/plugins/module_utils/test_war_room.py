# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""xsoar_incident_entry's decisions from tables: what is already in a war room, what is written, input."""

import hashlib

import pytest

from ansible_collections.xsoar.connector.plugins.module_utils import war_room
from ansible_collections.xsoar.connector.plugins.module_utils.errors import XsoarInputError
from ansible_collections.xsoar.connector.plugins.module_utils.war_room import Wanted
from ansible_collections.xsoar.connector.plugins.module_utils.client import api_bases

LOG = b"disk usage 97%\n"
LOG_SHA = hashlib.sha256(LOG).hexdigest()
TEXT = Wanted("text", text="Remediated: 41 GB freed")
FILE = Wanted("file", name="df.txt", content=LOG, sha256=LOG_SHA)
ATTACHMENT = Wanted("attachment", name="df.txt", content=LOG, sha256=LOG_SHA)
CUSTOM_ATTACHMENT = ATTACHMENT._replace(field="evidencefiles")

TEXT_ENTRY = {"id": "1@7", "type": 1, "contents": "Remediated: 41 GB freed", "file": ""}
FILE_ENTRY = {"id": "2@7", "type": 3, "contents": "", "file": "df.txt", "fileMetadata": {"sha256": LOG_SHA, "size": 15}}
CHANGED_FILE = dict(FILE_ENTRY, fileMetadata={"sha256": "0" * 64})
RENAMED_FILE = dict(FILE_ENTRY, file="df-old.txt")
FILE_NO_METADATA = {"id": "3@7", "type": 3, "file": "df.txt"}
# a file entry whose comment is the wanted text is not that text entry
FILE_WITH_TEXT_COMMENT = dict(FILE_ENTRY, contents="Remediated: 41 GB freed")
PADDED_TEXT_ENTRY = dict(TEXT_ENTRY, contents="  Remediated: 41 GB freed\n")
OTHER_TEXT_ENTRY = dict(TEXT_ENTRY, contents="Remediated: 40 GB freed")
WITH_ATTACHMENT = {"attachment": [{"name": "df.txt"}]}
WITH_CUSTOM = {"CustomFields": {"evidencefiles": [{"name": "df.txt"}]}}


@pytest.mark.parametrize(
    "wanted, entries, incident, expected",
    [
        (TEXT, [], {}, False),
        (TEXT, [TEXT_ENTRY], {}, True),
        (TEXT, [PADDED_TEXT_ENTRY], {}, True),
        (TEXT, [OTHER_TEXT_ENTRY], {}, False),
        (TEXT, [FILE_WITH_TEXT_COMMENT], {}, False),
        (FILE, [], {}, False),
        (FILE, [FILE_ENTRY], {}, True),
        (FILE, [CHANGED_FILE], {}, False),
        (FILE, [RENAMED_FILE], {}, False),
        (FILE, [FILE_NO_METADATA], {}, False),
        (FILE, [TEXT_ENTRY], {}, False),
        (ATTACHMENT, [FILE_ENTRY], {}, False),  # a file entry is not an attachment
        (ATTACHMENT, [], WITH_ATTACHMENT, True),
        (ATTACHMENT, [], WITH_CUSTOM, False),
        (CUSTOM_ATTACHMENT, [], WITH_CUSTOM, True),
        (CUSTOM_ATTACHMENT, [], WITH_ATTACHMENT, False),
        (ATTACHMENT, [], {"attachment": None}, False),
    ],
)
def test_already_written(wanted, entries, incident, expected):
    assert war_room.already_written(wanted, entries, incident) is expected


@pytest.mark.parametrize(
    "wanted, entries, incident, duplicates, expected",
    [
        ((TEXT, FILE, ATTACHMENT), [], {}, "skip", [TEXT, FILE, ATTACHMENT]),
        ((TEXT, FILE, ATTACHMENT), [TEXT_ENTRY, FILE_ENTRY], WITH_ATTACHMENT, "skip", []),
        ((TEXT, FILE, ATTACHMENT), [TEXT_ENTRY, FILE_ENTRY], WITH_ATTACHMENT, "allow", [TEXT, FILE, ATTACHMENT]),
        ((TEXT, FILE), [FILE_ENTRY], {}, "skip", [TEXT]),
        # the same content twice in one task is written once, unless duplicates are allowed
        ((TEXT, TEXT), [], {}, "skip", [TEXT]),
        ((TEXT, TEXT), [], {}, "allow", [TEXT, TEXT]),
        ((FILE, FILE), [], {}, "skip", [FILE]),
        ((ATTACHMENT, ATTACHMENT), [], {}, "skip", [ATTACHMENT]),
        # a file entry and an attachment of the same file are two different things
        ((FILE, ATTACHMENT), [], {}, "skip", [FILE, ATTACHMENT]),
        ((ATTACHMENT, CUSTOM_ATTACHMENT), [], {}, "skip", [ATTACHMENT, CUSTOM_ATTACHMENT]),
    ],
)
def test_to_write(wanted, entries, incident, duplicates, expected):
    assert war_room.to_write(wanted, entries, incident, duplicates) == expected


PARAMS = dict(
    name="Disk full",
    id=None,
    text="hello",
    markdown=True,
    note=False,
    tags=None,
    files=None,
    comment=None,
    attachments=None,
    field="attachment",
    duplicates="skip",
    start_investigation=False,
    max_file_size_mb=10,
    read_limit=1000,
    entries=None,
)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"name": None}, "give the incident's name or its id"),
        ({"id": "3"}, "give the incident's name or its id"),
        ({"name": " Disk full"}, "starts or ends with spaces"),
        ({"text": None}, "nothing to write: give text, files or attachments"),
        ({"text": "  "}, "text is empty"),
        ({"tags": ["a,b"]}, "has a comma"),
        ({"files": ["/nonexistent/df.txt"]}, "files[0]: '/nonexistent/df.txt' is not a readable file"),
        ({"max_file_size_mb": 0}, "max_file_size_mb must be a positive number"),
        ({"read_limit": 0}, "read_limit must be a positive number"),
        ({"entries": [{"name": "x", "text": "y"}]}, "name, text and entries are mutually exclusive"),
        ({"name": None, "text": None, "entries": []}, "entries is empty"),
        ({"name": None, "text": None, "entries": [{"name": "x"}]}, "entries[0]: nothing to write"),
        ({"name": None, "text": None, "entries": [{"name": "x", "txt": "y"}]}, "entries[0]: unsupported option"),
    ],
)
def test_bad_input_is_refused_before_any_request(changes, message):
    with pytest.raises(XsoarInputError) as error:
        war_room.prepare(dict(PARAMS, **changes))
    assert message in str(error.value)


def test_a_file_over_the_limit_is_refused_before_it_is_read(tmp_path):
    big = tmp_path / "big.log"
    big.write_bytes(b"x" * (1024 * 1024 + 1))
    with pytest.raises(XsoarInputError) as error:
        war_room.prepare(dict(PARAMS, files=[str(big)], max_file_size_mb=1))
    assert "is 1048577 bytes, over max_file_size_mb (at most 1048576 bytes)" in str(error.value)
    assert "nothing was sent" in str(error.value)
    small = war_room.prepare(dict(PARAMS, files=[str(big)], max_file_size_mb=1.5))
    assert small.items[0].wanted[1].sha256 == hashlib.sha256(b"x" * (1024 * 1024 + 1)).hexdigest()


def test_items_inherit_the_task_values(tmp_path):
    log = tmp_path / "df.txt"
    log.write_bytes(LOG)
    task = war_room.prepare(
        dict(
            PARAMS,
            name=None,
            text=None,
            note=True,
            tags=["ansible"],
            markdown=False,
            entries=[{"name": "a", "text": "one"}, {"id": "7", "text": "two", "note": False, "files": [str(log)]}],
        )
    )
    first, second = task.items
    assert (first.name, first.wanted[0].note, first.wanted[0].tags, first.wanted[0].markdown) == (
        "a",
        True,
        ("ansible",),
        False,
    )
    assert (second.incident_id, second.wanted[0].note, second.wanted[1].name) == ("7", False, "df.txt")
    assert task.bulk is True


class FakeRoom:
    """A client that answers war-room reads from a list of pages (what a server might page like)."""

    def __init__(self, pages):
        self.pages = list(pages)
        self.bodies = []
        self.api_key_id = None
        self.url = "https://xsoar.example.com"
        self.legacy_base = api_bases(self.url, bool(self.api_key_id))[1]

    def post(self, path, body, base=None):
        self.bodies.append(dict(body))
        answer = type("Answer", (), {})()
        answer.json = {"entries": self.pages.pop(0) if self.pages else []}
        return answer


def entries(first, last):
    return [{"id": f"{n}@7", "created": f"2026-12-07T05:00:{n:02d}Z"} for n in range(first, last + 1)]


@pytest.mark.parametrize(
    "pages, limit, read, complete, requests",
    [
        ([[]], 1000, 0, True, 1),
        ([entries(1, 3)], 1000, 3, True, 1),
        # fromTime inclusive: each next page repeats the last entry
        ([entries(1, 100), entries(100, 150)], 1000, 150, True, 2),
        # a server that ignores fromTime: the repeated page brings nothing new and ends the read
        ([entries(1, 100), entries(1, 100)], 1000, 100, True, 2),
        # more than the limit: only `limit` are kept, and the read says it is not complete
        ([entries(1, 51)], 50, 50, False, 1),
        ([entries(1, 100), entries(100, 199), entries(199, 260)], 150, 150, False, 2),
    ],
)
def test_reading_a_war_room_is_bounded(pages, limit, read, complete, requests):
    client = FakeRoom(pages)
    room = war_room.read_war_room(client, "7", limit)
    assert (len(room.entries), room.complete, len(client.bodies)) == (read, complete, requests)
    assert len({entry["id"] for entry in room.entries}) == read
    assert all(body["pageSize"] <= war_room.READ_PAGE_SIZE for body in client.bodies)
