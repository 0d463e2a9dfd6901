"""The ADK-facing services: ADK's semantics over any `adk_sqlite.store.BaseAsyncStore`.

`sessions` holds `SessionService` (``google.adk.sessions.BaseSessionService``). The
artifact and memory services join it here, one module each, over the same stores.
Nothing in this package runs SQL: it converts between ADK's objects and the stores'
records through `adk_sqlite.codec`.
"""
