"""Web pages of industry chains and investment attraction: the chain map (ECharts graph, gaps highlighted), the
lead pipeline board and a lead's page, the ranked candidates, the park's free space."""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from digipark.auth.scope import Scope
from digipark.core import spreadsheet
from digipark.core.codes import region_name
from digipark.core.errors import Conflict, DomainError, ValidationFailed
from digipark.core.listing import ListQuery
from digipark.economy import candidate_sheets, chains, lead_scoring, leads, schemas
from digipark.economy.models import ChainStage, LeadStage, SegmentStatus
from digipark.web import forms
from digipark.web.i18n import N_
from digipark.web.overview import json_script
from digipark.web.shell import CurrentPage, FormFields, Page

router = APIRouter(include_in_schema=False)
Ident = Annotated[int, PathParam(ge=1, le=2**31 - 1)]

STATUS_LABELS = {
    SegmentStatus.STRONG.value: N_("Strong"),
    SegmentStatus.WEAK.value: N_("Weak"),
    SegmentStatus.EMPTY.value: N_("Empty"),
}
STAGE_LABELS = {
    ChainStage.UPSTREAM.value: N_("Upstream"),
    ChainStage.MIDSTREAM.value: N_("Midstream"),
    ChainStage.DOWNSTREAM.value: N_("Downstream"),
}
LEAD_STAGE_LABELS = {
    LeadStage.CONTACTED.value: N_("Contacted"),
    LeadStage.VISITED.value: N_("Visited"),
    LeadStage.NEGOTIATING.value: N_("Negotiating"),
    LeadStage.SIGNED.value: N_("Signed"),
    LeadStage.SETTLED.value: N_("Settled"),
    LeadStage.LOST.value: N_("Lost"),
}
SIZE_LABELS = {"large": N_("Large"), "medium": N_("Medium-sized"), "small": N_("Small")}
TOP_CANDIDATES = 5


def may_read_chains(scope: Scope) -> bool:
    return scope.can("chain.read") and bool(scope.read_parks)


def may_read_leads(scope: Scope) -> bool:
    return scope.can("lead.read") and bool(scope.read_parks)


def _name(page: Page, row: Any) -> str:
    english = getattr(row, "name_en", None)
    return str(english) if page.lang == "en" and english else str(row.name)


def _reason(page: Page, item: Any) -> str:
    return str(item.reason_en if page.lang == "en" else item.reason_zh)


def _label(page: Page, item: Any) -> str:
    return str(item.label_en if page.lang == "en" else item.label_zh)


def _park_id(page: Page) -> int | None:
    return page.park.id if page.park is not None else None


# -- chains ------------------------------------------------------------------------------------------------------
@router.get("/economy/chains", response_class=HTMLResponse)
def chain_list(page: CurrentPage) -> HTMLResponse:
    return _chain_list(page)


