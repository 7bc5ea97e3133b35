"""The exercises a domain's routes are checked with, by shape of route.

`Resource`: a collection with list/create/get/change/delete (`add_resource` puts its routes in a domain's table);
`IdentView` / `IdentAction`: a read or an action on one row; `ParkView` / `ParkAction`: a park-wide read or write;
`Export` / `Upload`: a download or an all-or-nothing import of rows; `static_view`: a read without park data.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from tests.tenancy.helpers import (
    A_READ_ONLY_ROLES,
    API,
    B_ROLES,
    Ctx,
    Exercise,
    all_attackers,
    assert_problem,
    b_denial,
    count_rows,
    download_text,
    is_empty,
    items_of,
    own_markers,
    park_a_markers,
    xlsx,
)


@dataclasses.dataclass(frozen=True)
class Resource:
    """A collection under /api/v1, exercised on a row park A's admin creates for the test (owned by enterprise
    0 where the kind has an owner)."""

    path: str
    create: Callable[[Ctx], dict[str, Any]]
    patch: dict[str, Any] | None = None
    readers: frozenset[str] = frozenset()  # park A's non-staff roles that may read the row
    writers: frozenset[str] = frozenset()  # park A's roles besides the admin that may change or delete it
    # bodies of park B's admin that point into park A; default: park A's own create body
    cross_creates: Callable[[Ctx], list[dict[str, Any]]] | None = None
    id_field: str = "id"
    make_fn: Callable[[Ctx], int] | None = None  # a row made another way (e.g. under a parent's URL)
    reviewer_reads: bool = True
    snapshot_fn: Callable[[Ctx, Any], Any] | None = None  # how park A's admin sees the row, without GET {ident}

    def snapshot(self, ctx: Ctx, ident: Any) -> Any:
        if self.snapshot_fn is not None:
            return self.snapshot_fn(ctx, ident)
        response = ctx.as_a_admin("GET", self.url(ident))
        assert response.status_code == 200, response.text
        return response.json()

    def url(self, ident: Any = None) -> str:
        return f"{API}/{self.path}" if ident is None else f"{API}/{self.path}/{ident}"

    def make(self, ctx: Ctx) -> Any:
        if self.make_fn is not None:
            return self.make_fn(ctx)
        response = ctx.as_a_admin("POST", self.url(), json=self.create(ctx))
        assert response.status_code == 201, response.text
        return response.json()[self.id_field]

    def attackers(self) -> list[tuple[str, str]]:
        return [(park, role) for park, role in all_attackers() if not (park == "a" and role in self.writers)]

    def denial(self, park: str, role: str) -> tuple[int, ...]:
        if park == "b":
            return b_denial(role)
        return (403,) if role in self.readers or (role == "reviewer" and self.reviewer_reads) else (403, 404)

    def reads(self, park: str, role: str) -> bool:
        return park == "a" and (
            role in self.readers or role in ("park_admin", "operator") or (role == "reviewer" and self.reviewer_reads)
        )


def resource_list(res: Resource, ctx: Ctx) -> None:
    w = ctx.world
    ident = res.make(ctx)
    for park, role in [("b", r) for r in B_ROLES] + [("a", r) for r in A_READ_ONLY_ROLES]:
        response = ctx.call("GET", res.url(), role, park, params={"page_size": 500})
        if response.status_code == 403:
            continue
        assert response.status_code == 200, (role, response.text)
        items = items_of(response.json())
        visible = res.reads(park, role)
        if not visible:
            assert ident not in {item.get(res.id_field) for item in items}, (park, role)
        if park == "b":
            assert all(item.get("park_id", w.b.park_id) == w.b.park_id for item in items), role
    response = ctx.as_a_admin("GET", res.url(), params={"page_size": 500})
    assert ident in {item.get(res.id_field) for item in items_of(response.json())}


def resource_get(res: Resource, ctx: Ctx) -> None:
    ident = res.make(ctx)
    for park, role in all_attackers():
        response = ctx.call("GET", res.url(ident), role, park)
        if res.reads(park, role):
            assert response.status_code == 200, (role, response.text)
        else:
            assert_problem(response, *(b_denial(role) if park == "b" else (403, 404)))
    assert ctx.as_a_admin("GET", res.url(ident)).status_code == 200


def resource_patch(res: Resource, ctx: Ctx) -> None:
    assert res.patch is not None
    ident = res.make(ctx)
    before = res.snapshot(ctx, ident)
    for park, role in res.attackers():
        assert_problem(ctx.call("PATCH", res.url(ident), role, park, json=res.patch), *res.denial(park, role))
    assert res.snapshot(ctx, ident) == before
    response = ctx.as_a_admin("PATCH", res.url(ident), json=res.patch)
    assert response.status_code == 200, response.text


def resource_delete(res: Resource, ctx: Ctx) -> None:
    ident = res.make(ctx)
    before = res.snapshot(ctx, ident)
    for park, role in res.attackers():
        assert_problem(ctx.call("DELETE", res.url(ident), role, park), *res.denial(park, role))
    assert res.snapshot(ctx, ident) == before
    assert ctx.as_a_admin("DELETE", res.url(ident)).status_code in (200, 204)
    if res.snapshot_fn is None:
        assert_problem(ctx.as_a_admin("GET", res.url(ident)), 404)
    else:
        assert res.snapshot(ctx, ident) is None


def _total(res: Resource, ctx: Ctx, park: str = "a") -> int:
    response = ctx.call("GET", res.url(), "park_admin", park, params={"page_size": 500})
    assert response.status_code == 200, response.text
    body = response.json()
    return int(body["total"]) if isinstance(body, dict) and "total" in body else len(items_of(body))


def resource_create(res: Resource, ctx: Ctx) -> None:
    a_total, b_total = _total(res, ctx), _total(res, ctx, "b")
    bodies = res.cross_creates(ctx) if res.cross_creates is not None else [res.create(ctx)]
    for body in bodies:
        assert_problem(ctx.call("POST", res.url(), "park_admin", "b", json=body), 403, 404, 422)
    for role in A_READ_ONLY_ROLES:
        if role not in res.writers:
            assert_problem(ctx.call("POST", res.url(), role, json=res.create(ctx)), 403, 404, 422)
    assert (_total(res, ctx), _total(res, ctx, "b")) == (a_total, b_total)
    res.make(ctx)
    assert _total(res, ctx) == a_total + 1


@dataclasses.dataclass(frozen=True)
class IdentView:
    """A read of one row of park A (or of what hangs off it), e.g. an archive or a graph."""

    path: str  # with {ident}
    ident: Callable[[Ctx], int]
    readers: frozenset[str] = frozenset()
    params: dict[str, Any] = dataclasses.field(default_factory=dict)
    reviewer_reads: bool = True


def ident_view(view: IdentView, ctx: Ctx) -> None:
    url = f"{API}/{view.path}".replace("{ident}", str(view.ident(ctx)))
    for park, role in all_attackers():
        response = ctx.call("GET", url, role, park, params=view.params)
        if park == "a" and (role in view.readers or (role == "reviewer" and view.reviewer_reads)):
            assert response.status_code == 200, (role, response.text)
        else:
            assert_problem(response, *(b_denial(role) if park == "b" else (403, 404)))
    assert ctx.as_a_admin("GET", url, params=view.params).status_code == 200


@dataclasses.dataclass(frozen=True)
class IdentAction:
    """A write on one row of park A, e.g. adding a segment to a chain or moving a lead to another stage."""

    path: str  # with {ident}
    ident: Callable[[Ctx], int]
    body: Callable[[Ctx], dict[str, Any]] | None
    writers: frozenset[str] = frozenset()
    ok: tuple[int, ...] = (200, 201)


def ident_action(action: IdentAction, ctx: Ctx) -> None:
    url = f"{API}/{action.path}".replace("{ident}", str(action.ident(ctx)))
    for park, role in all_attackers():
        if park == "a" and role in action.writers:
            continue
        body = action.body(ctx) if action.body is not None else None
        response = ctx.call("POST", url, role, park, json=body)
        assert_problem(response, *(b_denial(role) if park == "b" else (403, 404)))
    body = action.body(ctx) if action.body is not None else None
    response = ctx.as_a_admin("POST", url, json=body)
    assert response.status_code in action.ok, response.text


@dataclasses.dataclass(frozen=True)
class ParkView:
    """A park-wide read (a dashboard, a ranking, a list without rows of its own) that takes `park_id`."""

    path: str
    readers: frozenset[str] = frozenset()
    params: dict[str, Any] = dataclasses.field(default_factory=dict)
    reviewer_reads: bool = True
    takes_park_id: bool = True


def park_view(view: ParkView, ctx: Ctx) -> None:
    w = ctx.world
    url = f"{API}/{view.path}"
    for role in B_ROLES:
        if view.takes_park_id:
            response = ctx.call("GET", url, role, "b", params={**view.params, "park_id": w.a.park_id})
            if not is_empty(response):
                assert_problem(response, 403, 404, 422)
        response = ctx.call("GET", url, role, "b", params=view.params)
        if response.status_code == 200 and "json" in response.headers.get("content-type", ""):
            body = response.json()
            if isinstance(body, dict) and "park_id" in body:
                assert body["park_id"] == w.b.park_id
    for role in A_READ_ONLY_ROLES:
        response = ctx.call("GET", url, role, params=view.params)
        if role in view.readers or (role == "reviewer" and view.reviewer_reads):
            assert response.status_code == 200, (role, response.text)
        elif not is_empty(response):
            assert response.status_code in (403, 404), (role, response.text)
            assert_problem(response, 403, 404)
    assert ctx.as_a_admin("GET", url, params=view.params).status_code == 200


def add_resource(table: dict[tuple[str, str], Exercise], res: Resource, methods: str) -> None:
    for method in methods.split():
        check = {
            "list": resource_list,
            "create": resource_create,
            "get": resource_get,
            "patch": resource_patch,
            "delete": resource_delete,
        }[method]
        key = {
            "list": ("GET", res.url()),
            "create": ("POST", res.url()),
            "get": ("GET", res.url("{ident}")),
            "patch": ("PATCH", res.url("{ident}")),
            "delete": ("DELETE", res.url("{ident}")),
        }[method]
        table[key] = (lambda c, r: lambda ctx: c(r, ctx))(check, res)


@dataclasses.dataclass(frozen=True)
class Export:
    """A download (.xlsx/.csv) of rows: park B's users never get park A's, park A's only what they may read."""

    path: str  # may hold {fmt}
    make: Callable[[Ctx], list[str]]  # makes a row in park A; returns text its download shows
    readers: frozenset[str] = frozenset()  # park A's non-staff roles allowed to download
    reviewer_reads: bool = True


