"""Environment (digipark.environment): outlets, permits, waste ledgers, hazardous waste and manifests."""

from __future__ import annotations

from typing import Any

from tests.tenancy.api_evaluation import evaluation_year
from tests.tenancy.exercises import (
    Export,
    IdentView,
    ParkAction,
    ParkView,
    Resource,
    add_resource,
    export_view,
    ident_view,
    park_action,
    park_view,
    static_view,
)
from tests.tenancy.helpers import API, Ctx, Exercise, next_number

_ENV = f"{API}/environment"


def _env_batch_body(ctx: Ctx) -> dict[str, Any]:
    return {
        "enterprise_id": ctx.world.a.enterprise_ids[0],
        "code": f"HWB{next_number(ctx, 'env_batch')}",
        "category": "HW08",
        "waste_code": "900-249-08",
        "name": "废矿物油",
        "quantity": 1,
        "stored_on": "2025-01-01",
    }


def _env_batch(ctx: Ctx) -> int:
    if "env_batch" not in ctx.cache:
        response = ctx.as_a_admin("POST", f"{_ENV}/hazardous-batches", json=_env_batch_body(ctx))
        assert response.status_code == 201, response.text
        ctx.cache["env_batch"] = response.json()["id"]
    return int(ctx.cache["env_batch"])


def _env_manifest_body(ctx: Ctx) -> dict[str, Any]:
    year = evaluation_year()
    return {
        "batch_id": _env_batch(ctx),
        "number": f"MF-TA-{next_number(ctx, 'env_manifest')}",
        "quantity": 0.01,
        "carrier": "危运公司",
        "receiver": "处置公司",
        "receiver_licence": "JS-0001",
        "shipped_on": f"{year}-01-02",
    }


def env_outlet(ctx: Ctx) -> int:
    if "env_outlet" not in ctx.cache:
        body = {
            "enterprise_id": ctx.world.a.enterprise_ids[0],
            "code": f"DW{next_number(ctx, 'env_outlet')}",
            "name": "总排口",
            "medium": "water",
            "standard": "GB8978-1996-1",
        }
        response = ctx.as_a_admin("POST", f"{_ENV}/outlets", json=body)
        assert response.status_code == 201, response.text
        ctx.cache["env_outlet"] = response.json()["id"]
    return int(ctx.cache["env_outlet"])


def _env_waste_markers(ctx: Ctx) -> list[str]:
    body = {
        "enterprise_id": ctx.world.a.enterprise_ids[0],
        "category": "SW59",
        "month": f"{evaluation_year()}-01-01",
        "generated": 1,
        "utilised": 1,
        "notes": "台账标记TA",
    }
    response = ctx.as_a_admin("POST", f"{_ENV}/waste-entries", json=body)
    assert response.status_code == 201, response.text
    return ["台账标记TA"]


def _env_manifest_markers(ctx: Ctx) -> list[str]:
    body = _env_manifest_body(ctx)
    response = ctx.as_a_admin("POST", f"{_ENV}/manifests", json=body)
    assert response.status_code == 201, response.text
    return [body["number"]]


_ENV_OWN = frozenset({"enterprise"})
ENVIRONMENT_RESOURCES: list[tuple[Resource, str]] = [
    (
        Resource(
            "environment/outlets",
            lambda ctx: {
                "enterprise_id": ctx.world.a.enterprise_ids[0],
                "code": f"DW{next_number(ctx, 'env_outlet')}",
                "name": "排口",
                "medium": "water",
                "standard": "GB8978-1996-1",
            },
            {"name": "被改名的排口"},
            readers=_ENV_OWN,
        ),
        "list create get patch delete",
    ),
    (
        Resource(
            "environment/permits",
            lambda ctx: {
                "enterprise_id": ctx.world.a.enterprise_ids[0],
                "permit_no": "91320500MA0001X001P",
                "year": 2000 + next_number(ctx, "env_permit"),
                "factor": "cod",
                "annual": 10,
            },
            {"annual": 20},
            readers=_ENV_OWN,
        ),
        "list create get patch delete",
    ),
    (
        Resource(
            "environment/waste-entries",
            lambda ctx: {
                "enterprise_id": ctx.world.a.enterprise_ids[0],
                "category": "SW07",
                "month": f"{2000 + next_number(ctx, 'env_waste')}-01-01",
                "generated": 2,
                "utilised": 1,
                "stored": 1,
            },
            {"generated": 3, "utilised": 2},
            readers=_ENV_OWN,
            writers=_ENV_OWN,
        ),
        "list create get patch delete",
    ),
    (
        Resource(
            "environment/hazardous-batches",
            _env_batch_body,
            {"quantity": 2},
            readers=_ENV_OWN,
            writers=_ENV_OWN,
        ),
        "list create get patch delete",
    ),
    (
        Resource(
            "environment/manifests",
            _env_manifest_body,
            {"carrier": "另一家危运公司"},
            readers=_ENV_OWN,
            writers=_ENV_OWN,
        ),
        "list create get patch",
    ),
]
ENVIRONMENT: dict[tuple[str, str], Exercise] = {
    ("GET", f"{_ENV}/reference"): lambda ctx: static_view("environment/reference", ctx),
    ("GET", f"{_ENV}/outlets/{{ident}}/averages"): lambda ctx: ident_view(
        IdentView("environment/outlets/{ident}/averages", env_outlet, _ENV_OWN), ctx
    ),
    ("GET", f"{_ENV}/outlets/{{ident}}/latest"): lambda ctx: ident_view(
        IdentView("environment/outlets/{ident}/latest", env_outlet, _ENV_OWN), ctx
    ),
    ("GET", f"{_ENV}/exceedances"): lambda ctx: park_view(
        ParkView("environment/exceedances", readers=frozenset({"enterprise", "enterprise2", "resident"})), ctx
    ),
    ("POST", f"{_ENV}/exceedances/scan"): lambda ctx: park_action(
        ParkAction(
            "environment/exceedances/scan",
            lambda c: {"park_id": c.world.a.park_id, "first": "2026-03-01", "last": "2026-03-01"},
        ),
        ctx,
    ),
    ("GET", f"{_ENV}/permit-usage"): lambda ctx: park_view(
        ParkView("environment/permit-usage", readers=frozenset({"enterprise", "enterprise2", "resident"})), ctx
    ),
    ("GET", f"{_ENV}/waste-entries.{{fmt}}"): lambda ctx: export_view(
        Export("environment/waste-entries.{fmt}", _env_waste_markers, _ENV_OWN), ctx
    ),
    ("GET", f"{_ENV}/manifests.{{fmt}}"): lambda ctx: export_view(
        Export("environment/manifests.{fmt}", _env_manifest_markers, _ENV_OWN), ctx
    ),
    ("GET", f"{_ENV}/enterprises/{{ident}}/summary"): lambda ctx: ident_view(
        IdentView("environment/enterprises/{ident}/summary", lambda c: c.world.a.enterprise_ids[0], _ENV_OWN), ctx
    ),
}
for _res, _methods in ENVIRONMENT_RESOURCES:
    add_resource(ENVIRONMENT, _res, _methods)
