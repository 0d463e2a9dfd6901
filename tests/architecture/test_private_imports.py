"""No module of adk_sqlite reaches into another package's private names, or another library's.

A package's inside is open to its own modules; what other packages use of it is a
public (non-underscore) name. The first check walks every module's imports, including
the ones inside functions and under ``TYPE_CHECKING``, and lists every crossing of that
line. The second lists every ``something._private`` attribute read or written on an
object other than ``self``/``cls``/``super()``: outside the adapters named in `ADAPTERS`, none.
"""

from __future__ import annotations

import ast
from pathlib import Path

import adk_sqlite

PACKAGE_ROOT = Path(adk_sqlite.__file__).resolve().parent


def _module_name(path: Path) -> tuple[str, str]:
    """The dotted name of the module at ``path``, and the package it belongs to."""
    parts = ["adk_sqlite", *path.relative_to(PACKAGE_ROOT).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
        return ".".join(parts), ".".join(parts)
    return ".".join(parts), ".".join(parts[:-1])


def _absolute(module: str, package: str, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = package.split(".")
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _is_private(dotted: str) -> bool:
    return any(part.startswith("_") and not part.startswith("__") for part in dotted.split("."))


def _package_of(dotted: str) -> str:
    """The package a module name belongs to: itself if it is a package, else its parent."""
    path = PACKAGE_ROOT.joinpath(*dotted.split(".")[1:])
    return dotted if path.is_dir() else dotted.rpartition(".")[0]


def crossings_in(text: str, module: str, package: str) -> list[str]:
    """The imports in ``text`` (``module`` of ``package``) of private names of other packages."""
    found = []
    for node in ast.walk(ast.parse(text)):
        if not isinstance(node, ast.ImportFrom):
            continue
        source = _absolute(module, package, node)
        if not source.startswith("adk_sqlite"):
            continue
        for alias in node.names:
            target = f"{source}.{alias.name}"
            owner = _package_of(source)
            if PACKAGE_ROOT.joinpath(*target.split(".")[1:]).is_dir():
                owner = target
            if owner == package:
                continue
            if _is_private(source) or _is_private(alias.name):
                found.append(f"{module} imports {target}")
    return found


def private_crossings() -> list[str]:
    found = []
    for path in sorted(PACKAGE_ROOT.rglob("*.py")):
        module, package = _module_name(path)
        found += crossings_in(path.read_text(), module, package)
    return found


# The one module per foreign private API, each with a start-up check and a fallback.
ADAPTERS = {
    "adk_sqlite.adk.session_marker": "google-adk's Session._storage_update_marker",
    "adk_sqlite.sqlite.engine.worker_connection": "aiosqlite's Connection._execute/_conn/_thread",
    "adk_sqlite.codec.fast": "pydantic and google-genai internals of the no-validation decoding",
}
# namedtuple's documented API is spelled with a leading underscore.
NAMEDTUPLE_API = {"_replace", "_asdict", "_fields", "_make"}


def _in_adapter(module: str) -> bool:
    return any(module == name or module.startswith(name + ".") for name in ADAPTERS)


def private_attribute_reaches() -> list[str]:
    found = []
    for path in sorted(PACKAGE_ROOT.rglob("*.py")):
        module, _ = _module_name(path)
        if _in_adapter(module):
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Attribute) or not _is_private(node.attr):
                continue
            if node.attr in NAMEDTUPLE_API:
                continue
            if isinstance(node.value, ast.Name) and node.value.id in {"self", "cls"}:
                continue
            if _is_super_call(node.value):  # the object's own class hierarchy
                continue
            found.append(f"{module}:{node.lineno} {ast.unparse(node)}")
    return found


def _is_super_call(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "super"
        and not node.args
    )


def test_a_reach_into_another_packages_private_name_is_found() -> None:
    text = "from adk_sqlite.sqlite.engine.connection import _configure, parse_database\n"
    found = crossings_in(text, "adk_sqlite.tools.inspection", "adk_sqlite.tools")
    assert found == [
        "adk_sqlite.tools.inspection imports adk_sqlite.sqlite.engine.connection._configure"
    ]


def test_a_private_module_of_another_package_is_found_and_ones_own_is_not() -> None:
    text = "from ._output import example\nfrom adk_sqlite.cli import _errors\n"
    assert crossings_in(text, "adk_sqlite.cli.show", "adk_sqlite.cli") == []
    assert crossings_in(
        text.replace("._output", "adk_sqlite.cli._output"), "adk_sqlite.tools.x", "adk_sqlite.tools"
    ) == [
        "adk_sqlite.tools.x imports adk_sqlite.cli._output.example",
        "adk_sqlite.tools.x imports adk_sqlite.cli._errors",
    ]


def test_no_module_imports_a_private_name_of_another_package() -> None:
    assert private_crossings() == []


def test_no_private_attribute_of_another_object_is_used_outside_the_adapters() -> None:
    assert private_attribute_reaches() == []


def test_every_adapter_exists() -> None:
    for name in ADAPTERS:
        path = PACKAGE_ROOT.joinpath(*name.split(".")[1:])
        assert path.with_suffix(".py").is_file() or path.is_dir(), name
