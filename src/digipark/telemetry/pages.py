"""Telemetry pages: device monitoring (list with online state, a device page with live charts), the dead-letter
queue (inspect, replay, discard) and the live stream under the web session; the overview's device panel with the
demo back-fill progress. Reads go through telemetry.devices / .query / .deadletters and the caller's scope."""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from sqlalchemy import select

from digipark.auth.scope import Scope
from digipark.core import progress as work_progress
from digipark.core.config import get_settings
from digipark.core.errors import PermissionDenied, ValidationFailed, field_error
from digipark.registry.catalog import device_kinds
from digipark.registry.models import Building, Enterprise
from digipark.registry.service import rotate_device_token
from digipark.telemetry import deadletters, devices, query
from digipark.telemetry.devices import DeviceState
from digipark.telemetry.live_api import open_stream
from digipark.telemetry.models import DeadLetterStatus, RejectReason
from digipark.telemetry.status import now_ms
from digipark.web.forms import MAX_ROW_ID
from digipark.web.i18n import N_
from digipark.web.overview import json_script
from digipark.web.shell import HISTORY_STAGE_LABELS, CurrentPage, FormFields, Page, kind_path

router = APIRouter(include_in_schema=False)
Ident = Annotated[int, PathParam(ge=1, le=2**31 - 1)]
CHART_HOURS = 24
ROTATE_PERMISSION = "device.write"  # what registry.service.rotate_device_token checks
PAGE_SIZE = 50

STATE_LABELS = {
    DeviceState.ONLINE.value: N_("Online now"),
    DeviceState.PARTIAL.value: N_("Partly online"),
    DeviceState.OFFLINE.value: N_("Offline"),
    DeviceState.NO_DATA.value: N_("No data yet"),
}
REASON_LABELS = {
    RejectReason.MALFORMED.value: N_("Malformed message"),
    RejectReason.UNKNOWN_TOKEN.value: N_("Unknown device token"),
    RejectReason.DEVICE_DISABLED.value: N_("Device disabled"),
    RejectReason.UNKNOWN_POINT.value: N_("Unknown point"),
    RejectReason.NOT_NUMERIC.value: N_("Not a number"),
    RejectReason.NOT_FINITE.value: N_("NaN or infinity"),
    RejectReason.FUTURE_TIMESTAMP.value: N_("Timestamp in the future"),
    RejectReason.BAD_TIMESTAMP.value: N_("Invalid timestamp"),
}
LETTER_STATUS_LABELS = {
    DeadLetterStatus.OPEN.value: N_("Pending"),
    DeadLetterStatus.REPLAYED.value: N_("Replayed"),
    DeadLetterStatus.DISCARDED.value: N_("Discarded"),
}


def _can_dead_letters(scope: Scope) -> bool:
    return bool(scope.read_parks) and scope.can(deadletters.READ_PERMISSION)


def _can_monitor(scope: Scope) -> bool:
    return _can_dead_letters(scope) and not (scope.own_enterprise_only and scope.enterprise_id is None)


def _kind_name(page: Page, kind: str) -> str:
    found = device_kinds().get(kind)
    if found is None:
        return kind
    return found.name_en if page.lang == "en" else found.name_zh


def _point_names(page: Page, kind: str) -> dict[str, str]:
    found = device_kinds().get(kind)
    if found is None:
        return {}
    return {p.key: (p.name_en if page.lang == "en" else p.name_zh) for p in found.points}


def _ms_text(ms: int | None) -> str:
    if ms is None:
        return "—"
    zone = devices_zone()
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")


def devices_zone() -> Any:
    import zoneinfo

    return zoneinfo.ZoneInfo(get_settings().timezone)


def _offset_ms() -> int:
    offset = dt.datetime.now(devices_zone()).utcoffset()
    return int(offset.total_seconds() * 1000) if offset is not None else 0


def _names(page: Page, model: Any, ids: set[int]) -> dict[int, str]:
    """Names of the rows of `model` (a building, an enterprise) in the page's language."""
    if not ids:
        return {}
    rows = page.db.execute(
        select(model.id, model.name, model.name_en).where(page.scope.condition(model), model.id.in_(sorted(ids)))
    )
    return {int(i): page.name({"name": n, "name_en": en}) for i, n, en in rows}