def _chain_list(page: Page, errors: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    page.scope.require("chain.read")
    park_id = _park_id(page)
    filters = {"park_id": park_id} if park_id is not None else {}
    rows, _ = chains.list_chains(page.db, scope=page.scope, query=ListQuery(filters=filters, page_size=100))
    cards = []
    for chain in rows:
        graph = chains.chain_graph(page.db, scope=page.scope, chain_id=chain.id)
        counts = {status.value: sum(1 for n in graph.nodes if n.status == status) for status in SegmentStatus}
        cards.append(
            {
                "id": chain.id,
                "name": _name(page, chain),
                "code": chain.code,
                "description": chain.description if page.lang == "zh" else None,
                "segments": len(graph.nodes),
                "enterprises": len({e.id for n in graph.nodes for e in n.enterprises}),
                "counts": counts,
                "gaps": [_name(page, n.segment) for n in graph.nodes if n.status != SegmentStatus.STRONG],
            }
        )
    used = {row.template for row in rows}
    templates = [
        {"code": t.code, "name": t.name_en if page.lang == "en" else t.name}
        for t in chains.templates().values()
        if t.code not in used
    ]
    can_write = page.scope.can("chain.write") and bool(page.scope.write_parks)
    return page.render(
        "economy/chains.html",
        {
            "cards": cards,
            "templates": templates if can_write else [],
            "status_labels": STATUS_LABELS,
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.post("/economy/chains/new")
def chain_create(page: CurrentPage, form: FormFields) -> Response:
    page.check_csrf(form)
    page.scope.require("chain.write")  # before the input is looked at
    template = form.get("template", "").strip()
    if template not in chains.templates():
        message = forms.CHOOSE_AN_OPTION if template else forms.FIELD_REQUIRED
        return _chain_list(page, {"template": page.gettext(message)}, status_code=422)
    data = schemas.IndustryChainCreate(template=template)
    chain = chains.create_chain(page.db, scope=page.scope, data=data)
    return RedirectResponse(f"/economy/chains/{chain.id}", status_code=303)


def _map_data(page: Page, graph: chains.ChainGraph, top: dict[int, list[dict[str, Any]]]) -> dict[str, Any]:
    rows: dict[str, int] = defaultdict(int)
    nodes = []
    for node in graph.nodes:
        column = chains.STAGE_ORDER.get(node.segment.stage, 1)
        nodes.append(
            {
                "id": node.segment.id,
                "name": _name(page, node.segment),
                "stage": page.gettext(STAGE_LABELS.get(node.segment.stage, node.segment.stage)),
                "column": column,
                "row": rows[node.segment.stage],
                "status": node.status.value,
                "status_label": page.gettext(STATUS_LABELS[node.status.value]),
                "count": node.enterprise_count,
                "reason": _reason(page, node),
                "enterprises": [e.name for e in node.enterprises],
                "candidates": top.get(node.segment.id, []),
            }
        )
        rows[node.segment.stage] += 1
    return {
        "nodes": nodes,
        "edges": [[e.from_segment_id, e.to_segment_id] for e in graph.edges],
        "labels": {
            "strong": page.gettext("Strong"),
            "weak": page.gettext("Weak"),
            "empty": page.gettext("Empty"),
            "enterprises": page.gettext("Enterprises in the park"),
            "candidates": page.gettext("Top candidates"),
            "none": page.gettext("None yet."),
            "score": page.gettext("Score"),
        },
    }


@router.get("/economy/chains/{ident}", response_class=HTMLResponse)
def chain_map(page: CurrentPage, ident: Ident) -> HTMLResponse:
    graph = chains.chain_graph(page.db, scope=page.scope, chain_id=ident)
    top: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if page.scope.can("lead.read"):
        for score in lead_scoring.ranked(page.db, scope=page.scope, chain_id=graph.chain.id):
            if len(top[score.segment.id]) < TOP_CANDIDATES:
                href = (
                    f"/economy/leads/{score.lead_id}" if score.lead_id else f"/economy/candidates#c{score.candidate.id}"
                )
                top[score.segment.id].append({"name": page.name(score.candidate), "score": score.score, "href": href})
    names = {e.id: e.name for n in graph.nodes for e in n.enterprises}
    relations = [
        {
            "supplier": names.get(r.supplier_id, f"#{r.supplier_id}"),
            "customer": names.get(r.customer_id, f"#{r.customer_id}"),
            "product": r.product,
            "value": r.annual_value_wan_yuan,
        }
        for r in graph.relations
    ]
    segments = [
        {
            "id": n.segment.id,
            "name": _name(page, n.segment),
            "stage": page.gettext(STAGE_LABELS.get(n.segment.stage, n.segment.stage)),
            "status": n.status.value,
            "status_label": page.gettext(STATUS_LABELS[n.status.value]),
            "count": n.enterprise_count,
            "output": n.output_wan_yuan,
            "share": n.output_share,
            "reason": _reason(page, n),
            "codes": ", ".join(n.segment.industry_codes),
            "candidates": n.candidates,
        }
        for n in graph.nodes
    ]
    suggestions = 0
    if page.scope.can("chain.write") and graph.chain.park_id in page.scope.write_parks:
        suggestions = len(chains.suggest_mappings(page.db, scope=page.scope, chain_id=graph.chain.id))
    notice = None
    if (confirmed := page.request.query_params.get("confirmed")) is not None and confirmed.isdigit():
        notice = page.gettext("%(n)s suggested mappings confirmed.", n=confirmed)
    return page.render(
        "economy/chain.html",
        {
            "chain": graph.chain,
            "chain_name": _name(page, graph.chain),
            "graph": graph,
            "segments": segments,
            "empty_segments": [s for s in segments if s["status"] == SegmentStatus.EMPTY.value],
            "weak_segments": [s for s in segments if s["status"] == SegmentStatus.WEAK.value],
            "relations": relations,
            "map_data": json_script(_map_data(page, graph, top)),
            "limits": graph.thresholds,
            "share_limit": f"{graph.thresholds.weak_below_output_share:.0%}",
            "suggestions": suggestions,
            "notice": notice,
        },
    )


@router.post("/economy/chains/{ident}/suggestions")
def chain_confirm_suggestions(page: CurrentPage, ident: Ident, form: FormFields) -> Response:
    page.check_csrf(form)
    created = chains.confirm_suggestions(page.db, scope=page.scope, chain_id=ident)
    return RedirectResponse(f"/economy/chains/{ident}?confirmed={len(created)}", status_code=303)


# -- leads -------------------------------------------------------------------------------------------------------
def _score_view(page: Page, score: lead_scoring.CandidateScore) -> dict[str, Any]:
    return {
        "score": score.score,
        "status": score.segment_status.value,
        "status_label": page.gettext(STATUS_LABELS[score.segment_status.value]),
        "segment": _name(page, score.segment),
        "components": [
            {
                "key": c.key,
                "label": _label(page, c),
                "points": c.points,
                "max": c.max_points,
                "reason": _reason(page, c),
            }
            for c in score.components
        ],
    }


@router.get("/economy/leads", response_class=HTMLResponse)
def lead_board(page: CurrentPage) -> HTMLResponse:
    page.scope.require("lead.read")
    columns = []
    for stage, cards in leads.board(page.db, scope=page.scope).items():
        columns.append(
            {
                "stage": stage.value,
                "label": LEAD_STAGE_LABELS[stage.value],
                "cards": [
                    {
                        "id": card.lead.id,
                        "name": page.name(card.candidate),
                        "score": card.score.score,
                        "segment": _name(page, card.score.segment),
                        "status": card.score.segment_status.value,
                        "status_label": page.gettext(STATUS_LABELS[card.score.segment_status.value]),
                        "owner": card.owner,
                        "next_action": card.lead.next_action,
                        "next_action_on": card.lead.next_action_on,
                    }
                    for card in cards
                ],
            }
        )
    return page.render("economy/leads.html", {"columns": columns, "tab": "board"})


@router.post("/economy/leads/new")
def lead_create(page: CurrentPage, form: FormFields) -> Response:
    page.check_csrf(form)
    page.scope.require("lead.write")  # before the input is looked at
    try:
        data = schemas.LeadCreate(
            candidate_id=int(form.get("candidate_id", "0") or 0),
            owner_user_id=page.user.id if page.scope.can("lead.write") else None,
        )
    except (ValidationError, ValueError):
        raise ValidationFailed("candidate_id: not a candidate") from None
    lead = leads.create_lead(page.db, scope=page.scope, data=data)
    return RedirectResponse(f"/economy/leads/{lead.id}?created=1", status_code=303)


def _lead_page(page: Page, ident: int, *, errors: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    lead = leads.get_lead(page.db, scope=page.scope, ident=ident)
    score = leads.explain(page.db, scope=page.scope, candidate_id=lead.candidate_id)
    candidate = score.candidate
    events = leads.lead_events(page.db, scope=page.scope, lead_id=lead.id)
    current = LeadStage(lead.stage)
    next_stages: list[dict[str, str]] = []
    if current not in leads.FINAL:
        for stage in (*leads.PIPELINE, LeadStage.LOST):
            try:
                leads.check_transition(current, stage)
            except Conflict:
                continue
            next_stages.append({"value": stage.value, "label": page.gettext(LEAD_STAGE_LABELS[stage.value])})
    can_write = page.scope.can("lead.write") and lead.park_id in page.scope.write_parks
    owners = leads.staff_users(page.db, park_id=lead.park_id) if can_write else []
    owner_names = leads.user_names(page.db, [lead.owner_user_id])
    pipeline = [
        {
            "stage": stage.value,
            "label": LEAD_STAGE_LABELS[stage.value],
            "on": getattr(lead, leads.STAGE_DATE[stage]),
            "current": stage == current,
        }
        for stage in (*leads.PIPELINE, *((LeadStage.LOST,) if current == LeadStage.LOST else ()))
    ]
    notice = None
    if page.request.query_params.get("created"):
        notice = page.gettext("Lead created.")
    elif page.request.query_params.get("saved"):
        notice = page.gettext("Changes saved.")
    return page.render(
        "economy/lead.html",
        {
            "lead": lead,
            "candidate": candidate,
            "region": region_name(candidate.region_code) if candidate.region_code else None,
            "size_label": SIZE_LABELS.get(candidate.size or ""),
            "chain": chains.get_chain(page.db, scope=page.scope, ident=score.chain_id),
            "score": _score_view(page, score),
            "stage_label": LEAD_STAGE_LABELS[lead.stage],
            "pipeline": pipeline,
            "events": [
                {
                    "at": e.at,
                    "on": e.happened_on,
                    "actor": e.actor,
                    "action": e.action,
                    "from": LEAD_STAGE_LABELS.get(e.from_stage or ""),
                    "to": LEAD_STAGE_LABELS.get(e.to_stage or ""),
                    "note": e.note,
                }
                for e in events
            ],
            "next_stages": next_stages,
            "owner": owner_names.get(lead.owner_user_id or 0),
            "owners": owners,
            "can_write": can_write,
            "errors": errors or {},
            "today": leads.today(),
            "notice": notice,
        },
        status_code=status_code,
    )


@router.get("/economy/leads/{ident}", response_class=HTMLResponse)
def lead_detail(page: CurrentPage, ident: Ident) -> HTMLResponse:
    return _lead_page(page, ident)


def _form_errors(page: Page, exc: Exception) -> dict[str, str]:
    if isinstance(exc, ValidationError):
        return forms.validation_errors(exc, page.gettext)
    assert isinstance(exc, DomainError)
    return {str(e.get("field", forms.GENERAL)): str(e.get("reason", exc.detail)) for e in exc.errors} or {
        forms.GENERAL: exc.detail
    }


@router.post("/economy/leads/{ident}/stage")
def lead_stage(page: CurrentPage, ident: Ident, form: FormFields) -> Response:
    page.check_csrf(form)
    values = {k: v.strip() for k, v in form.items() if k in ("stage", "on", "note", "lost_reason") and v.strip()}
    try:
        data = schemas.LeadStageChange.model_validate(values)
        with page.db.begin_nested():
            leads.change_stage(page.db, scope=page.scope, ident=ident, data=data)
    except (ValidationError, ValidationFailed, Conflict) as exc:
        return _lead_page(page, ident, errors=_form_errors(page, exc), status_code=422)
    return RedirectResponse(f"/economy/leads/{ident}?saved=1", status_code=303)


@router.post("/economy/leads/{ident}/edit")
def lead_edit(page: CurrentPage, ident: Ident, form: FormFields) -> Response:
    page.check_csrf(form)
    values: dict[str, Any] = {
        k: form.get(k, "").strip() or None for k in ("owner_user_id", "next_action", "next_action_on")
    }
    try:
        data = schemas.LeadUpdate.model_validate(values)
        with page.db.begin_nested():
            leads.update_lead(page.db, scope=page.scope, ident=ident, data=data)
    except (ValidationError, ValidationFailed, Conflict) as exc:
        return _lead_page(page, ident, errors=_form_errors(page, exc), status_code=422)
    return RedirectResponse(f"/economy/leads/{ident}?saved=1", status_code=303)


# -- candidates ----------------------------------------------------------------------------------------------------
def _candidates_page(
    page: Page, *, report: Any = None, import_errors: list[Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    page.scope.require("lead.read")
    raw_chain = page.request.query_params.get("chain", "")
    chain_id = int(raw_chain) if raw_chain.isdigit() and 0 < int(raw_chain) < 2**31 else None
    park_id = _park_id(page)
    filters = {"park_id": park_id} if park_id is not None else {}
    chain_rows, _ = chains.list_chains(page.db, scope=page.scope, query=ListQuery(filters=filters, page_size=100))
    scores = lead_scoring.ranked(page.db, scope=page.scope, chain_id=chain_id)
    chain_names = {c.id: _name(page, c) for c in chain_rows}
    rows = [
        {
            "rank": rank,
            "id": s.candidate.id,
            "name": page.name(s.candidate),
            "uscc": s.candidate.uscc,
            "region": region_name(s.candidate.region_code) if s.candidate.region_code else None,
            "chain": chain_names.get(s.chain_id, ""),
            "size": SIZE_LABELS.get(s.candidate.size or ""),
            "products": s.candidate.products,
            "lead_id": s.lead_id,
            **_score_view(page, s),
        }
        for rank, s in enumerate(scores, start=1)
    ]
    query = f"?chain={chain_id}" if chain_id else ""
    return page.render(
        "economy/leads_candidates.html",
        {
            "tab": "candidates",
            "rows": rows,
            "chains": [{"id": c.id, "name": chain_names[c.id]} for c in chain_rows],
            "chain_id": chain_id,
            "exports": {"xlsx": "/api/v1/economy/candidates.xlsx", "csv": "/api/v1/economy/candidates.csv"},
            "query": query,
            "can_write": page.scope.can("lead.write") and bool(page.scope.write_parks),
            "report": report,
            "import_errors": import_errors or [],
        },
        status_code=status_code,
    )


@router.get("/economy/candidates", response_class=HTMLResponse)
def candidate_list(page: CurrentPage) -> HTMLResponse:
    return _candidates_page(page)


@router.post("/economy/candidates/import", response_class=HTMLResponse)
async def candidate_import(request: Request, page: CurrentPage) -> HTMLResponse:
    form = await request.form()
    page.check_csrf({k: v for k, v in form.multi_items() if isinstance(v, str)})
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        return _candidates_page(
            page,
            import_errors=[{"row": "—", "column": "file", "reason": page.gettext("Choose a file.")}],
            status_code=422,
        )
    content = await upload.read(spreadsheet.MAX_IMPORT_BYTES + 1)
    try:
        with page.db.begin_nested():
            report = candidate_sheets.import_candidates(page.db, scope=page.scope, content=content)
    except spreadsheet.ImportFailed as exc:
        return _candidates_page(page, import_errors=exc.errors, status_code=422)
    except (spreadsheet.UnsupportedFile, spreadsheet.FileTooLarge, ValidationFailed) as exc:
        return _candidates_page(
            page, import_errors=[{"row": "—", "column": "file", "reason": exc.detail}], status_code=exc.status
        )
    return _candidates_page(page, report=report)


# -- free space ---------------------------------------------------------------------------------------------------
@router.get("/economy/space", response_class=HTMLResponse)
def space_page(page: CurrentPage) -> HTMLResponse:
    page.scope.require("lead.read")
    space = leads.free_space(page.db, scope=page.scope, park_id=_park_id(page))
    return page.render("economy/space.html", {"tab": "space", "space": space})
