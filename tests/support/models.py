"""Comparing pydantic models beyond ``==``: which fields each nested model was given."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


def fields_set_tree(value: Any) -> Any:
    """``model_fields_set`` of a model and of every model it holds, as one nested value.

    Two models can be equal while validation saw different fields (an explicit
    default counts as set): rebuilt models must match on this too.
    """
    if isinstance(value, list):
        return [fields_set_tree(item) for item in value]
    if not isinstance(value, BaseModel):
        return None
    return (
        type(value).__name__,
        sorted(value.model_fields_set),
        {name: fields_set_tree(getattr(value, name)) for name in sorted(value.model_fields_set)},
    )
