"""The export's event checksum, as docs/postgresql.md defines it. Pure, no database."""

from __future__ import annotations

import hashlib
import struct

from adk_sqlite.codec.event_digest import DIGEST_COLUMNS, SessionDigest, event_row_digest


def _row(**values: object) -> list[object]:
    row: list[object] = [None] * len(DIGEST_COLUMNS)
    row[6] = 0.0  # timestamp_unix is never NULL
    for name, value in values.items():
        row[[column for column, _ in DIGEST_COLUMNS].index(name)] = value
    return row


def test_the_columns_are_eventrecords_fields_in_order() -> None:
    from adk_sqlite.records import EventRecord

    names = [name for name, _ in DIGEST_COLUMNS]
    fields = ["timestamp_unix" if f == "timestamp" else f for f in EventRecord.__struct_fields__]
    assert names == fields


def test_a_row_digest_follows_the_documented_encoding() -> None:
    row = _row(id="é", timestamp_unix=1.5, actions=b"\x00\x01", partial=True, turn_complete=False)

    expected = b"".join(
        [
            b"\x01" + struct.pack(">i", 2) + "é".encode(),  # id
            b"\x00" * 5,  # app_name ... author: NULL
            b"\x01" + struct.pack(">d", 1.5),
            b"\x01" + struct.pack(">i", 2) + b"\x00\x01",  # actions
            b"\x00" * 9,  # long_running_tool_ids_json ... output_transcription
            b"\x01\x01",  # partial
            b"\x01\x00",  # turn_complete
            b"\x00" * 4,  # interrupted, error_code, error_message, extra
        ]
    )
    assert event_row_digest(row) == hashlib.sha256(expected).digest()


def test_null_and_empty_text_differ() -> None:
    assert event_row_digest(_row(branch=None)) != event_row_digest(_row(branch=""))


def test_flags_false_true_and_null_differ_and_sqlite_integers_count_as_flags() -> None:
    digests = {event_row_digest(_row(partial=value)) for value in (None, False, True)}
    assert len(digests) == 3
    assert event_row_digest(_row(partial=1)) == event_row_digest(_row(partial=True))
    assert event_row_digest(_row(partial=0)) == event_row_digest(_row(partial=False))


def test_negative_zero_is_not_zero() -> None:
    assert event_row_digest(_row(timestamp_unix=-0.0)) != event_row_digest(_row())


def test_lengths_keep_adjacent_values_apart() -> None:
    assert event_row_digest(_row(id="ab", app_name="c")) != event_row_digest(
        _row(id="a", app_name="bc")
    )


def test_text_as_str_or_utf8_bytes_digests_alike() -> None:
    assert event_row_digest(_row(content='{"t":"✓"}')) == event_row_digest(
        _row(content='{"t":"✓"}'.encode())
    )


def test_a_session_digest_is_the_digest_of_its_row_digests_in_order() -> None:
    first, second = event_row_digest(_row(id="1")), event_row_digest(_row(id="2"))
    session = SessionDigest()
    session.add(first)
    session.add(second)

    assert session.events == 2
    assert session.hexdigest() == hashlib.sha256(first + second).hexdigest()
    assert SessionDigest().hexdigest() == hashlib.sha256(b"").hexdigest()
