"""Assets (digipark.assets): the register (owned by park A's enterprise 0, which reads it), lifecycle changes and
the depreciation schedule."""

from __future__ import annotations

import datetime as dt
from typing import Any

from digipark.assets.service import seed_classes
from tests.tenancy.exercises import (
    Export,
    IdentAction,
    IdentView,
    ParkAction,
    ParkView,
    Resource,
    Upload,
    add_resource,
    export_view,
    ident_action,
    ident_view,
    park_action,
    park_view,
    static_view,
    upload,
)
from tests.tenancy.helpers import B_ROLES, Ctx, Exercise, all_attackers, assert_problem, b_denial, next_number

_E = frozenset({"enterprise"})


def as_body(ctx: Ctx) -> dict[str, Any]:
    pump = seed_classes(ctx.db, park_id=ctx.world.a.park_id)["pump"]
    return {
        "class_id": pump.id,
        "code": f"PUMP-{next_number(ctx, 'as')}",
        "name": "冷却水泵",
        "purchase_value": 86000,
        "in_service_on": "2025-03-01",
        "state": "acquired",
        "enterprise_id": ctx.world.a.enterprise_ids[0],
    }


ASSET = Resource("assets", as_body, {"name": "改名"}, readers=_E)


def as_asset(ctx: Ctx) -> int:
    return int(ASSET.make(ctx))


def as_class_body(ctx: Ctx) -> dict[str, Any]:
    return {"code": f"gearbox_{next_number(ctx, 'ac')}", "name": "齿轮箱", "kind": "machinery", "useful_life_years": 10}


ASSET_CLASS = Resource(
    "assets/classes",
    as_class_body,
    {"name": "改名"},
    readers=frozenset({"enterprise", "enterprise2"}),  # reference data of the park, for those who see assets
    cross_creates=lambda ctx: [{**as_class_body(ctx), "park_id": ctx.world.a.park_id}],
)


def as_class(ctx: Ctx) -> int:
    return int(ASSET_CLASS.make(ctx))


ASSETS: dict[tuple[str, str], Exercise] = {}
add_resource(ASSETS, ASSET, "list create get patch delete")
add_resource(ASSETS, ASSET_CLASS, "list create get patch delete")
ASSETS[("POST", "/api/v1/assets/{ident}/state")] = lambda ctx: ident_action(
    IdentAction("assets/{ident}/state", as_asset, lambda ctx: {"state": "in_service"}), ctx
)
ASSETS[("GET", "/api/v1/assets/{ident}/depreciation")] = lambda ctx: ident_view(
    IdentView("assets/{ident}/depreciation", as_asset, readers=_E), ctx
)


# -- Excel ---------------------------------------------------------------------------------------------------------
def as_exported(ctx: Ctx) -> list[str]:
    from digipark.assets.models import Asset

    return [str(ctx.db.get(Asset, as_asset(ctx)).code)]  # type: ignore[union-attr]


def as_sheet(ctx: Ctx) -> tuple[list[str], list[list[Any]]]:
    """A row naming park A's enterprise and asset class: park B's staff cannot import it."""
    from digipark.registry.models import Enterprise

    seed_classes(ctx.db, park_id=ctx.world.a.park_id)
    uscc = ctx.db.get(Enterprise, ctx.world.a.enterprise_ids[0]).uscc  # type: ignore[union-attr]
    return ["资产编码", "资产名称", "资产类别", "所属企业统一社会信用代码"], [
        [f"IMP-{next_number(ctx, 'as')}", "导入水泵", "pump", uscc]
    ]


ASSETS[("GET", "/api/v1/assets/export.{fmt}")] = lambda ctx: export_view(
    Export("assets/export.{fmt}", as_exported, readers=_E), ctx
)
ASSETS[("GET", "/api/v1/assets/template")] = lambda ctx: static_view("assets/template", ctx)
ASSETS[("POST", "/api/v1/assets/import")] = lambda ctx: upload(Upload("assets/import", as_sheet, _asset_model()), ctx)


def _asset_model() -> type[Any]:
    from digipark.assets.models import Asset

    return Asset


# -- spare parts, failures and reliability -------------------------------------------------------------------------
def as_part_body(ctx: Ctx) -> dict[str, Any]:
    pump = seed_classes(ctx.db, park_id=ctx.world.a.park_id)["pump"]
    return {"code": f"BRG-{next_number(ctx, 'part')}", "name": "轴承 6205", "class_id": pump.id, "stock": 4}


def as_part(ctx: Ctx) -> int:
    response = ctx.as_a_admin("POST", "/api/v1/assets/parts", json=as_part_body(ctx))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def as_consumption(ctx: Ctx) -> dict[str, Any]:
    from tests.tenancy.api_workorders import wo_order

    return {"order_id": wo_order(ctx), "asset_id": as_asset(ctx), "quantity": 1}


ASSETS[("GET", "/api/v1/assets/parts")] = lambda ctx: park_view(ParkView("assets/parts", takes_park_id=False), ctx)
ASSETS[("POST", "/api/v1/assets/parts")] = lambda ctx: park_action(ParkAction("assets/parts", as_part_body), ctx)
ASSETS[("POST", "/api/v1/assets/parts/{ident}/receipts")] = lambda ctx: ident_action(
    IdentAction("assets/parts/{ident}/receipts", as_part, lambda ctx: {"quantity": 2}), ctx
)
ASSETS[("POST", "/api/v1/assets/parts/{ident}/consumptions")] = lambda ctx: ident_action(
    IdentAction("assets/parts/{ident}/consumptions", as_part, as_consumption), ctx
)
ASSETS[("POST", "/api/v1/assets/{ident}/failures")] = lambda ctx: ident_action(
    IdentAction(
        "assets/{ident}/failures", as_asset, lambda ctx: {"failed_on": "2026-01-05", "description": "轴承损坏"}
    ),
    ctx,
)
ASSETS[("GET", "/api/v1/assets/reliability")] = lambda ctx: park_view(
    ParkView("assets/reliability", takes_park_id=False), ctx
)
ASSETS[("GET", "/api/v1/assets/{ident}/reliability")] = lambda ctx: ident_view(
    IdentView("assets/{ident}/reliability", as_asset, readers=_E), ctx
)


