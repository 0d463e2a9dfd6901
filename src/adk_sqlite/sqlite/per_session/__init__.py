"""The one-file-per-session layout (`PerSessionSqliteStore`): a folder, a catalog, a file each."""
