"""The SQLite schema: SQL templates per table set, and the statements rendered from them.

- `sql`: every statement of the shared-file layout, as named templates, and the migrations.
- `per_session_sql`: the catalog and per-file statements of the one-file-per-session layout.
- `statements`: one store's statements, rendered once for its (validated) table names.
"""
