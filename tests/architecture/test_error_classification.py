"""No error is classified by its message text: driver errors are told apart by code or data."""

from __future__ import annotations

import ast
from pathlib import Path

import adk_sqlite

PACKAGE_ROOT = Path(adk_sqlite.__file__).resolve().parent


def message_tests_in(text: str) -> list[int]:
    """Lines where an except handler tests a substring of ``str(<its exception>)``."""
    found = []
    for handler in ast.walk(ast.parse(text)):
        if not isinstance(handler, ast.ExceptHandler) or handler.name is None:
            continue
        for node in ast.walk(handler):
            if not isinstance(node, ast.Compare):
                continue
            if not any(isinstance(op, ast.In | ast.NotIn) for op in node.ops):
                continue
            for side in node.comparators:
                if (
                    isinstance(side, ast.Call)
                    and isinstance(side.func, ast.Name)
                    and side.func.id == "str"
                    and any(isinstance(a, ast.Name) and a.id == handler.name for a in side.args)
                ):
                    found.append(node.lineno)
    return found


def test_a_message_test_is_found() -> None:
    text = "try:\n    pass\nexcept OSError as exc:\n    if 'locked' in str(exc):\n        raise\n"
    assert message_tests_in(text) == [4]


def test_no_handler_in_the_package_reads_an_error_message() -> None:
    found = {
        str(path.relative_to(PACKAGE_ROOT)): lines
        for path in sorted(PACKAGE_ROOT.rglob("*.py"))
        if (lines := message_tests_in(path.read_text()))
    }
    assert found == {}