def export_view(export: Export, ctx: Ctx) -> None:
    made = export.make(ctx)
    secret = [*made, *park_a_markers(ctx)]
    for fmt in ("csv", "xlsx"):
        url = f"{API}/{export.path}".replace("{fmt}", fmt)
        for role in B_ROLES:
            for params in ({}, {"park_id": ctx.world.a.park_id}):
                response = ctx.call("GET", url, role, "b", params=params)
                if response.status_code == 200:
                    assert not any(marker in download_text(response) for marker in secret), (role, fmt)
                else:
                    assert_problem(response, 403, 404, 422)
        for role in A_READ_ONLY_ROLES:
            response = ctx.call("GET", url, role)
            if role in export.readers or (role == "reviewer" and export.reviewer_reads):
                assert response.status_code == 200, (role, response.text)
            elif response.status_code == 200:  # a download of what the role may read: nothing of the others
                own = own_markers(ctx, role) if role.startswith("enterprise") else []
                assert not any(m in download_text(response) for m in secret if m not in own), (role, fmt)
            else:
                assert_problem(response, 403)
        response = ctx.as_a_admin("GET", url)
        assert response.status_code == 200 and all(m in download_text(response) for m in made), fmt


@dataclasses.dataclass(frozen=True)
class Upload:
    """An all-or-nothing import: only staff of the park import, and never rows of another park."""

    path: str
    sheet: Callable[[Ctx], tuple[list[str], list[list[Any]]]]  # naming park A's rows
    model: type[Any]  # the kind of row imported