def _raw_query(page: Page, *names: str) -> dict[str, str]:
    return {k: v for k, v in page.request.query_params.items() if k in names and v != ""}


# -- device list -------------------------------------------------------------------------------------------------
@router.get("/telemetry/devices", response_class=HTMLResponse, name="telemetry_devices")
def devices_page(page: CurrentPage) -> HTMLResponse:
    if not _can_monitor(page.scope):
        raise PermissionDenied(f"role {page.scope.role.value} may not monitor devices")
    raw = _raw_query(page, "page", "page_size", "sort", "q", "kind", "building_id", "enterprise_id", "status")
    if page.park is not None:
        raw.setdefault("park_id", str(page.park.id))
    state = devices.parse_state(page.request.query_params.get("state"))
    list_query = devices.LIST_SPEC.parse_query(raw)
    found = devices.list(page.db, scope=page.scope, query=list_query, state=state)
    buildings = _names(page, Building, {d.building_id for d in found.items if d.building_id})
    enterprises = _names(page, Enterprise, {d.enterprise_id for d in found.items if d.enterprise_id})
    counts = devices.counts(page.db, scope=page.scope, park_id=page.park.id) if page.park is not None else None
    rows = [
        {
            "id": d.id,
            "code": d.code,
            "name": page.name(d),
            "kind": _kind_name(page, d.kind),
            "building": buildings.get(d.building_id) if d.building_id else None,
            "enterprise": enterprises.get(d.enterprise_id) if d.enterprise_id else None,
            "state": d.state.value,
            "state_label": STATE_LABELS[d.state.value],
            "status": d.status,
            "last_reading": _ms_text(d.last_reading_ms),
            "messages": d.messages,
            "rejected": d.rejected,
            "bad_quality": d.bad_quality,
            "points": d.points,
            "points_online": d.points_online,
        }
        for d in found.items
    ]
    kinds = sorted(((k, _kind_name(page, k)) for k in device_kinds()), key=lambda item: item[1])
    building_choices: list[tuple[int, str]] = []
    if page.park is not None:
        building_choices = [
            (int(i), page.name({"name": n, "name_en": en}))
            for i, n, en in page.db.execute(
                select(Building.id, Building.name, Building.name_en)
                .where(page.scope.condition(Building), Building.park_id == page.park.id)
                .order_by(Building.code)
            )
        ]
    return page.render(
        "telemetry/devices.html",
        {
            "rows": rows,
            "total": found.total,
            "query": list_query,
            "state": state.value if state else "",
            "states": list(STATE_LABELS.items()),
            "counts": counts,
            "kinds": kinds,
            "kind": list_query.filters.get("kind", ""),
            "buildings": building_choices,
            "building_id": list_query.filters.get("building_id", ""),
            "last_page": max(1, math.ceil(found.total / list_query.page_size)),
            "staff": not page.scope.own_enterprise_only,  # devices of several owners: show each one's
        },
    )


