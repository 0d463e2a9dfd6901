"""The shared-file layout: every session in one SQLite file (`SqliteStore`)."""
