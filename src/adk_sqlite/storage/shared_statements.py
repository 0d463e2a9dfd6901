"""Statements partly shared by both backends (artifacts, memory): how they render. Pure.

Such statements are one dataclass per backend, whose fields are rendered from two kinds
of template: those both backends run alike, written once in SQLite's ``?`` form
(`SharedTemplates`, made `for_dialect`), and the backend's own, the constants of its
``*_sql`` module named after the fields (`adk_sqlite.storage.store_statements.field_templates`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from adk_sqlite.storage.store_statements import (
    Dialect,
    field_templates,
    for_dialect,
    render_templates,
)

__all__ = ["SharedTemplates"]

StatementsT = TypeVar("StatementsT")


@dataclass(frozen=True, slots=True)
class SharedTemplates:
    """Templates both backends run, by statements field, in SQLite's ``?`` form.

    ``counted`` names the deletes that return how many rows went on PostgreSQL
    (`adk_sqlite.storage.store_statements.counted`); SQLite's jobs read the ``rowcount``.
    """

    templates: Mapping[str, str]
    counted: tuple[str, ...] = ()

    def render(
        self,
        statements_class: type[StatementsT],
        names: Mapping[str, str],
        *,
        dialect: Dialect,
        constants: Mapping[str, object],
        **values: Any,
    ) -> StatementsT:
        """A backend's statements: these templates and its own, ``names`` filled in.

        Args:
            statements_class: The backend's statements dataclass.
            names: The templates' placeholders (tables, indexes), each a validated,
                quoted name.
            dialect: Which placeholders these templates take.
            constants: The backend module's ``globals()``: its own templates.
            values: The dataclass's other fields (the tables' names, as they are).
        """
        shared = for_dialect(self.templates, dialect, counted_fields=self.counted)
        templates = {**shared, **field_templates(statements_class, constants)}
        return statements_class(**values, **render_templates(templates, names))
