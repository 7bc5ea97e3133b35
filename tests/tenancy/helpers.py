"""What every tenancy exercise uses: the caller (`Ctx`), the attackers, problem answers, markers of park A."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Callable
from typing import Any

import openpyxl
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.registry.models import Enterprise
from tests.conftest import World, bearer

API = "/api/v1"
PROBLEM = "application/problem+json"

# Roles of park B: none of them may see or touch anything of park A.
B_ROLES = ("park_admin", "operator", "reviewer", "enterprise", "enterprise2", "resident")
# Roles of park A that may not write registry rows (the operator and admin may).
A_READ_ONLY_ROLES = ("enterprise", "enterprise2", "reviewer", "resident")
NON_STAFF = frozenset({"enterprise", "enterprise2", "resident"})


@dataclasses.dataclass
class Ctx:
    client: TestClient
    world: World
    db: Session
    cache: dict[str, Any] = dataclasses.field(default_factory=dict)  # rows made once per test

    def call(self, method: str, url: str, who: str, park: str = "a", **kwargs: Any) -> Response:
        pw = self.world.a if park == "a" else self.world.b
        return self.client.request(method, url, headers=bearer(pw.tokens[who]), **kwargs)

    def as_a_admin(self, method: str, url: str, **kwargs: Any) -> Response:
        return self.call(method, url, "park_admin", "a", **kwargs)


def assert_problem(response: Response, *statuses: int) -> None:
    assert response.status_code in statuses, (response.status_code, response.text)
    assert response.headers["content-type"].startswith(PROBLEM), response.headers["content-type"]
    body = response.json()
    assert body["status"] == response.status_code
    assert body["type"].startswith("https://") and body["title"] and body["detail"]


Exercise = Callable[[Ctx], None]


def all_attackers() -> list[tuple[str, str]]:
    """(park, role) of every caller that may not write park A's rows: park B's roles, park A's read-only roles."""
    return [("b", role) for role in B_ROLES] + [("a", role) for role in A_READ_ONLY_ROLES]


def b_denial(role: str) -> tuple[int, ...]:
    """Park B's staff hold every permission: only the scope stops them, and it answers 404. Park B's other
    roles may already lack the permission for the whole kind (403); neither reveals that the row exists."""
    return (404,) if role in ("park_admin", "operator") else (403, 404)


def count_rows(db: Session, model: type[Any]) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def next_number(ctx: Ctx, key: str) -> int:
    """1, 2, 3 ... per key within a test: codes, names and years that must not repeat."""
    ctx.cache[key] = ctx.cache.get(key, 0) + 1
    return int(ctx.cache[key])


def is_empty(response: Response) -> bool:
    """A 200 that shows nothing: an empty list or page."""
    if response.status_code != 200 or "json" not in response.headers.get("content-type", ""):
        return False
    body = response.json()
    return body == [] or (isinstance(body, dict) and body.get("items") == [] and body.get("total") == 0)


def items_of(body: Any) -> list[dict[str, Any]]:
    if isinstance(body, dict) and isinstance(body.get("items"), list):
        return list(body["items"])
    return list(body) if isinstance(body, list) else []


def xlsx(headers: list[str], rows: list[list[Any]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def park_a_markers(ctx: Ctx) -> list[str]:
    """Text that only park A's data contains: its enterprises' names and USCCs."""
    rows = ctx.db.execute(select(Enterprise.name, Enterprise.uscc).where(Enterprise.park_id == ctx.world.a.park_id))
    return [value for row in rows for value in row]


def download_text(response: Response) -> str:
    """What a download shows: the text of a CSV, every cell of a workbook, or the body as it is."""
    if response.content.startswith(b"PK"):
        workbook = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
        return "\n".join(
            str(cell)
            for sheet in workbook.worksheets
            for row in sheet.iter_rows(values_only=True)
            for cell in row
            if cell is not None
        )
    return response.content.decode("utf-8-sig", errors="replace")


def own_markers(ctx: Ctx, role: str) -> list[str]:
    own = ctx.world.a.enterprise_ids[0 if role == "enterprise" else 1]
    row = ctx.db.execute(select(Enterprise.name, Enterprise.uscc).where(Enterprise.id == own)).one()
    return list(row)


def page_denied(response: Response) -> bool:
    """Not found, forbidden, or sent to the login page: never the page."""
    if response.status_code in (301, 302, 303, 307):
        return response.headers.get("location", "").split("?")[0].endswith("/login")
    return response.status_code in (403, 404)


def enterprise_markers(db: Session, enterprise_id: int) -> list[str]:
    row = db.execute(select(Enterprise.name, Enterprise.uscc).where(Enterprise.id == enterprise_id)).one()
    return list(row)
