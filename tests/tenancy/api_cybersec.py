"""Infrastructure and security (digipark.cybersec): the park's inventory is read by its members with the view; an
enterprise's gradings, data catalogue, ICS assets, events and incidents by park staff, reviewers and that enterprise
(park A's enterprise 0, "enterprise") only."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.tenancy.exercises import (
    IdentAction,
    IdentView,
    ParkAction,
    ParkView,
    Resource,
    add_resource,
    ident_action,
    ident_view,
    park_action,
    park_view,
)
from tests.tenancy.helpers import API, Ctx, Exercise, items_of, next_number

_CY = f"{API}/cybersec"
_E = frozenset({"enterprise"})
_MEMBERS = frozenset({"enterprise", "enterprise2"})


def _post(ctx: Ctx, path: str, body: dict[str, Any]) -> Any:
    response = ctx.as_a_admin("POST", f"{_CY}/{path}", json=body)
    assert response.status_code in (200, 201), response.text
    return response.json()


def _e0(ctx: Ctx) -> int:
    return ctx.world.a.enterprise_ids[0]


def cy_element_body(ctx: Ctx) -> dict[str, Any]:
    n = next_number(ctx, "cy_element")
    return {
        "code": f"NE{n}",
        "name": f"光纤入楼{n}",
        "kind": "fibre_access",
        "technology": "fibre_gigabit",
        "building_id": ctx.world.a.building_id,
    }


def cy_resource_body(ctx: Ctx) -> dict[str, Any]:
    n = next_number(ctx, "cy_resource")
    return {"code": f"CR{n}", "name": f"智算资源池{n}", "kind": "ai", "capacity": 100}


def cy_resource(ctx: Ctx) -> int:
    if "cy_resource_id" not in ctx.cache:
        ctx.cache["cy_resource_id"] = _post(ctx, "compute-resources", cy_resource_body(ctx))["id"]
    return int(ctx.cache["cy_resource_id"])


def cy_allocation_body(ctx: Ctx) -> dict[str, Any]:
    return {"resource_id": cy_resource(ctx), "amount": 10, "starts_on": "2026-01-01", "enterprise_id": _e0(ctx)}


def cy_grading_body(ctx: Ctx) -> dict[str, Any]:
    return {
        "category": "connected_industrial",
        "grade": 2,
        "protection_level": 2,
        "system_name": "MES",
        "graded_on": "2026-05-01",
        "evidence": "定级报告",
        "enterprise_id": _e0(ctx),
    }


def cy_data_body(ctx: Ctx) -> dict[str, Any]:
    return {"name": f"工艺参数库{next_number(ctx, 'cy_data')}", "level": "important", "enterprise_id": _e0(ctx)}


def cy_data_item(ctx: Ctx) -> int:
    return int(_post(ctx, "data-items", cy_data_body(ctx))["id"])


def cy_asset_body(ctx: Ctx) -> dict[str, Any]:
    return {
        "name": f"PLC-{next_number(ctx, 'cy_asset')}",
        "kind": "plc",
        "vendor": "Siemens",
        "model": "S7-1200",
        "firmware": "V4.4.0",
        "enterprise_id": _e0(ctx),
    }


def cy_advisory_body(ctx: Ctx) -> dict[str, Any]:
    return {
        "ident": f"CNVD-2026-{next_number(ctx, 'cy_advisory'):05d}",
        "title": "拒绝服务漏洞",
        "vendor": "Siemens",
        "model_pattern": "S7-1200*",
        "affected": "<4.5.2",
        "severity": "major",
    }


def _burst(ctx: Ctx, src: str, n: int = 5) -> dict[str, Any]:
    start = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=n)
    return {
        "park_id": ctx.world.a.park_id,
        "events": [
            {
                "at": (start + dt.timedelta(seconds=i)).isoformat(),
                "sensor": "fw-core",
                "kind": "auth_failure",
                "src_ip": src,
                "username": "root",
                "enterprise_id": _e0(ctx),
            }
            for i in range(n)
        ],
    }


def cy_incident(ctx: Ctx) -> int:
    src = f"10.66.{next_number(ctx, 'cy_src')}.1"
    _post(ctx, "events", _burst(ctx, src, 6))
    response = ctx.as_a_admin("GET", f"{_CY}/incidents", params={"page_size": 500})
    found = [i["id"] for i in items_of(response.json()) if i["key"] == src]
    assert found, response.text
    return int(found[0])


def cy_event(ctx: Ctx) -> int:
    src = f"10.67.{next_number(ctx, 'cy_event_src')}.1"
    _post(ctx, "events", _burst(ctx, src, 1))
    response = ctx.as_a_admin("GET", f"{_CY}/events", params={"page_size": 500, "src_ip": src})
    return int(items_of(response.json())[0]["id"])


def cy_assessment_body(ctx: Ctx) -> dict[str, Any]:
    return {
        "title": f"工控自评{next_number(ctx, 'cy_assessment')}",
        "assessed_on": "2026-11-01",
        "assessor": "张工",
        "answers": {"1": {"status": "met", "evidence": "资产清单"}, "3": {"status": "not_met"}},
        "enterprise_id": _e0(ctx),
    }


def cy_assessment(ctx: Ctx) -> int:
    return int(_post(ctx, "ics-assessments", cy_assessment_body(ctx))["id"])


def cy_task_body(ctx: Ctx) -> dict[str, Any]:
    if "cy_assessment_id" not in ctx.cache:
        ctx.cache["cy_assessment_id"] = cy_assessment(ctx)
    return {
        "assessment_id": ctx.cache["cy_assessment_id"],
        "item": "3",
        "title": f"更换默认口令{next_number(ctx, 'cy_task')}",
        "owner": "李工",
        "due_on": "2027-01-31",
    }


def cy_log_source_body(ctx: Ctx) -> dict[str, Any]:
    n = next_number(ctx, "cy_log_source")
    return {"name": f"防火墙{n}", "network": f"10.70.{n % 250}.0/24", "enterprise_id": _e0(ctx)}


def cy_log_source(ctx: Ctx) -> int:
    return int(_post(ctx, "log-sources", cy_log_source_body(ctx))["id"])


CYBERSEC: dict[tuple[str, str], Exercise] = {
    ("GET", f"{_CY}/ics-assessments/{{ident}}/report"): lambda ctx: ident_view(
        IdentView("cybersec/ics-assessments/{ident}/report", cy_assessment, readers=_E), ctx
    ),
    ("POST", f"{_CY}/incidents/{{ident}}/hand-over"): lambda ctx: ident_action(
        IdentAction("cybersec/incidents/{ident}/hand-over", cy_incident, None), ctx
    ),
    ("GET", f"{_CY}/infrastructure"): lambda ctx: park_view(ParkView("cybersec/infrastructure", readers=_MEMBERS), ctx),
    ("GET", f"{_CY}/advisory-matches"): lambda ctx: park_view(
        ParkView("cybersec/advisory-matches", readers=_MEMBERS), ctx
    ),
    ("POST", f"{_CY}/advisories/import"): lambda ctx: park_action(
        ParkAction(
            "cybersec/advisories/import",
            lambda c: {"park_id": c.world.a.park_id, "advisories": [cy_advisory_body(c)]},
        ),
        ctx,
    ),
    ("POST", f"{_CY}/bad-addresses/import"): lambda ctx: park_action(
        ParkAction(
            "cybersec/bad-addresses/import",
            lambda c: {"park_id": c.world.a.park_id, "list_name": "CNCERT", "networks": ["198.51.100.0/24"]},
        ),
        ctx,
    ),
    ("POST", f"{_CY}/events"): lambda ctx: park_action(
        ParkAction("cybersec/events", lambda c: _burst(c, "10.68.0.1", 1)), ctx
    ),
    ("POST", f"{_CY}/syslog"): lambda ctx: park_action(
        ParkAction(
            "cybersec/syslog",
            lambda c: {
                "park_id": c.world.a.park_id,
                "lines": ["<38>Oct 30 22:14:15 gw sshd[1]: Failed password for root from 203.0.113.9 port 5 ssh2"],
            },
        ),
        ctx,
    ),
    ("GET", f"{_CY}/data-items/{{ident}}/sharing-check"): lambda ctx: ident_view(
        IdentView("cybersec/data-items/{ident}/sharing-check", cy_data_item, readers=_E), ctx
    ),
    ("POST", f"{_CY}/incidents/{{ident}}/close"): lambda ctx: ident_action(
        IdentAction("cybersec/incidents/{ident}/close", cy_incident, None), ctx
    ),
}
_PATCH = {"name": "改名"}
for resource, methods in (
    (Resource("cybersec/network-elements", cy_element_body, _PATCH, readers=_MEMBERS), "list create get patch delete"),
    (
        Resource(
            "cybersec/compute-resources",
            cy_resource_body,
            _PATCH,
            readers=_MEMBERS,
            cross_creates=lambda ctx: [{**cy_resource_body(ctx), "park_id": ctx.world.a.park_id}],
        ),
        "list create get patch delete",
    ),
    (
        Resource("cybersec/compute-allocations", cy_allocation_body, {"amount": 20}, readers=_E),
        "list create get patch delete",
    ),
    (
        Resource("cybersec/gradings", cy_grading_body, {"grade": 3}, readers=_E, writers=_E),
        "list create get patch delete",
    ),
    (
        Resource("cybersec/data-items", cy_data_body, {"name": "改名"}, readers=_E, writers=_E),
        "list create get patch delete",
    ),
    (Resource("cybersec/ics-assets", cy_asset_body, _PATCH, readers=_E, writers=_E), "list create get patch delete"),
    (
        Resource(
            "cybersec/advisories",
            cy_advisory_body,
            {"title": "改名"},
            cross_creates=lambda ctx: [{**cy_advisory_body(ctx), "park_id": ctx.world.a.park_id}],
        ),
        "list create get patch delete",
    ),
    (
        Resource("cybersec/ics-assessments", cy_assessment_body, {"title": "改名"}, readers=_E, writers=_E),
        "list create get patch delete",
    ),
    (
        Resource(
            "cybersec/ics-tasks",
            cy_task_body,
            {"owner": "王工"},
            readers=_E,
            writers=_E,
            cross_creates=lambda ctx: [cy_task_body(ctx)],
        ),
        "list create get patch delete",
    ),
    (
        Resource(
            "cybersec/log-sources",
            cy_log_source_body,
            {"name": "改名"},
            readers=_E,
            cross_creates=lambda ctx: [{**cy_log_source_body(ctx), "park_id": ctx.world.a.park_id}],
        ),
        "list create get patch delete",
    ),
    (Resource("cybersec/events", lambda ctx: {}, readers=_E, make_fn=cy_event), "list get"),
    (Resource("cybersec/incidents", lambda ctx: {}, readers=_E, make_fn=cy_incident), "list get"),
):
    add_resource(CYBERSEC, resource, methods)
