"""Which artifacts table of a database file a tool works on.

A store creates its artifacts table on its first save, under the name it was given
(``artifact_table=``), and a file records no link between a table set and an
artifacts table; `adk_sqlite.sqlite.table_sets.artifact_tables_in` finds them by
their columns. A file usually holds none or one; one holding several (several
stores with their own ``artifact_table``) needs the caller to name the one to use.
"""

from __future__ import annotations

from adk_sqlite.sqlite.table_sets import artifact_tables_in
from adk_sqlite.tools.table_choice import TableChooser

__all__ = ["choose_artifact_table"]

# choose_artifact_table(connection, wanted, where, option=...): ``wanted`` if the file
# holds that artifacts table, else the only one, else None (no artifact was ever saved
# in the file); see `TableChooser.__call__`.
choose_artifact_table = TableChooser(
    tables_in=artifact_tables_in,
    one="an artifacts table",
    several="artifacts tables",
    option="--artifact-table NAME (artifact_table= in Python)",
)
