"""Safety pages of the risk register and the major hazard sources."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from digipark.safety import major_hazard, risk, service
from digipark.safety.page_parts import (
    HAZARD_GRADES,
    LEVEL_LABELS,
    Ident,
    detail_page,
    level_badge,
    list_page,
    list_query,
    lookup,
    require_park,
    where_text,
    who_cell,
)
from digipark.web.i18n import N_
from digipark.web.shell import CurrentPage

router = APIRouter(include_in_schema=False)


@router.get("/safety/risk-points", response_class=HTMLResponse, name="safety_risk_points")
def risk_points_page(page: CurrentPage) -> HTMLResponse:
    require_park(page)
    query = list_query(page, service.RISK_POINT_SPEC)
    rows, total = service.list_risk_points(page.db, scope=page.scope, query=query)
    ents, zones, buildings = lookup(page, rows)
    table = [
        [
            {"text": r.code, "href": f"/safety/risk-points/{r.id}", "primary": True},
            {"text": r.name},
            who_cell(page, ents, r.enterprise_id),
            {"text": where_text(page, zones, buildings, r)},
            {"text": r.responsible_person},
            {"text": f"{r.method} {r.score:g}"},
            level_badge(page, r.level),
        ]
        for r in rows
    ]
    filters = [{"name": "level", "options": [(lv, page.label(LEVEL_LABELS, lv)) for lv in risk.LEVELS]}]
    return list_page(
        page,
        "risk-points",
        N_("Risk register"),
        [
            N_("Code"),
            N_("Name"),
            N_("Owned by"),
            N_("Location"),
            N_("Responsible person"),
            N_("Score"),
            N_("Risk level"),
        ],
        table,
        total,
        query,
        filters=filters,
    )


@router.get("/safety/risk-points/{ident}", response_class=HTMLResponse, name="safety_risk_point")
def risk_point_page(ident: Ident, page: CurrentPage) -> HTMLResponse:
    require_park(page)
    r = service.get_risk_point(page.db, scope=page.scope, ident=ident)
    ents, zones, buildings = lookup(page, [r])
    scale = (
        f"L {r.l_value:g} × E {r.e_value:g} × C {r.c_value:g}"
        if r.method == "LEC"
        else f"L {r.l_value:g} × S {r.s_value:g}"
    )
    fields = [
        (N_("Code"), r.code),
        (N_("Owned by"), who_cell(page, ents, r.enterprise_id)["text"]),
        (N_("Category"), r.category or "—"),
        (N_("Location"), where_text(page, zones, buildings, r)),
        (N_("Coordinates"), f"{r.lon}, {r.lat}" if r.lon is not None else "—"),
        (N_("Responsible person"), f"{r.responsible_person} {r.responsible_phone or ''}"),
        (N_("Method"), f"{r.method}: {scale} = {r.score:g}"),
        (N_("Risk level"), level_badge(page, r.level)),
        (N_("Hazards"), "；".join(r.hazards) or "—"),
        (N_("Controls"), "；".join(r.controls) or "—"),
        (N_("Linked sensors"), ", ".join(f"#{p}" for p in r.point_ids) or "—"),
    ]
    links = [{"href": f"/points/{p}", "text": f"#{p}"} for p in r.point_ids]
    return detail_page(page, "risk-points", f"{r.code} {r.name}", fields, links=links)


@router.get("/safety/hazard-sources", response_class=HTMLResponse, name="safety_hazard_sources")
def hazard_sources_page(page: CurrentPage) -> HTMLResponse:
    require_park(page)
    query = list_query(page, service.HAZARD_SPEC)
    rows, total = service.list_hazard_sources(page.db, scope=page.scope, query=query)
    ents, zones, buildings = lookup(page, rows)
    table = [
        [
            {"text": r.code, "href": f"/safety/hazard-sources/{r.id}", "primary": True},
            {"text": r.name},
            who_cell(page, ents, r.enterprise_id),
            {"text": where_text(page, zones, buildings, r)},
            {"text": f"{r.s_value:.3g}"},
            {"text": f"{r.r_value:.3g}" if r.r_value is not None else "—"},
            {"text": page.gettext(HAZARD_GRADES[r.grade]), "badge": f"grade-{r.grade}"}
            if r.grade
            else {"text": page.gettext(N_("Not a major hazard source")), "muted": True},
        ]
        for r in rows
    ]
    return list_page(
        page,
        "hazard-sources",
        N_("Major hazard sources"),
        [N_("Code"), N_("Name"), N_("Owned by"), N_("Location"), "S = Σq/Q", "R", N_("Grade")],
        table,
        total,
        query,
    )


@router.get("/safety/hazard-sources/{ident}", response_class=HTMLResponse, name="safety_hazard_source")
def hazard_source_page(ident: Ident, page: CurrentPage) -> HTMLResponse:
    require_park(page)
    r = service.get_hazard_source(page.db, scope=page.scope, ident=ident)
    ents, zones, buildings = lookup(page, [r])
    fields = [
        (N_("Code"), r.code),
        (N_("Owned by"), who_cell(page, ents, r.enterprise_id)["text"]),
        (N_("Unit type"), r.unit_kind),
        (N_("Location"), where_text(page, zones, buildings, r)),
        (N_("People within 500 m"), f"{r.exposed_people} → α = {r.alpha:g}"),
        ("S = Σ q/Q", f"{r.s_value:.4g}"),
        ("R = α Σ β q/Q", f"{r.r_value:.4g}" if r.r_value is not None else "—"),
        (
            N_("Grade"),
            page.gettext(HAZARD_GRADES[r.grade]) if r.grade else page.gettext(N_("Not a major hazard source")),
        ),
    ]
    table = {
        "columns": [N_("Substance"), "CAS", "q (t)", "Q (t)", N_("Source of Q"), "β", N_("Source of β"), "q/Q"],
        "rows": [
            [
                s["name"],
                s.get("cas") or "—",
                f"{s['quantity_t']:g}",
                f"{s['critical_t']:g}",
                f"GB 18218 表1 #{s['table1_seq']}" if s.get("table1_seq") else f"表2 {s.get('category')}",
                f"{s['beta']:g}" if s.get("beta") is not None else "—",
                {"table3": "表3", "table4": f"表4 {s.get('category')}"}.get(s.get("beta_source") or "", "—"),
                f"{s['ratio']:.4g}",
            ]
            for s in r.substances
        ],
    }
    source = major_hazard.tables()["meta"]
    return detail_page(
        page,
        "hazard-sources",
        f"{r.code} {r.name}",
        fields,
        table=table,
        source=f"{source['standard']} {source['title']}",
    )
