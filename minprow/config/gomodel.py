"""The base of config parts decoded as Go decodes them into Prow's structs.

Strict types (a string is not a number), unknown fields kept for the loader to
report, and YAML null read as the field's zero value: for Prow's pointers,
slices and maps that is "unset", the field's default here.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator


class GoPart(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow", populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _nulls(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if v is not None}
        return data
