"""The version of adk-sqlite, written only here: pyproject.toml reads it (``[tool.hatch.version]``).

A module of its own so that ``adk-sqlite --version`` needs no ``importlib.metadata``.
"""

from __future__ import annotations

__version__ = "0.1.0.dev0"
