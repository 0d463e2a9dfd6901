from __future__ import annotations

import pytest

from adk_sqlite.memory_records import MemoryRecord, memory_record


def test_a_memory_record_takes_its_stored_columns_in_field_order() -> None:
    columns = ("s1", "e1", "ada", 12.5, '{"parts": []}', "hello", "{}")
    assert memory_record(columns, b"\x00" * 4) == MemoryRecord(
        session_id="s1",
        event_id="e1",
        author="ada",
        timestamp=12.5,
        content='{"parts": []}',
        search_text="hello",
        custom_metadata="{}",
        vector=b"\x00" * 4,
    )
    with pytest.raises(ValueError, match="shorter"):
        memory_record(columns[:-1])
