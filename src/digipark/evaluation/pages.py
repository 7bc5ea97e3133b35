"""Evaluation pages: the park's evaluation against the four construction standards (status, progress, gaps),
an indicator's drill-down with its declarations, the declare form (staff), signing the annual assessment
(park admin), the report downloads and the comparison of parks and years (reviewers and staff)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from digipark.auth.scope import Scope
from digipark.core.errors import NotFound, ValidationFailed
from digipark.evaluation import report, service
from digipark.evaluation.schemas import Evaluation
from digipark.registry.models import Park
from digipark.web import i18n
from digipark.web.overview import json_script
from digipark.web.shell import CurrentPage, Page

router = APIRouter(include_in_schema=False)
Ident = Annotated[int, PathParam(ge=1, le=2**31 - 1)]
GAPS_SHOWN = 60
ROWS_SHOWN = 500


def _visible(scope: Scope) -> bool:
    return scope.can(service.READ)


def _int_arg(page: Page, name: str) -> int | None:
    raw = page.request.query_params.get(name, "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ValidationFailed(f"{name}: not a number", errors=[{"field": name, "reason": "not a number"}]) from None
    if not 1 <= value <= 2**31 - 1:
        raise ValidationFailed(f"{name}: out of range", errors=[{"field": name, "reason": "out of range"}])
    return value


def _parks(page: Page) -> list[Park]:
    """The parks the caller may read, for the park picker."""
    ids = sorted(page.scope.read_parks)
    return [p for p in (page.db.get(Park, i) for i in ids) if p is not None]


def _park_arg(page: Page) -> int | None:
    """The park asked for, else the page's current park (the first of the picker for a scope without a park of
    its own)."""
    asked = _int_arg(page, "park_id")
    if asked is None and page.park is not None:
        return page.park.id
    return asked


def _query(park_id: int, year: int | None) -> str:
    return f"park_id={park_id}" + (f"&year={year}" if year is not None else "")


def _context(page: Page, found: Evaluation, year_arg: int | None) -> dict[str, Any]:
    shown = report.present(found, page.lang)
    query = _query(found.park_id, year_arg)
    chart = json_script(
        {
            "labels": [f"{i['code']} {i['name']}" for i in shown["indicators"]],
            "values": [i["progress"] for i in shown["indicators"]],
            "met": [i["met"] for i in shown["indicators"]],
            "label": page.gettext("Progress towards the target (per cent)"),
        }
    )
    return {
        "e": found,
        "v": shown,
        "head": report.heading(found, page.lang),
        "query": query,
        "chart": chart,
        "gaps_shown": shown["gaps"][:GAPS_SHOWN],
        "gaps_more": max(0, len(shown["gaps"]) - GAPS_SHOWN),
        "downloads": {
            fmt: f"/api/v1/evaluation/report.{fmt}?{query}&lang={page.lang}" for fmt in ("html", "pdf", "xlsx")
        },
        "parks": _parks(page) if len(page.scope.read_parks) > 1 else [],
        "park_id": found.park_id,
        "year_arg": year_arg,
    }


@router.get("/evaluation", response_class=HTMLResponse, name="evaluation")
def evaluation_page(page: CurrentPage) -> HTMLResponse:
    park_id, year = _park_arg(page), _int_arg(page, "year")
    found = service.for_year(page.db, scope=page.scope, park_id=park_id, year=year)
    snapshots = service.list_snapshots(page.db, scope=page.scope, park_id=found.park_id)
    can_sign = page.scope.can(service.SIGN) and found.park_id in page.scope.write_parks
    signed_years = {s.year for s in snapshots}
    this_year = service.today().year
    sign_years = [y for y in (this_year, this_year - 1) if y not in signed_years and y >= service.MIN_YEAR]
    notice = None
    if page.request.query_params.get("signed"):
        notice = page.gettext("The assessment was signed; the snapshot below no longer changes.")
    return page.render(
        "evaluation/evaluation.html",
        {
            **_context(page, found, year),
            "snapshots": [
                {
                    "id": s.id,
                    "year": s.year,
                    "signed_by": s.signer_name,
                    "signed_at": i18n.local_time(s.signed_at),
                    "met_standards": s.met_standards,
                    "met_indicators": s.met_indicators,
                    "indicators": s.indicators,
                }
                for s in snapshots
            ],
            "can_sign": can_sign,
            "sign_years": sign_years,
            "notice": notice,
        },
    )


@router.get("/evaluation/snapshots/{ident}", response_class=HTMLResponse, name="evaluation_snapshot")
def snapshot_page(page: CurrentPage, ident: Ident) -> Response:
    snapshot = service.get_snapshot(page.db, scope=page.scope, ident=ident)
    return RedirectResponse(f"/evaluation?{_query(snapshot.park_id, snapshot.year)}", status_code=303)


@router.post("/evaluation/snapshots", name="evaluation_sign")
async def sign_page(page: CurrentPage, request: Request) -> Response:
    form = await request.form()
    fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    page.check_csrf(fields)
    page.scope.require(service.SIGN)  # before the input is looked at
    try:
        year = int(fields.get("year", ""))
        park_id = int(fields["park_id"]) if fields.get("park_id") else None
    except ValueError:
        raise ValidationFailed("year: not a number", errors=[{"field": "year", "reason": "not a number"}]) from None
    snapshot = service.sign(page.db, scope=page.scope, park_id=park_id, year=year, note=fields.get("note"))
    return RedirectResponse(f"/evaluation?{_query(snapshot.park_id, snapshot.year)}&signed=1", status_code=303)


def _indicator_context(
    page: Page, key: str, *, errors: dict[str, str] | None = None, values: dict[str, str] | None = None
) -> dict[str, Any]:
    definition = service.indicator_or_404(key)
    park_id, year = _park_arg(page), _int_arg(page, "year")
    found = service.for_year(page.db, scope=page.scope, park_id=park_id, year=year)
    result = found.indicator(key)
    if result is None:
        raise NotFound(f"no indicator {key!r}")
    shown = report.present(found, page.lang)
    item = next(i for i in shown["indicators"] if i["key"] == key)
    table = report.drilldown(result, page.lang)
    rows = sorted(table["rows"], key=lambda r: r["ok"])
    declarations = service.list_declarations(page.db, scope=page.scope, park_id=found.park_id, indicator=key)
    live = found.snapshot_id is None
    can_declare = (
        live
        and page.scope.can(service.DECLARE)
        and found.park_id in page.scope.write_parks
        and (definition.declared_only or result.no_source is not None)
    )
    return {
        **_context(page, found, year),
        "definition": definition,
        "definition_text": definition.definition_en if page.lang == "en" else definition.definition,
        "source_text": definition.source_en if page.lang == "en" else definition.source,
        "r": result,
        "item": item,
        "headers": table["headers"],
        "rows": rows[:ROWS_SHOWN],
        "rows_more": max(0, len(rows) - ROWS_SHOWN),
        "unmet_rows": sum(1 for r in rows if not r["ok"]),
        "indicator_gaps": [g for g in shown["gaps"] if g["indicator"] == key][:ROWS_SHOWN],
        "declarations": [
            {
                "id": d.id,
                "value": report.value_text(d.value, definition.target.unit, report.translator(page.lang)),
                "note": d.note,
                "evidence_name": d.evidence_name,
                "declared_by": d.declared_by,
                "declared_at": i18n.local_time(d.declared_at),
                "current": result.declaration is not None and result.declaration.id == d.id,
            }
            for d in declarations
        ],
        "can_declare": can_declare,
        "errors": errors or {},
        "values": values or {},
        "is_percent": definition.target.unit == "%",
    }


@router.get("/evaluation/indicators/{key}", response_class=HTMLResponse, name="evaluation_indicator")
def indicator_page(page: CurrentPage, key: Annotated[str, PathParam(max_length=60)]) -> HTMLResponse:
    context = _indicator_context(page, key)
    if page.request.query_params.get("declared"):
        context["notice"] = page.gettext("The declared value was saved; it is marked as declared in every view.")
    return page.render("evaluation/indicator.html", context)


async def _upload(request: Request) -> tuple[dict[str, str], tuple[str, str, bytes] | None]:
    form = await request.form()
    fields = {key: value for key, value in form.multi_items() if isinstance(value, str)}
    file = form.get("evidence")
    if isinstance(file, UploadFile) and file.filename:
        content = await file.read(service.MAX_EVIDENCE_BYTES + 1)
        return fields, (file.filename, file.content_type or "application/octet-stream", content)
    return fields, None


@router.post("/evaluation/indicators/{key}/declare", name="evaluation_declare")
def declare_page(
    page: CurrentPage,
    key: Annotated[str, PathParam(max_length=60)],
    uploaded: Annotated[tuple[dict[str, str], tuple[str, str, bytes] | None], Depends(_upload)],
) -> Response:
    fields, file = uploaded
    page.check_csrf(fields)
    asked_park = _int_arg(page, "park_id")
    park_id = _park_arg(page)
    errors: dict[str, str] = {}
    raw = fields.get("value", "").strip().replace(",", "")
    try:
        value = float(raw)
    except ValueError:
        errors["value"] = page.gettext("Enter a number.")
        value = 0.0
    if not errors:
        try:
            with page.db.begin_nested():
                service.declare(
                    page.db,
                    scope=page.scope,
                    park_id=park_id,
                    indicator=key,
                    value=value,
                    note=fields.get("note", ""),
                    evidence_name=file[0] if file else None,
                    evidence_type=file[1] if file else None,
                    evidence_content=file[2] if file else None,
                )
        except ValidationFailed as exc:
            for error in exc.errors or [{"field": "value", "reason": exc.detail}]:
                errors[str(error.get("field", "value"))] = str(error.get("reason", exc.detail))
    if errors:
        context = _indicator_context(page, key, errors=errors, values=fields)
        return page.render("evaluation/indicator.html", context, status_code=422)
    suffix = f"?park_id={asked_park}&declared=1" if asked_park else "?declared=1"
    return RedirectResponse(f"/evaluation/indicators/{key}{suffix}", status_code=303)


@router.get("/evaluation/compare", response_class=HTMLResponse, name="evaluation_compare")
def compare_page(page: CurrentPage) -> HTMLResponse:
    year = _int_arg(page, "year") or service.today().year
    raw_ids = page.request.query_params.getlist("park_ids")
    park_ids = [int(p) for p in raw_ids if p.strip().isdigit()] or None
    found = service.compare(page.db, scope=page.scope, park_ids=park_ids, year=year)
    system = service.indicator_system()
    t = report.translator(page.lang)
    rows = []
    for s in system.standards:
        rows.append(
            {
                "standard": True,
                "code": s.code,
                "name": s.name_en if page.lang == "en" else s.name,
                "cells": [
                    {
                        "text": t(report.MET if p.standards_met.get(s.code) else report.NOT_MET),
                        "met": p.standards_met.get(s.code),
                    }
                    for p in found.parks
                ],
            }
        )
        for i in s.indicators:
            rows.append(
                {
                    "standard": False,
                    "code": i.code,
                    "key": i.key,
                    "name": i.name_en if page.lang == "en" else i.name,
                    "target": i.target.text,
                    "cells": [
                        {
                            "text": report.value_text(p.values.get(i.key), i.target.unit, t),
                            "met": p.met.get(i.key),
                            "declared": p.value_sources.get(i.key) == "declared",
                            "park_id": p.park_id,
                        }
                        for p in found.parks
                    ],
                }
            )
    years = service.year_on_year(page.db, scope=page.scope, park_id=_park_arg(page))
    year_rows = []
    for s in system.standards:
        for i in s.indicators:
            change = years.changes.get(i.key)
            year_rows.append(
                {
                    "code": i.code,
                    "name": i.name_en if page.lang == "en" else i.name,
                    "cells": [
                        {"text": report.value_text(y.values.get(i.key), i.target.unit, t), "met": y.met.get(i.key)}
                        for y in years.years
                    ],
                    "change": None
                    if change is None
                    else (f"{change:+.1f}" if i.target.unit == "%" else f"{change:+g}"),
                }
            )
    return page.render(
        "evaluation/compare.html",
        {
            "c": found,
            "rows": rows,
            "year": year,
            "all_parks": _parks(page),
            "selected": {p.park_id for p in found.parks},
            "years": years,
            "year_rows": year_rows,
            "years_park": next((p for p in _parks(page) if p.id == years.park_id), None),
        },
    )
