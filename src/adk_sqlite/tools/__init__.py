"""Operator tools over a database file: inspection, timeline, tool audit, upkeep, queries.

Each opens the file with a connection of its own (`adk_sqlite.sqlite.database_file`), so it
is safe beside running agents. The command line (`adk_sqlite.cli`) is a thin shell over these.
"""
