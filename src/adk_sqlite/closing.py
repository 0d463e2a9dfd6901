"""`AsyncClosing`: ``async with`` for an object that is closed with ``await close()``.

The service, the stores and the export's source end an ``async with`` block the
same way: whatever the block raised, they close. Each says only how it closes
(its `close`) and what entering does.
"""

from __future__ import annotations

from types import TracebackType

__all__ = ["AsyncClosing"]


class AsyncClosing:
    """Leaving an ``async with`` block awaits `close`."""

    __slots__ = ()

    async def close(self) -> None:
        """Releases what the object holds."""
        raise NotImplementedError

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()
