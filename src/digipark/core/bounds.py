"""The ranges integers of requests are held to, so that no number reaches the database that it cannot store or
compare (SQLite stops at 64 bits with an OverflowError; PostgreSQL refuses to compare an INTEGER with 2**31).
Every integer of a path, query or body declares its range in the OpenAPI schema (checked by tests/core/test_bounds.py)
and is refused with 422 beyond it."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
INT32_MAX = 2**31 - 1
"""Row ids are INTEGER columns: 32 bits on PostgreSQL."""

Int64 = Annotated[int, Field(ge=INT64_MIN, le=INT64_MAX)]
"""Any integer a BIGINT column can hold."""
RowId = Annotated[int, Field(ge=1, le=INT32_MAX)]
"""The id of a row."""
