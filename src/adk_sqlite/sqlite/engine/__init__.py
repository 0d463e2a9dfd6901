"""The SQLite engine both layouts run on.

- `connection`: where a database is, how a connection is configured, how work reaches it,
  and the one place SQLite's errors are mapped to adk-sqlite's.
- `writer`: the write path: group commit, the cross-process write lock, checkpoints.
- `worker_pool`: the worker threads of the one-file-per-session layout.
"""
