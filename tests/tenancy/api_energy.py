"""Energy and carbon (digipark.energy): meters, entries, declarations, tariffs, accounts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from digipark.registry.models import Enterprise
from tests.tenancy.exercises import (
    IdentView,
    ParkAction,
    ParkView,
    Resource,
    Upload,
    add_resource,
    ident_view,
    park_action,
    park_view,
    static_view,
    upload,
)
from tests.tenancy.helpers import API, NON_STAFF, Ctx, Exercise, all_attackers, assert_problem, b_denial, next_number

_EN = f"{API}/energy"
_EN_PDF = b"%PDF-1.4\n%energy\n"
_EN_PERIODS = [
    {"start": "00:00", "end": "08:00", "band": "valley"},
    {"start": "08:00", "end": "22:00", "band": "peak"},
    {"start": "22:00", "end": "24:00", "band": "flat"},
]


def _en_month(ctx: Ctx) -> str:
    n = next_number(ctx, "en_month")
    return f"{2001 + n // 12}-{n % 12 + 1:02d}"


def _en_meter(ctx: Ctx) -> dict[str, Any]:
    return {
        "code": f"EN-M{next_number(ctx, 'en_meter')}",
        "name": "企业总表",
        "level": "enterprise",
        "carrier": "electricity",
        "source": "manual",
        "enterprise_id": ctx.world.a.enterprise_ids[0],
    }


def en_meter_id(ctx: Ctx) -> int:
    if "en_meter" not in ctx.cache:
        response = ctx.as_a_admin("POST", f"{_EN}/meters", json=_en_meter(ctx))
        assert response.status_code == 201, response.text
        ctx.cache["en_meter"] = int(response.json()["id"])
    return int(ctx.cache["en_meter"])


def _en_entry(ctx: Ctx) -> dict[str, Any]:
    return {"enterprise_id": ctx.world.a.enterprise_ids[0], "carrier": "diesel", "period": "2025-01", "quantity": 1.5}


def _en_entry_id(ctx: Ctx) -> int:
    if "en_entry" not in ctx.cache:
        response = ctx.as_a_admin("POST", f"{_EN}/entries", json=_en_entry(ctx))
        assert response.status_code == 201, response.text
        ident = int(response.json()["id"])
        files = {"file": ("发票.pdf", _EN_PDF, "application/pdf")}
        assert ctx.as_a_admin("POST", f"{_EN}/entries/{ident}/evidence", files=files).status_code == 200
        ctx.cache["en_entry"] = ident
    return int(ctx.cache["en_entry"])


def check_en_evidence_upload(ctx: Ctx) -> None:
    from digipark.energy.models import EnergyEntry

    ident = _en_entry_id(ctx)
    url = f"{_EN}/entries/{ident}/evidence"
    files = {"file": ("fake.pdf", b"%PDF-1.4 replaced", "application/pdf")}
    for park, role in all_attackers():
        if park == "a" and role == "enterprise":
            continue  # the owner may attach its own evidence
        assert_problem(ctx.call("POST", url, role, park, files=files), *(b_denial(role) if park == "b" else (403, 404)))
    ctx.db.expire_all()
    row = ctx.db.get(EnergyEntry, ident)
    assert row is not None and row.evidence == _EN_PDF
    assert ctx.as_a_admin("POST", url, files=files).status_code == 200


def _en_sheet(ctx: Ctx) -> tuple[list[str], list[list[Any]]]:
    uscc = ctx.db.scalar(select(Enterprise.uscc).where(Enterprise.id == ctx.world.a.enterprise_ids[0]))
    return (["enterprise_uscc", "period", "carrier", "quantity", "unit"], [[uscc, "2025-02", "bituminous", 12.5, "t"]])


def _en_tariff(ctx: Ctx) -> dict[str, Any]:
    return {
        "name": "分时电价",
        "valid_from": f"{2001 + next_number(ctx, 'en_tariff')}-01-01",
        "periods": _EN_PERIODS,
        "prices": {"peak": 1.0, "flat": 0.6, "valley": 0.3},
    }


def check_en_import(ctx: Ctx) -> None:
    from digipark.energy.models import EnergyEntry

    upload(Upload("energy/entries/import", _en_sheet, EnergyEntry), ctx)


_EN_RANGE = {"from": 1735660800000, "to": 1735747200000}
ENERGY_RESOURCES: list[tuple[Resource, str]] = [
    (
        Resource(
            "energy/meters",
            _en_meter,
            {"name": "改名的表"},
            readers=frozenset({"enterprise"}),
        ),
        "list create get patch delete",
    ),
    (
        Resource(
            "energy/entries",
            _en_entry,
            {"quantity": 2.5},
            readers=frozenset({"enterprise"}),
            writers=frozenset({"enterprise"}),
        ),
        "list create get patch delete",
    ),
    (
        Resource(
            "energy/declarations",
            lambda ctx: {
                "enterprise_id": ctx.world.a.enterprise_ids[0],
                "period": _en_month(ctx),
                "product_output_t": 10,
            },
            {"product_output_t": 12},
            readers=frozenset({"enterprise"}),
            writers=frozenset({"enterprise"}),
        ),
        "list create get patch delete",
    ),
    (
        Resource(
            "energy/tariffs",
            _en_tariff,
            {"name": "新电价"},
            readers=NON_STAFF,
            cross_creates=lambda ctx: [{**_en_tariff(ctx), "park_id": ctx.world.a.park_id}],
        ),
        "list create get patch delete",
    ),
]
ENERGY: dict[tuple[str, str], Exercise] = {
    ("GET", f"{_EN}/meters/{{ident}}/consumption"): lambda ctx: ident_view(
        IdentView("energy/meters/{ident}/consumption", en_meter_id, frozenset({"enterprise"}), {"year": 2025}), ctx
    ),
    ("GET", f"{_EN}/entries/template.xlsx"): lambda ctx: static_view("energy/entries/template.xlsx", ctx),
    ("POST", f"{_EN}/entries/import"): check_en_import,
    ("POST", f"{_EN}/entries/{{ident}}/evidence"): check_en_evidence_upload,
    ("GET", f"{_EN}/entries/{{ident}}/evidence"): lambda ctx: ident_view(
        IdentView("energy/entries/{ident}/evidence", _en_entry_id, frozenset({"enterprise"})), ctx
    ),
    ("GET", f"{_EN}/settings"): lambda ctx: park_view(ParkView("energy/settings", readers=NON_STAFF), ctx),
    ("POST", f"{_EN}/settings"): lambda ctx: park_action(
        ParkAction(
            "energy/settings", lambda c: {"grid_basis": "regional", "grid_region": "华东", "park_id": c.world.a.park_id}
        ),
        ctx,
    ),
    ("GET", f"{_EN}/factors"): lambda ctx: static_view("energy/factors", ctx),
    ("GET", f"{_EN}/summary"): lambda ctx: park_view(ParkView("energy/summary", params={"year": 2025}), ctx),
    ("GET", f"{_EN}/enterprises/{{ident}}/account"): lambda ctx: ident_view(
        IdentView(
            "energy/enterprises/{ident}/account", lambda c: c.world.a.enterprise_ids[0], frozenset({"enterprise"})
        ),
        ctx,
    ),
    ("GET", f"{_EN}/enterprises/{{ident}}/suggestions"): lambda ctx: ident_view(
        IdentView(
            "energy/enterprises/{ident}/suggestions", lambda c: c.world.a.enterprise_ids[0], frozenset({"enterprise"})
        ),
        ctx,
    ),
    ("GET", f"{_EN}/enterprises/{{ident}}/report"): lambda ctx: ident_view(
        IdentView(
            "energy/enterprises/{ident}/report",
            lambda c: c.world.a.enterprise_ids[0],
            frozenset({"enterprise"}),
            {"year": 2025, "format": "xlsx"},
        ),
        ctx,
    ),
    ("GET", f"{_EN}/load-curve"): lambda ctx: park_view(
        ParkView("energy/load-curve", readers=frozenset({"enterprise", "enterprise2"}), params=_EN_RANGE), ctx
    ),
    ("GET", f"{_EN}/tariff-split"): lambda ctx: park_view(
        ParkView("energy/tariff-split", readers=frozenset({"enterprise", "enterprise2"}), params=_EN_RANGE), ctx
    ),
    ("GET", f"{_EN}/anomalies"): lambda ctx: park_view(
        ParkView("energy/anomalies", readers=frozenset({"enterprise", "enterprise2"}), params={"year": 2025}), ctx
    ),
}
for _res, _methods in ENERGY_RESOURCES:
    add_resource(ENERGY, _res, _methods)
