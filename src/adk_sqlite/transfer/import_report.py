"""`ImportReportBase`: what the report of every import from ADK's stores begins with."""

from __future__ import annotations

import msgspec

__all__ = ["ImportReportBase"]


class ImportReportBase(msgspec.Struct, kw_only=True):
    """The first fields of every import's report; each report's own follow them.

    Attributes:
        source: What was read.
        destination: The store written.
    """

    source: str
    destination: str
