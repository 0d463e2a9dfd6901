"""What every backend shares: the store machinery written once for all three layouts.

The core one level up says *what* a store is: the protocols (`adk_sqlite.store`,
`adk_sqlite.artifact_store`, `adk_sqlite.memory_store`) and the records they take
and return. This package says how the backends (`adk_sqlite.sqlite`,
`adk_sqlite.postgres`) implement it without writing anything twice:

* `store_base`: `StoreBase`, the public methods of every store over a backend's
  hooks, with the owner check, the closed-store check and the job binding
  (`store_jobs`); `memory_methods` does the same for `MemoryStore`.
* `store_options`, `store_rules`: the options (table names, owner column) checked
  once, and the rules every backend applies (the stale-writer check, new sessions,
  the not-found and schema errors).
* `store_statements`, `page_statements`, `session_tables`, `artifact_statements`,
  `memory_statements`, `shared_statements`: the SQL both dialects render from one
  template (``?`` on SQLite, numbered on PostgreSQL).
* `session_jobs`, `job_requests`, `memory_writes`, `memory_fusion`,
  `memory_ranking`, `forget_report`: the steps of a job that do not depend on the
  driver.

Nothing here imports a backend or the ADK services; the import contracts in
``pyproject.toml`` check it.
"""