# -- one device --------------------------------------------------------------------------------------------------
@router.get("/telemetry/devices/{ident}", response_class=HTMLResponse, name="telemetry_device")
def device_page(ident: Ident, page: CurrentPage) -> HTMLResponse:
    detail = devices.get(page.db, scope=page.scope, device_id=ident)
    names = _point_names(page, detail.kind)
    now = now_ms()
    start = now - CHART_HOURS * 3_600_000
    point_ids = [p.id for p in detail.point_states]
    charts: list[dict[str, Any]] = []
    if point_ids:
        series_list = query.many_series(
            page.db, scope=page.scope, point_ids=point_ids, from_ms=start, to_ms=now, resolution="auto"
        )
        by_point = {s.point_id: s for s in series_list}
        for p in detail.point_states:
            series = by_point.get(p.id)
            cumulative = p.state_class == "total_increasing"
            if cumulative:  # the register itself, so live values join the line
                series = query.point_series(
                    page.db, scope=page.scope, point_id=p.id, from_ms=start, to_ms=now, resolution="auto", agg="last"
                )
            data = [[ts, value] for ts, value in (series.points if series else []) if value is not None]
            charts.append(
                {
                    "id": p.id,
                    "name": names.get(p.key, p.name),
                    "unit": p.unit,
                    "resolution": series.resolution if series else "",
                    "json": json_script(
                        {
                            "point_id": p.id,
                            "name": names.get(p.key, p.name),
                            "unit": p.unit,
                            "points": data,
                            "window_ms": CHART_HOURS * 3_600_000,
                            "offset_ms": _offset_ms(),
                            "cumulative": cumulative,
                        }
                    ),
                    "csv": f"/api/v1/points/{p.id}/series?from={start}&to={now}&resolution=auto&format=csv",
                    "xlsx": f"/api/v1/points/{p.id}/series?from={start}&to={now}&resolution=auto&format=xlsx",
                }
            )
    points = [
        {
            "id": p.id,
            "key": p.key,
            "name": names.get(p.key, p.name),
            "unit": p.unit,
            "value": p.value,
            "quality_bad": p.quality not in (None, 0),
            "last_seen": _ms_text(p.ts),
            "online": p.online,
            "interval": p.expected_interval_s,
            "cumulative": p.state_class == "total_increasing",
        }
        for p in detail.point_states
    ]
    stream = "/telemetry/live?" + "&".join(f"point_id={pid}" for pid in point_ids)
    enterprise = _names(page, Enterprise, {detail.enterprise_id} if detail.enterprise_id else set())
    building = _names(page, Building, {detail.building_id} if detail.building_id else set())
    return page.render(
        "telemetry/device.html",
        {
            "d": detail,
            "kind": _kind_name(page, detail.kind),
            "state_label": STATE_LABELS[detail.state.value],
            "last_reading": _ms_text(detail.last_reading_ms),
            "last_message": _ms_text(detail.last_message_ms),
            "points": points,
            "charts": charts,
            "stream": stream if point_ids else "",
            "offset_ms": _offset_ms(),
            "rejections": [
                {"reason": r, "label": REASON_LABELS.get(r, r), "count": n} for r, n in detail.rejections.items()
            ],
            "enterprise": enterprise.get(detail.enterprise_id) if detail.enterprise_id else None,
            "building": building.get(detail.building_id) if detail.building_id else None,
            "registry_href": f"{kind_path('device')}/{detail.id}",
            "dead_letters_href": f"/telemetry/dead-letters?device_id={detail.id}",
            "can_rotate": _may_rotate(page, detail.park_id),
        },
    )


def _may_rotate(page: Page, park_id: int) -> bool:
    return page.scope.can(ROTATE_PERMISSION) and park_id in page.scope.write_parks


@router.post("/telemetry/devices/{ident}/token", response_class=HTMLResponse, name="telemetry_device_token")
def rotate_token_page(ident: Ident, page: CurrentPage, form: FormFields) -> HTMLResponse:
    """A new token for the device, shown once on the page this answers (never in a URL); audited."""
    page.check_csrf(form)
    detail = devices.get(page.db, scope=page.scope, device_id=ident)
    token = rotate_device_token(page.db, scope=page.scope, ident=ident)
    return page.render("telemetry/device_token.html", {"d": detail, "token": token})


# -- live stream under the web session ----------------------------------------------------------------------------
@router.get("/telemetry/live", name="telemetry_live")
def live_page_stream(page: CurrentPage) -> StreamingResponse:
    try:
        ids = [int(v) for v in page.request.query_params.getlist("point_id")]
    except ValueError:
        raise field_error("point_id", "point ids are integers") from None
    return open_stream(page.db, page.scope, ids)


# -- dead letters ------------------------------------------------------------------------------------------------
def _may_handle(page: Page) -> bool:
    return page.scope.can(deadletters.WRITE_PERMISSION) and bool(page.scope.write_parks)


