"""Economy (digipark.economy): statistics, qualifications, chains, candidates and leads."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
from sqlalchemy import select

from digipark.economy.models import InvestmentCandidate, MonthlyStatistic
from digipark.registry.models import Enterprise
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
from tests.tenancy.helpers import API, NON_STAFF, Ctx, Exercise, items_of, next_number, own_markers


def _statistic(ctx: Ctx) -> dict[str, Any]:
    output = 1000.0
    return {
        "enterprise_id": ctx.world.a.enterprise_ids[0],
        "period": f"2024-{next_number(ctx, 'month'):02d}",
        "output_value_wan_yuan": output,
        "sales_revenue_wan_yuan": output * 0.9,
        "tax_paid_wan_yuan": 50.0,
        "total_profit_wan_yuan": 80.0,
        "employees": 100,
        "electricity_kwh": 400_000.0,
    }


def economy_chain(ctx: Ctx) -> dict[str, int]:
    """A chain of park A with two segments, made once per test."""
    if "chain" not in ctx.cache:
        response = ctx.as_a_admin("POST", f"{API}/economy/chains", json={"code": "TENANCY", "name": "租户链"})
        assert response.status_code == 201, response.text
        chain: dict[str, int] = {"id": response.json()["id"]}
        for code, stage in (("up", "upstream"), ("mid", "midstream")):
            response = ctx.as_a_admin(
                "POST",
                f"{API}/economy/chains/{chain['id']}/segments",
                json={"code": code, "name": code, "stage": stage, "industry_codes": ["38"]},
            )
            assert response.status_code == 201, response.text
            chain[code] = response.json()["id"]
        ctx.cache["chain"] = chain
    return dict(ctx.cache["chain"])


def _chain_part(ctx: Ctx, part: str, ident: int) -> Any:
    """A segment or edge as its chain's detail shows it to park A's admin (None once gone)."""
    response = ctx.as_a_admin("GET", f"{API}/economy/chains/{economy_chain(ctx)['id']}")
    assert response.status_code == 200, response.text
    return next((item for item in response.json()[part] if item["id"] == ident), None)


def _listed(ctx: Ctx, path: str, ident: int) -> Any:
    response = ctx.as_a_admin("GET", f"{API}/{path}", params={"page_size": 500})
    assert response.status_code == 200, response.text
    return next((item for item in items_of(response.json()) if item["id"] == ident), None)


def _segment(ctx: Ctx) -> int:
    chain = economy_chain(ctx)
    response = ctx.as_a_admin(
        "POST",
        f"{API}/economy/chains/{chain['id']}/segments",
        json={"code": f"s{next_number(ctx, 'segment')}", "name": "环节", "stage": "downstream"},
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _edge(ctx: Ctx) -> int:
    chain = economy_chain(ctx)
    response = ctx.as_a_admin(
        "POST",
        f"{API}/economy/chains/{chain['id']}/edges",
        json={"from_segment_id": chain["up"], "to_segment_id": _segment(ctx)},
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _candidate(ctx: Ctx) -> dict[str, Any]:
    return {
        "name": f"候选企业{next_number(ctx, 'candidate_seq')}",
        "segment_id": economy_chain(ctx)["mid"],
        "size": "medium",
    }


def _candidate_id(ctx: Ctx) -> int:
    if "candidate_id" not in ctx.cache:
        body = _candidate(ctx)
        response = ctx.as_a_admin("POST", f"{API}/economy/candidates", json=body)
        assert response.status_code == 201, response.text
        ctx.cache["candidate_id"], ctx.cache["candidate_name"] = response.json()["id"], body["name"]
    return int(ctx.cache["candidate_id"])


def lead_id(ctx: Ctx) -> int:
    response = ctx.as_a_admin("POST", f"{API}/economy/leads", json={"candidate_id": _candidate_id(ctx)})
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def statistic_id(ctx: Ctx) -> int:
    if "statistic" not in ctx.cache:
        response = ctx.as_a_admin("POST", f"{API}/economy/statistics", json=_statistic(ctx))
        assert response.status_code == 201, response.text
        ctx.cache["statistic"] = response.json()["id"]
    return int(ctx.cache["statistic"])


def _statistic_markers(ctx: Ctx) -> list[str]:
    statistic_id(ctx)
    return own_markers(ctx, "enterprise")


def _candidate_markers(ctx: Ctx) -> list[str]:
    _candidate_id(ctx)
    return [str(ctx.cache["candidate_name"])]


def _statistics_sheet(ctx: Ctx) -> tuple[list[str], list[list[Any]]]:
    uscc = ctx.db.scalar(select(Enterprise.uscc).where(Enterprise.id == ctx.world.a.enterprise_ids[0]))
    return (
        [
            "enterprise_uscc",
            "period",
            "output_value_wan_yuan",
            "sales_revenue_wan_yuan",
            "tax_paid_wan_yuan",
            "total_profit_wan_yuan",
            "employees",
            "electricity_kwh",
        ],
        [[uscc, "2023-05", 100.0, 90.0, 5.0, 8.0, 10, 40000.0]],
    )


def _candidates_sheet(ctx: Ctx) -> tuple[list[str], list[list[Any]]]:
    response = ctx.as_a_admin("GET", f"{API}/economy/candidates.xlsx")
    assert response.status_code == 200, response.text
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = workbook.worksheets[0]
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    headers = [str(h) for h in values[0]]
    data = [row for row in values[1:] if any(cell is not None for cell in row)]
    if not data:  # park A has no candidate yet: make one and export again
        _candidate_id(ctx)
        return _candidates_sheet(ctx)
    # new names (a name may be registered once), the same segment of park A's chain
    name = next(i for i, header in enumerate(headers) if header.endswith("(name)"))
    return headers, [[f"{cell}-新" if i == name else cell for i, cell in enumerate(row)] for row in data]


ECONOMY_RESOURCES: list[tuple[Resource, str]] = [
    (
        Resource(
            "economy/statistics",
            _statistic,
            {"employees": 120, "reason": "更正人数"},
            readers=frozenset({"enterprise"}),
            writers=frozenset({"enterprise"}),
        ),
        "list create get patch",
    ),
    (
        Resource(
            "economy/qualifications",
            lambda ctx: {"enterprise_id": ctx.world.a.enterprise_ids[0], "kind": "high_tech", "name": "高新"},
            {"issuer": "江苏省科技厅"},
            readers=frozenset({"enterprise"}),
        ),
        "list create get patch delete",
    ),
    (
        Resource(
            "economy/intellectual-property",
            lambda ctx: {
                "enterprise_id": ctx.world.a.enterprise_ids[0],
                "kind": "invention_patent",
                "title": f"一种方法{next_number(ctx, 'ip')}",
            },
            {"number": "ZL2024000001"},
            readers=frozenset({"enterprise"}),
        ),
        "list create get patch delete",
    ),
    (
        Resource(
            "economy/products",
            lambda ctx: {"enterprise_id": ctx.world.a.enterprise_ids[0], "name": f"产品{next_number(ctx, 'product')}"},
            {"description": "更新"},
            readers=frozenset({"enterprise"}),
            writers=frozenset({"enterprise"}),
        ),
        "list create get patch delete",
    ),
    (
        Resource(
            "economy/chains",
            lambda ctx: {"code": f"C{next_number(ctx, 'chain')}", "name": "产业链"},
            {"name": "改名链"},
            readers=NON_STAFF,
            cross_creates=lambda ctx: [{"code": "CX", "name": "产业链", "park_id": ctx.world.a.park_id}],
        ),
        "list create get patch delete",
    ),
    (
        Resource(
            "economy/segments",
            lambda ctx: {},
            {"name": "改名环节"},
            readers=NON_STAFF,
            make_fn=_segment,
            snapshot_fn=lambda ctx, ident: _chain_part(ctx, "segments", ident),
        ),
        "patch delete",
    ),
    (
        Resource(
            "economy/edges",
            lambda ctx: {},
            None,
            readers=NON_STAFF,
            make_fn=_edge,
            snapshot_fn=lambda ctx, ident: _chain_part(ctx, "edges", ident),
        ),
        "delete",
    ),
    (
        Resource(
            "economy/enterprise-segments",
            lambda ctx: {"enterprise_id": ctx.world.a.enterprise_ids[0], "segment_id": _segment(ctx)},
            None,
            readers=frozenset({"enterprise"}),
            snapshot_fn=lambda ctx, ident: _listed(ctx, "economy/enterprise-segments", ident),
        ),
        "list create delete",
    ),
    (
        Resource(
            "economy/supply-relations",
            lambda ctx: {
                "supplier_id": ctx.world.a.enterprise_ids[0],
                "customer_id": ctx.world.a.enterprise_ids[1],
                "product": f"电芯{next_number(ctx, 'relation')}",
            },
            {"notes": "年度框架"},
        ),
        "list create get patch delete",
    ),
    (
        Resource("economy/candidates", _candidate, {"notes": "跟进"}, reviewer_reads=False),
        "list create get patch delete",
    ),
    (
        Resource(
            "economy/leads",
            lambda ctx: {"candidate_id": _candidate_id(ctx)},
            {"next_action": "拜访"},
            reviewer_reads=False,
            make_fn=lead_id,
        ),
        "list create get patch",
    ),
]
ECONOMY: dict[tuple[str, str], Exercise] = {
    ("GET", f"{API}/economy/statistics/{{ident}}/revisions"): lambda ctx: ident_view(
        IdentView("economy/statistics/{ident}/revisions", statistic_id, frozenset({"enterprise"})), ctx
    ),
    ("GET", f"{API}/economy/statistics.{{fmt}}"): lambda ctx: export_view(
        Export("economy/statistics.{fmt}", _statistic_markers, frozenset({"enterprise"})), ctx
    ),
    ("GET", f"{API}/economy/statistics/template"): lambda ctx: static_view("economy/statistics/template", ctx),
    ("POST", f"{API}/economy/statistics/import"): lambda ctx: upload(
        Upload("economy/statistics/import", _statistics_sheet, MonthlyStatistic),
        ctx,
    ),
    ("GET", f"{API}/economy/statistics/missing"): lambda ctx: park_view(
        ParkView("economy/statistics/missing", params={"period": "2024-01"}), ctx
    ),
    ("GET", f"{API}/economy/statistics/reminders"): lambda ctx: park_view(
        ParkView("economy/statistics/reminders", takes_park_id=False), ctx
    ),
    ("POST", f"{API}/economy/statistics/reminders"): lambda ctx: park_action(
        ParkAction(
            "economy/statistics/reminders",
            lambda c: {"period": "2024-01", "enterprise_ids": [c.world.a.enterprise_ids[0]]},
        ),
        ctx,
    ),
    ("GET", f"{API}/economy/dashboard"): lambda ctx: park_view(ParkView("economy/dashboard"), ctx),
    ("GET", f"{API}/economy/dashboard.xlsx"): lambda ctx: park_view(ParkView("economy/dashboard.xlsx"), ctx),
    ("GET", f"{API}/economy/warnings"): lambda ctx: park_view(ParkView("economy/warnings"), ctx),
    ("GET", f"{API}/economy/enterprises/{{ident}}/archive"): lambda ctx: ident_view(
        IdentView(
            "economy/enterprises/{ident}/archive", lambda c: c.world.a.enterprise_ids[0], frozenset({"enterprise"})
        ),
        ctx,
    ),
    ("GET", f"{API}/economy/chain-templates"): lambda ctx: static_view("economy/chain-templates", ctx),
    ("GET", f"{API}/economy/chains/{{ident}}/graph"): lambda ctx: ident_view(
        IdentView("economy/chains/{ident}/graph", lambda c: economy_chain(c)["id"]), ctx
    ),
    ("POST", f"{API}/economy/chains/{{ident}}/segments"): lambda ctx: ident_action(
        IdentAction(
            "economy/chains/{ident}/segments",
            lambda c: economy_chain(c)["id"],
            lambda c: {"code": f"x{next_number(c, 'segment')}", "name": "环节", "stage": "upstream"},
        ),
        ctx,
    ),
    ("POST", f"{API}/economy/chains/{{ident}}/edges"): lambda ctx: ident_action(
        IdentAction(
            "economy/chains/{ident}/edges",
            lambda c: economy_chain(c)["id"],
            lambda c: {"from_segment_id": economy_chain(c)["up"], "to_segment_id": economy_chain(c)["mid"]},
        ),
        ctx,
    ),
    ("GET", f"{API}/economy/chains/{{ident}}/suggestions"): lambda ctx: ident_view(
        IdentView("economy/chains/{ident}/suggestions", lambda c: economy_chain(c)["id"]), ctx
    ),
    ("POST", f"{API}/economy/chains/{{ident}}/suggestions/confirm"): lambda ctx: ident_action(
        IdentAction(
            "economy/chains/{ident}/suggestions/confirm", lambda c: economy_chain(c)["id"], lambda c: {"items": []}
        ),
        ctx,
    ),
    ("GET", f"{API}/economy/candidates/ranked"): lambda ctx: park_view(
        ParkView("economy/candidates/ranked", reviewer_reads=False, takes_park_id=False), ctx
    ),
    ("GET", f"{API}/economy/candidates.{{fmt}}"): lambda ctx: export_view(
        Export("economy/candidates.{fmt}", _candidate_markers, reviewer_reads=False), ctx
    ),
    ("POST", f"{API}/economy/candidates/import"): lambda ctx: upload(
        Upload("economy/candidates/import", _candidates_sheet, InvestmentCandidate),
        ctx,
    ),
    ("GET", f"{API}/economy/candidates/{{ident}}/score"): lambda ctx: ident_view(
        IdentView("economy/candidates/{ident}/score", _candidate_id, reviewer_reads=False), ctx
    ),
    ("POST", f"{API}/economy/leads/{{ident}}/stage"): lambda ctx: ident_action(
        IdentAction("economy/leads/{ident}/stage", lead_id, lambda c: {"stage": "visited"}), ctx
    ),
    ("GET", f"{API}/economy/free-space"): lambda ctx: park_view(ParkView("economy/free-space"), ctx),
}
for _res, _methods in ECONOMY_RESOURCES:
    add_resource(ECONOMY, _res, _methods)