# -- the registry's land and buildings, leases ---------------------------------------------------------------------
def as_park_asset(ctx: Ctx) -> int:
    """A park-owned asset of park A (only those are leased)."""
    body = {**as_body(ctx), "enterprise_id": None, "state": "in_service"}
    response = ctx.as_a_admin("POST", "/api/v1/assets", json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def as_lease_body(ctx: Ctx) -> dict[str, Any]:
    return {
        "enterprise_id": ctx.world.a.enterprise_ids[0],
        "room_id": ctx.world.a.room_id,
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
        "monthly_rent": 3000,
    }


def as_lease(ctx: Ctx) -> int:
    response = ctx.as_a_admin("POST", f"/api/v1/assets/{as_park_asset(ctx)}/leases", json=as_lease_body(ctx))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


ASSETS[("POST", "/api/v1/assets/registry-sync")] = lambda ctx: park_action(
    ParkAction("assets/registry-sync", lambda ctx: {"park_id": ctx.world.a.park_id}), ctx
)
ASSETS[("POST", "/api/v1/assets/{ident}/leases")] = lambda ctx: ident_action(
    IdentAction("assets/{ident}/leases", as_park_asset, as_lease_body), ctx
)
ASSETS[("POST", "/api/v1/assets/leases/{ident}/state")] = lambda ctx: ident_action(
    IdentAction("assets/leases/{ident}/state", as_lease, lambda ctx: {"state": "active"}), ctx
)
ASSETS[("GET", "/api/v1/assets/leases")] = lambda ctx: park_view(
    ParkView("assets/leases", readers=frozenset({"enterprise", "enterprise2"}), takes_park_id=False), ctx
)


def as_lease_invoices(ctx: Ctx) -> None:
    """The rent invoices of a lease to park A's enterprise 0: it and park A's staff read them; enterprise 2 and park
    B's users see none of them (and the list answers as a park-wide read)."""
    from digipark.assets import lease_invoices
    from tests.workorders.helpers import scope_of

    lease_id = as_lease(ctx)
    assert ctx.as_a_admin("POST", f"/api/v1/assets/leases/{lease_id}/state", json={"state": "active"}).is_success
    made = lease_invoices.issue(
        ctx.db, scope=scope_of(ctx.db, "TA", "park_admin"), lease_id=lease_id, on=dt.date(2026, 3, 15)
    )
    ctx.db.commit()
    ids = {row.id for row in made}
    assert len(ids) == 3
    url = "/api/v1/assets/lease-invoices"
    for who, park, sees in (
        ("enterprise", "a", True),
        ("park_admin", "a", True),
        ("enterprise2", "a", False),
        *((role, "b", False) for role in B_ROLES),
    ):
        response = ctx.call("GET", url, who, park)
        if response.status_code == 200:
            got = {row["id"] for row in response.json()}
            assert (ids <= got) if sees else not (ids & got), (who, park)
        else:
            assert not sees and response.status_code in (403, 404), (who, park, response.text)
    park_view(
        ParkView("assets/lease-invoices", readers=frozenset({"enterprise", "enterprise2"}), takes_park_id=False), ctx
    )


ASSETS[("GET", "/api/v1/assets/lease-invoices")] = as_lease_invoices


# -- documents -----------------------------------------------------------------------------------------------------
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def as_document(ctx: Ctx) -> tuple[int, int]:
    asset_id = as_asset(ctx)
    response = ctx.as_a_admin(
        "POST",
        f"/api/v1/assets/{asset_id}/documents",
        files={"file": ("说明书.pdf", PDF_BYTES, "application/pdf")},
        data={"kind": "manual"},
    )
    assert response.status_code == 201, response.text
    return asset_id, int(response.json()["id"])


def as_document_upload(ctx: Ctx) -> None:
    """Only park A's staff attach a document to park A's asset; no one else, not even its enterprise."""
    asset_id = as_asset(ctx)
    url = f"/api/v1/assets/{asset_id}/documents"
    files = {"file": ("图纸.pdf", PDF_BYTES, "application/pdf")}
    for park, role in all_attackers():
        response = ctx.call("POST", url, role, park, files=files, data={"kind": "drawing"})
        assert_problem(response, *(b_denial(role) if park == "b" else (403, 404)))
    assert ctx.as_a_admin("POST", url, files=files, data={"kind": "drawing"}).status_code == 201


def as_document_download(ctx: Ctx) -> None:
    asset_id, document_id = as_document(ctx)
    ident_view(IdentView(f"assets/{{ident}}/documents/{document_id}", lambda ctx: asset_id, readers=_E), ctx)


ASSETS[("GET", "/api/v1/assets/{ident}/documents")] = lambda ctx: ident_view(
    IdentView("assets/{ident}/documents", lambda ctx: as_document(ctx)[0], readers=_E), ctx
)
ASSETS[("POST", "/api/v1/assets/{ident}/documents")] = as_document_upload
ASSETS[("GET", "/api/v1/assets/{ident}/documents/{document_id}")] = as_document_download