@router.get("/telemetry/dead-letters", response_class=HTMLResponse, name="telemetry_dead_letters")
def dead_letters_page(page: CurrentPage) -> HTMLResponse:
    if not _can_dead_letters(page.scope):
        raise PermissionDenied(f"role {page.scope.role.value} may not read dead letters")
    raw = _raw_query(page, "page", "page_size", "sort", "q", "reason", "status", "device_id", "source")
    raw.setdefault("status", DeadLetterStatus.OPEN.value)
    if raw["status"] == "all":
        del raw["status"]
    list_query = deadletters.LIST_SPEC.parse_query(raw)
    found = deadletters.list_dead_letters(
        page.db, scope=page.scope, params=deadletters.DeadLetterParams(query=list_query)
    )
    notice = None
    params = page.request.query_params
    if params.get("replayed") is not None:
        notice = page.gettext(
            "%(replayed)s replayed, %(open)s still failing.", replayed=params.get("replayed"), open=params.get("open")
        )
    elif params.get("discarded") is not None:
        notice = page.gettext("%(n)s discarded.", n=params.get("discarded"))
    return page.render(
        "telemetry/dead_letters.html",
        {
            "rows": [
                {
                    "id": d.id,
                    "received_at": d.received_at,
                    "source": d.source,
                    "device_id": d.device_id,
                    "token": d.token,
                    "topic": d.topic,
                    "reason": REASON_LABELS.get(d.reason, d.reason),
                    "reason_code": d.reason,
                    "detail": d.detail,
                    "payload": d.payload,
                    "messages": d.messages,
                    "status": LETTER_STATUS_LABELS.get(d.status, d.status),
                    "open": d.status == DeadLetterStatus.OPEN.value,
                    "resolved_by": d.resolved_by,
                }
                for d in found.items
            ],
            "total": found.total,
            "query": list_query,
            "status": params.get("status", DeadLetterStatus.OPEN.value),
            "statuses": [("all", N_("All")), *LETTER_STATUS_LABELS.items()],
            "reasons": list(REASON_LABELS.items()),
            "reason": list_query.filters.get("reason", ""),
            "last_page": max(1, math.ceil(found.total / list_query.page_size)),
            "can_handle": _may_handle(page),
            "notice": notice,
        },
    )


def _ids(raw_ids: list[str]) -> list[int]:
    try:
        ids = sorted({int(v) for v in raw_ids})
    except ValueError:
        raise field_error("ids", "dead-letter ids are integers") from None
    if any(not 1 <= i <= MAX_ROW_ID for i in ids):
        raise field_error("ids", "no such dead letter")
    if not ids:
        raise ValidationFailed("choose at least one dead letter", errors=[{"field": "ids", "reason": "empty"}])
    return ids


async def _form_ids(page: CurrentPage) -> list[str]:
    form = await page.request.form()
    return [v for v in form.getlist("ids") if isinstance(v, str)]


FormIds = Annotated[list[str], Depends(_form_ids)]


@router.post("/telemetry/dead-letters/replay", name="telemetry_dead_letters_replay")
def replay_page(page: CurrentPage, form: FormFields, raw_ids: FormIds) -> Response:
    page.check_csrf(form)
    page.scope.require(deadletters.WRITE_PERMISSION)  # before the input is looked at
    summary = deadletters.replay(page.db, scope=page.scope, ids=_ids(raw_ids))
    return RedirectResponse(
        f"/telemetry/dead-letters?replayed={summary.replayed}&open={summary.still_open}", status_code=303
    )


@router.post("/telemetry/dead-letters/discard", name="telemetry_dead_letters_discard")
def discard_page(page: CurrentPage, form: FormFields, raw_ids: FormIds) -> Response:
    page.check_csrf(form)
    page.scope.require(deadletters.WRITE_PERMISSION)  # before the input is looked at
    n = deadletters.discard(page.db, scope=page.scope, ids=_ids(raw_ids))
    return RedirectResponse(f"/telemetry/dead-letters?discarded={n}", status_code=303)


# -- the overview's panel ----------------------------------------------------------------------------------------
@router.get("/telemetry/overview-panel", response_class=HTMLResponse, name="telemetry_overview_panel")
def overview_panel(page: CurrentPage) -> HTMLResponse:
    """Device states of the park and, while the demo back-fills its history, the progress (htmx polls this)."""
    counts = None
    if page.park is not None and _can_monitor(page.scope):
        counts = devices.counts(page.db, scope=page.scope, park_id=page.park.id)
    stage, done, total = work_progress.progress(work_progress.DEMO_HISTORY)  # reported by the demo (digipark.sim)
    running = stage not in ("idle", "done", "failed")
    progress = None
    if stage != "idle" and page.scope.is_staff:
        progress = {
            "stage": stage,
            "label": HISTORY_STAGE_LABELS.get(stage, stage),
            "done": done,
            "total": total,
            "percent": 100 if stage == "done" else (round(100 * done / total) if total else 0),
            "running": running,
        }
    return page.render("telemetry/_overview_panel.html", {"counts": counts, "progress": progress})
