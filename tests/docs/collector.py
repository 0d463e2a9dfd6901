"""The code blocks of README.md and docs/*.md that the docs tests run, and how each runs.

**Python.** Every fenced ```` ```python ```` block is run, in a working directory of its
own holding the sample files (`tests/docs/workspace.py`), in a process of its own (see
`launcher.py`). Top-level ``await`` is allowed, as in an async REPL, so that a fragment
such as ``page = await service.list_sessions(...)`` runs as written.

**Shell.** A ```` ```sh ````, ```` ```console ````, ```` ```shell ````, ```` ```bash ```` or
```` ```text ```` block holds commands when

- some of its lines start with ``$ ``: each such line (with the lines ending in ``\\`` after
  it) is a command, and the lines up to the next ``$`` are its shown output. A command
  whose shown output has a line starting with ``Error:`` is expected to fail (exit status
  not 0, ``Error:`` on stderr); every other command must exit with 0;
- or it is not ``text`` and has no ``$`` lines: then each line (joined across ``\\``) is a
  command, and comments after ``#`` are comments.

A ``text`` block without ``$`` lines is a synopsis or a listing and is not run. Of the
commands, only those of ``adk-sqlite`` (or ``python -m adk_sqlite``), optionally after
``NAME=value`` environment assignments, are run, one after the other in the block's
directory; commands of other programs (``pip install``, ``adk web``, ``adk api_server``,
``sqlite3``, ``python3 -m venv``, the benchmarks) are left out by this rule, since they
need the network, start a server that does not end or take minutes. A block with no
``adk-sqlite`` command is not collected. Commands are split as POSIX shells split words;
pipes and redirections are not supported (a block that has them must be marked ``skip``).

**Markers.** An HTML comment on the line(s) right before the opening fence, invisible in the
rendered page, changes how a block runs:

``<!-- docs-test: skip reason="needs GOOGLE_API_KEY" -->``
    Not run; the test is skipped with the reason (required).
``<!-- docs-test: continue -->``
    Runs after the page's previous Python block, in the same namespace (that block may
    continue an earlier one in turn).
``<!-- docs-test: setup=NAME[,NAME...] -->``
    Runs the named preludes (`PRELUDES` in `launcher.py`) first, in the block's namespace:
    ``agent`` (an ``agent`` driven by `ScriptedModel`), ``service`` (``service`` over
    ``sessions.db`` and a ``session_id`` it holds), ``folder-store`` (``store``, the
    ``agent-sessions`` folder), ``names`` (``from adk_sqlite import *``),
    ``scripted-gemini`` (``gemini-*`` model names answered by `ScriptedModel`, offline).
``<!-- docs-test: postgres -->``
    Every ``postgresql://...`` URL in the block stands for the test server
    (``ADK_SQLITE_TEST_POSTGRES_DSN``, default ``postgresql://postgres@127.0.0.1:5432/postgres``)
    in a fresh schema, dropped afterwards.
``<!-- docs-test: pytest -->``
    The block is a test module: it is run by pytest (``asyncio_mode=auto``), which must
    collect at least one test and pass.
``<!-- docs-test: signature=MODULE.NAME -->``
    The block is a call signature; its parameters (names, kinds, defaults) must be those
    of the named callable.
``<!-- docs-test: exit=N -->``
    Every command of the shell block must exit with ``N``.

Several markers may share one comment (``<!-- docs-test: continue setup=service -->``).
An unknown marker is an error, so that a misspelt one cannot silently do nothing.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
SHELL_LANGUAGES = frozenset({"sh", "console", "shell", "bash", "text"})
RUNNABLE_PROGRAMS = (
    ("adk-sqlite",),
    ("python", "-m", "adk_sqlite"),
    ("python3", "-m", "adk_sqlite"),
)

_FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,})(?P<language>[\w+-]*)\s*$")
_MARKER = re.compile(r"^\s*<!--\s*docs-test:(?P<body>.*?)-->\s*$")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_FLAGS = {"skip", "continue", "postgres", "pytest"}
_VALUES = {"reason", "setup", "signature", "exit"}


class MarkerError(ValueError):
    """A docs-test marker that cannot be understood."""


@dataclass(frozen=True)
class Markers:
    """What the ``<!-- docs-test: ... -->`` comments before a block say."""

    skip_reason: str | None = None
    continues: bool = False
    postgres: bool = False
    pytest: bool = False
    setups: tuple[str, ...] = ()
    signature: str | None = None
    exit_code: int | None = None


@dataclass(frozen=True)
class CodeBlock:
    """One fenced block of a page."""

    page: str
    line: int
    """The line of the opening fence (1-based); the code starts on the next line."""
    language: str
    source: str
    markers: Markers = field(default_factory=Markers)

    @property
    def test_id(self) -> str:
        return f"{self.page}:{self.line}"


@dataclass(frozen=True)
class ShellCommand:
    """One command of a shell block, as a shell would split it."""

    line: int
    text: str
    environment: dict[str, str]
    argv: tuple[str, ...]
    """The adk-sqlite arguments (without the program), or empty for another program."""
    expects_error: bool

    @property
    def runs(self) -> bool:
        return bool(self.argv)


def documentation_pages() -> list[Path]:
    """README.md and every page of docs/, in a stable order."""
    return [REPOSITORY / "README.md", *sorted((REPOSITORY / "docs").glob("*.md"))]


def parse_markers(comments: list[str]) -> Markers:
    """The markers of the comment lines before a fence (their bodies, after ``docs-test:``)."""
    values: dict[str, str] = {}
    flags: set[str] = set()
    for body in comments:
        for word in shlex.split(body):
            name, equals, value = word.partition("=")
            if not equals and name in _FLAGS:
                flags.add(name)
            elif equals and name in _VALUES:
                values[name] = value
            else:
                raise MarkerError(f"unknown docs-test marker {word!r}")
    if ("skip" in flags) != ("reason" in values):
        raise MarkerError('a skip needs its reason, and only a skip has one: skip reason="why"')
    return Markers(
        skip_reason=values.get("reason"),
        continues="continue" in flags,
        postgres="postgres" in flags,
        pytest="pytest" in flags,
        setups=tuple(name for name in values.get("setup", "").split(",") if name),
        signature=values.get("signature"),
        exit_code=int(values["exit"]) if "exit" in values else None,
    )


def parse_page(path: Path, page: str | None = None) -> list[CodeBlock]:
    """Every fenced block of one page, with the markers written before it.

    ``page`` names the page in test ids (default: its path in the repository).
    """
    page = page or path.relative_to(REPOSITORY).as_posix()
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[CodeBlock] = []
    comments: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        marker = _MARKER.match(line)
        opening = _FENCE.match(line)
        if marker:
            comments.append(marker.group("body"))
        elif opening:
            indent, fence = opening.group("indent"), opening.group("fence")
            opening_line = index + 1
            body: list[str] = []
            index += 1
            while index < len(lines) and lines[index].strip() != fence:
                text = lines[index]
                body.append(text[len(indent) :] if text.startswith(indent) else text.lstrip())
                index += 1
            try:
                markers = parse_markers(comments)
            except MarkerError as error:
                raise MarkerError(f"{page}:{index + 1}: {error}") from None
            blocks.append(
                CodeBlock(
                    page=page,
                    line=opening_line,
                    language=opening.group("language"),
                    source="\n".join(body) + "\n",
                    markers=markers,
                )
            )
            comments = []
        else:
            comments = []
        index += 1
    return blocks


def all_blocks() -> list[CodeBlock]:
    return [block for path in documentation_pages() for block in parse_page(path)]


def python_blocks() -> list[CodeBlock]:
    return [block for block in all_blocks() if block.language == "python"]


def chain_of(block: CodeBlock, blocks: list[CodeBlock]) -> list[CodeBlock]:
    """``block`` and the earlier Python blocks of its page it continues, oldest first."""
    same_page = [other for other in blocks if other.page == block.page]
    position = same_page.index(block)
    chain = [block]
    while chain[0].markers.continues:
        if position == 0:
            raise MarkerError(f"{block.test_id}: `continue` with no Python block before it")
        position -= 1
        chain.insert(0, same_page[position])
    return chain


def shell_commands(block: CodeBlock) -> list[ShellCommand]:
    """The commands of a shell block, by the rules of this module's docstring."""
    if block.language not in SHELL_LANGUAGES:
        return []
    lines = block.source.splitlines()
    transcript = any(line.startswith("$ ") for line in lines)
    if block.language == "text" and not transcript:
        return []
    commands: list[ShellCommand] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        number = block.line + 1 + index
        if transcript and not line.startswith("$ "):
            index += 1
            continue
        text = line[2:] if transcript else line
        while text.endswith("\\") and index + 1 < len(lines):
            index += 1
            text = text[:-1] + " " + lines[index].strip()
        index += 1
        output: list[str] = []
        if transcript:
            while index < len(lines) and not lines[index].startswith("$ "):
                output.append(lines[index])
                index += 1
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        commands.append(_command(number, text, any(shown.startswith("Error:") for shown in output)))
    return commands


def _command(line: int, text: str, expects_error: bool) -> ShellCommand:
    words = shlex.split(text, comments=True)
    environment: dict[str, str] = {}
    while words and _ASSIGNMENT.match(words[0]):
        name, _, value = words.pop(0).partition("=")
        environment[name] = value
    argv: tuple[str, ...] = ()
    for program in RUNNABLE_PROGRAMS:
        if tuple(words[: len(program)]) == program:
            argv = tuple(words[len(program) :])
            break
    if argv and any(word in {"|", ">", ">>", "<", "&&", "||", ";"} for word in argv):
        raise MarkerError(f"line {line}: pipes and redirections are not run; mark the block skip")
    return ShellCommand(line, text, environment, argv, expects_error)


def shell_blocks() -> list[CodeBlock]:
    """The shell blocks that hold at least one adk-sqlite command."""
    return [
        block
        for block in all_blocks()
        if any(command.runs for command in shell_commands(block)) or _marked_shell(block)
    ]


def _marked_shell(block: CodeBlock) -> bool:
    return block.language in SHELL_LANGUAGES and block.markers != Markers()
