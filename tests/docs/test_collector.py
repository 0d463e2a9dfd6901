"""The collector finds the blocks, markers and commands its docstring promises."""

from __future__ import annotations

from pathlib import Path

import pytest

from .collector import CodeBlock, MarkerError, chain_of, parse_page, shell_commands


def _page(tmp_path: Path, text: str) -> list[CodeBlock]:
    path = tmp_path / "page.md"
    path.write_text(text, encoding="utf-8")
    return parse_page(path, "page.md")


def test_a_marker_on_the_line_before_a_fence_belongs_to_its_block(tmp_path: Path) -> None:
    blocks = _page(
        tmp_path,
        "Text.\n\n<!-- docs-test: setup=agent,service postgres -->\n```python\nx = 1\n```\n",
    )
    assert [(block.line, block.source) for block in blocks] == [(4, "x = 1\n")]
    assert blocks[0].markers.setups == ("agent", "service")
    assert blocks[0].markers.postgres


def test_a_marker_separated_by_a_blank_line_belongs_to_nothing(tmp_path: Path) -> None:
    blocks = _page(tmp_path, "<!-- docs-test: postgres -->\n\n```python\nx = 1\n```\n")
    assert not blocks[0].markers.postgres


def test_an_unknown_marker_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(MarkerError, match="unknown docs-test marker 'postgress'"):
        _page(tmp_path, "<!-- docs-test: postgress -->\n```python\nx = 1\n```\n")


def test_a_skip_needs_a_reason(tmp_path: Path) -> None:
    with pytest.raises(MarkerError, match="skip needs its reason"):
        _page(tmp_path, "<!-- docs-test: skip -->\n```python\nx = 1\n```\n")
    blocks = _page(tmp_path, '<!-- docs-test: skip reason="no key here" -->\n```python\n```\n')
    assert blocks[0].markers.skip_reason == "no key here"


def test_continue_chains_back_through_the_pages_python_blocks(tmp_path: Path) -> None:
    blocks = _page(
        tmp_path,
        "```python\na = 1\n```\n```sh\nls\n```\n<!-- docs-test: continue -->\n```python\n"
        "b = a\n```\n<!-- docs-test: continue -->\n```python\nc = b\n```\n",
    )
    python = [block for block in blocks if block.language == "python"]
    assert [block.source for block in chain_of(python[2], python)] == [
        "a = 1\n",
        "b = a\n",
        "c = b\n",
    ]


def test_a_transcript_runs_its_adk_sqlite_commands_and_expects_shown_errors(
    tmp_path: Path,
) -> None:
    (block,) = _page(
        tmp_path,
        "```text\n$ COLUMNS=40 adk-sqlite show a.db 'ticket 1'\nSession ticket 1\n"
        "$ adk-sqlite show a.db nope\nError: no such session\n"
        "$ pip install adk-sqlite\n$ python -m adk_sqlite stats a.db \\\n    --json\n```\n",
    )
    commands = shell_commands(block)
    assert [(command.argv, command.expects_error) for command in commands] == [
        (("show", "a.db", "ticket 1"), False),
        (("show", "a.db", "nope"), True),
        ((), False),
        (("stats", "a.db", "--json"), False),
    ]
    assert commands[0].environment == {"COLUMNS": "40"}
    assert not commands[2].runs


def test_a_text_block_without_prompts_is_a_synopsis_not_commands(tmp_path: Path) -> None:
    (text, shell) = _page(
        tmp_path,
        "```text\nadk-sqlite show DB SESSION_ID [--json]\n```\n"
        "```sh\nadk-sqlite stats a.db  # figures\n```\n",
    )
    assert shell_commands(text) == []
    assert [command.argv for command in shell_commands(shell)] == [("stats", "a.db")]