def upload(spec: Upload, ctx: Ctx) -> None:
    headers, rows = spec.sheet(ctx)
    files = {"file": ("sheet.xlsx", xlsx(headers, rows))}
    before = count_rows(ctx.db, spec.model)
    for park, role in all_attackers():
        if park == "b" and role in ("park_admin", "operator"):
            # park B's staff may import, but not into park A: the rows name what park B does not have
            assert_problem(ctx.call("POST", f"{API}/{spec.path}", role, park, files=files), 403, 404, 422)
        else:
            assert_problem(ctx.call("POST", f"{API}/{spec.path}", role, park, files=files), 403)
    assert count_rows(ctx.db, spec.model) == before
    response = ctx.as_a_admin("POST", f"{API}/{spec.path}", files=files, params={"dry_run": True})
    assert response.status_code == 200, response.text


@dataclasses.dataclass(frozen=True)
class ParkAction:
    """A park-wide write (e.g. sending reminders): staff of the park only, never naming another park's rows."""

    path: str
    body: Callable[[Ctx], dict[str, Any]]  # naming park A's rows
    ok: tuple[int, ...] = (200, 201)


def park_action(action: ParkAction, ctx: Ctx) -> None:
    url = f"{API}/{action.path}"
    for park, role in all_attackers():
        expected = (403, 404, 422) if park == "b" and role in ("park_admin", "operator") else (403,)
        assert_problem(ctx.call("POST", url, role, park, json=action.body(ctx)), *expected)
    response = ctx.as_a_admin("POST", url, json=action.body(ctx))
    assert response.status_code in action.ok, response.text


def static_view(path: str, ctx: Ctx) -> None:
    """A read without park data (a template, a catalogue): it shows nothing of park A to park B."""
    for role in B_ROLES:
        response = ctx.call("GET", f"{API}/{path}", role, "b")
        assert response.status_code in (200, 403), response.text
        assert not any(marker in download_text(response) for marker in park_a_markers(ctx))
    assert ctx.as_a_admin("GET", f"{API}/{path}").status_code == 200
