"""Pure conversion between ADK's objects and the stores' records. No I/O.

- `events`: an ADK ``Event`` to an `EventRecord` and back through validation (the
  reference decoding), and the Julian-day time scale.
- `actions_column`: an event's ``EventActions`` to its column and back.
- `state`: ``app:``/``user:``/``temp:`` scopes, split and merge.
- `exact_json`, `model_json`: JSON that keeps every float and every model field.
- `actions_pickle`: ``EventActions`` pickled, loaded through a restricted unpickler.
- `content`: reading a stored message's parts (for the tools).
- `event_digest`: the checksum of a session's events, the same on every backend.
- `fast`: decoding without re-validation (the fast path), behind one switch
  (``SessionService(fast_decoding=...)``, ``ADK_SQLITE_FAST_DECODING=0``) and a
  self-check against `events` at first use; the one entry point reads use.
"""
