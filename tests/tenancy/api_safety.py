"""Safety (digipark.safety): risk points, hazard sources, hidden dangers, plans, resources and incidents."""

from __future__ import annotations

from typing import Any

from httpx import Response

from tests.tenancy.api_alarms import al_alarm
from tests.tenancy.exercises import (
    IdentAction,
    IdentView,
    ParkView,
    Resource,
    add_resource,
    ident_action,
    ident_view,
    park_view,
    static_view,
)
from tests.tenancy.helpers import (
    API,
    NON_STAFF,
    Ctx,
    Exercise,
    all_attackers,
    assert_problem,
    b_denial,
    count_rows,
    next_number,
    park_a_markers,
)

_SF = f"{API}/safety"
_SF_PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def _sf_point_body(ctx: Ctx) -> dict[str, Any]:
    return {
        "enterprise_id": ctx.world.a.enterprise_ids[0],
        "code": f"RP{next_number(ctx, 'sf_point')}",
        "name": "液氨储罐",
        "responsible_person": "张工",
        "method": "LEC",
        "l_value": 3,
        "e_value": 6,
        "c_value": 15,
    }


def _sf_hazard_body(ctx: Ctx) -> dict[str, Any]:
    return {
        "enterprise_id": ctx.world.a.enterprise_ids[0],
        "code": f"HS{next_number(ctx, 'sf_hazard')}",
        "name": "液氯库",
        "unit_kind": "storage",
        "exposed_people": 60,
        "substances": [{"name": "液氯", "quantity_t": 20}],
    }


def sf_danger(ctx: Ctx, *, assigned: bool = False, rectified: bool = False) -> int:
    body = {"enterprise_id": ctx.world.a.enterprise_ids[0], "title": f"消防通道堵塞{next_number(ctx, 'sf_danger')}"}
    response = ctx.as_a_admin("POST", f"{_SF}/hidden-dangers", json=body)
    assert response.status_code == 201, response.text
    ident = int(response.json()["id"])
    if assigned or rectified:
        step = ctx.as_a_admin(
            "POST", f"{_SF}/hidden-dangers/{ident}/assign", json={"assignee": "物业", "deadline": "2099-01-01"}
        )
        assert step.status_code == 200, step.text
    if rectified:
        step = ctx.as_a_admin("POST", f"{_SF}/hidden-dangers/{ident}/rectify", json={"rectification": "已清理"})
        assert step.status_code == 200, step.text
    return ident


def _sf_incident_body(ctx: Ctx) -> dict[str, Any]:
    return {
        "enterprise_id": ctx.world.a.enterprise_ids[0],
        "title": f"储罐区异味{next_number(ctx, 'sf_incident')}",
        "kind": "leak",
        "building_id": ctx.world.a.building_id,
    }


def sf_incident(ctx: Ctx) -> int:
    response = ctx.as_a_admin("POST", f"{_SF}/incidents", json=_sf_incident_body(ctx))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def sf_incident_id(ctx: Ctx) -> int:
    if "sf_incident_id" not in ctx.cache:
        ctx.cache["sf_incident_id"] = sf_incident(ctx)
    return int(ctx.cache["sf_incident_id"])


def _sf_task_body(ctx: Ctx) -> dict[str, Any]:
    return {"title": "堵漏", "assignee": "园区消防队", "deadline": "2099-01-01T00:00:00+08:00"}


def _sf_task(ctx: Ctx) -> int:
    response = ctx.as_a_admin("POST", f"{_SF}/incidents/{sf_incident(ctx)}/tasks", json=_sf_task_body(ctx))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _sf_photo(ctx: Ctx, ident: int, who: str = "park_admin", park: str = "a") -> Response:
    return ctx.call(
        "POST", f"{_SF}/incidents/{ident}/photos", who, park, files={"file": ("现场.png", _SF_PNG, "image/png")}
    )


def sf_photo_id(ctx: Ctx) -> int:
    if "sf_photo" not in ctx.cache:
        response = _sf_photo(ctx, sf_incident_id(ctx))
        assert response.status_code == 201, response.text
        ctx.cache["sf_photo"] = response.json()["id"]
    return int(ctx.cache["sf_photo"])


def check_sf_photo_upload(ctx: Ctx) -> None:
    from digipark.safety.models import IncidentPhoto

    ident = sf_incident(ctx)
    before = count_rows(ctx.db, IncidentPhoto)
    for park, role in all_attackers():
        if park == "a" and role == "enterprise":
            continue  # the owner may add photos to its own incident
        assert_problem(_sf_photo(ctx, ident, role, park), *(b_denial(role) if park == "b" else (403, 404)))
    assert count_rows(ctx.db, IncidentPhoto) == before
    assert _sf_photo(ctx, ident).status_code == 201
    assert _sf_photo(ctx, ident, "enterprise").status_code == 201


def check_sf_from_alarm(ctx: Ctx) -> None:
    from digipark.safety.models import Incident

    alarm = al_alarm(ctx)
    url = f"{_SF}/incidents/from-alarm"
    before = count_rows(ctx.db, Incident)
    for park, role in all_attackers():
        if park == "a" and role == "enterprise":
            continue  # the alarm is enterprise 0's own: it may open an incident from it
        response = ctx.call("POST", url, role, park, json={"alarm_id": alarm, "kind": "other"})
        assert_problem(response, *(b_denial(role) if park == "b" else (403, 404)))
    assert count_rows(ctx.db, Incident) == before
    response = ctx.as_a_admin("POST", url, json={"alarm_id": alarm})
    assert response.status_code == 201 and response.json()["alarm_id"] == alarm, response.text
    assert_problem(ctx.as_a_admin("POST", url, json={"alarm_id": alarm}), 409)  # one open incident per alarm


def check_sf_evaluate(ctx: Ctx) -> None:
    """A calculation on the caller's input: no park data in or out."""
    body = {"exposed_people": 60, "substances": [{"name": "液氯", "quantity_t": 20}]}
    for park, role in all_attackers():
        response = ctx.call("POST", f"{_SF}/hazard-sources/evaluate", role, park, json=body)
        assert response.status_code == 200 and response.json()["r_value"] == 24, response.text
        assert not any(marker in response.text for marker in park_a_markers(ctx))


_SF_OWN = frozenset({"enterprise"})
SAFETY_RESOURCES: list[tuple[Resource, str]] = [
    (
        Resource("safety/risk-points", _sf_point_body, {"name": "改名"}, readers=_SF_OWN, writers=_SF_OWN),
        "list create get patch delete",
    ),
    (
        Resource("safety/hazard-sources", _sf_hazard_body, {"exposed_people": 120}, readers=_SF_OWN, writers=_SF_OWN),
        "list create get patch delete",
    ),
    (
        Resource(
            "safety/hidden-dangers",
            lambda ctx: {
                "enterprise_id": ctx.world.a.enterprise_ids[0],
                "title": f"隐患{next_number(ctx, 'sf_danger')}",
            },
            {"title": "改名"},
            readers=_SF_OWN,
            writers=_SF_OWN,
        ),
        "list create get patch",
    ),
    (
        Resource(
            "safety/plans",
            lambda ctx: {
                "enterprise_id": ctx.world.a.enterprise_ids[0],
                "code": f"P{next_number(ctx, 'sf_plan')}",
                "title": "现场处置方案",
                "plan_type": "onsite",
            },
            {"version": "2"},
            readers=_SF_OWN,
            writers=_SF_OWN,
        ),
        "list create get patch delete",
    ),
    (
        Resource(
            "safety/resources",
            lambda ctx: {"kind": "team", "name": f"消防队{next_number(ctx, 'sf_res')}", "zone_id": ctx.world.a.zone_id},
            {"phone": "119"},
            readers=NON_STAFF,
            cross_creates=lambda ctx: [
                {"kind": "team", "name": "消防队", "zone_id": ctx.world.a.zone_id},
                {"kind": "team", "name": "消防队", "building_id": ctx.world.a.building_id},
            ],
        ),
        "list create get patch delete",
    ),
    (
        Resource("safety/incidents", _sf_incident_body, None, readers=_SF_OWN, writers=_SF_OWN),
        "list create get",
    ),
]
SAFETY: dict[tuple[str, str], Exercise] = {
    ("GET", f"{_SF}/reference"): lambda ctx: static_view("safety/reference", ctx),
    ("POST", f"{_SF}/hazard-sources/evaluate"): check_sf_evaluate,
    ("POST", f"{_SF}/hidden-dangers/{{ident}}/assign"): lambda ctx: ident_action(
        IdentAction(
            "safety/hidden-dangers/{ident}/assign",
            sf_danger,
            lambda c: {"assignee": "物业", "deadline": "2099-01-01"},
            writers=_SF_OWN,
        ),
        ctx,
    ),
    ("POST", f"{_SF}/hidden-dangers/{{ident}}/rectify"): lambda ctx: ident_action(
        IdentAction(
            "safety/hidden-dangers/{ident}/rectify",
            lambda c: sf_danger(c, assigned=True),
            lambda c: {"rectification": "已清理"},
            writers=_SF_OWN,
        ),
        ctx,
    ),
    ("POST", f"{_SF}/hidden-dangers/{{ident}}/verify"): lambda ctx: ident_action(
        IdentAction(
            "safety/hidden-dangers/{ident}/verify", lambda c: sf_danger(c, rectified=True), lambda c: {"passed": True}
        ),
        ctx,
    ),
    ("GET", f"{_SF}/risk-picture"): lambda ctx: park_view(
        ParkView("safety/risk-picture", readers=frozenset({"enterprise", "enterprise2"})), ctx
    ),
    ("POST", f"{_SF}/incidents/from-alarm"): check_sf_from_alarm,
    ("GET", f"{_SF}/incidents/{{ident}}/timeline"): lambda ctx: ident_view(
        IdentView("safety/incidents/{ident}/timeline", sf_incident_id, _SF_OWN), ctx
    ),
    ("POST", f"{_SF}/incidents/{{ident}}/notes"): lambda ctx: ident_action(
        IdentAction("safety/incidents/{ident}/notes", sf_incident, lambda c: {"text": "现场已警戒"}, writers=_SF_OWN),
        ctx,
    ),
    ("POST", f"{_SF}/incidents/{{ident}}/photos"): check_sf_photo_upload,
    ("GET", f"{_SF}/photos/{{ident}}"): lambda ctx: ident_view(
        IdentView("safety/photos/{ident}", sf_photo_id, _SF_OWN), ctx
    ),
    ("POST", f"{_SF}/incidents/{{ident}}/tasks"): lambda ctx: ident_action(
        IdentAction("safety/incidents/{ident}/tasks", sf_incident, _sf_task_body), ctx
    ),
    ("POST", f"{_SF}/tasks/{{ident}}/status"): lambda ctx: ident_action(
        IdentAction("safety/tasks/{ident}/status", _sf_task, lambda c: {"status": "done"}), ctx
    ),
    ("GET", f"{_SF}/incidents/{{ident}}/nearest-resources"): lambda ctx: ident_view(
        IdentView("safety/incidents/{ident}/nearest-resources", sf_incident_id, _SF_OWN), ctx
    ),
    ("POST", f"{_SF}/incidents/{{ident}}/close"): lambda ctx: ident_action(
        IdentAction("safety/incidents/{ident}/close", sf_incident, lambda c: {"summary": "处置完毕"}), ctx
    ),
    ("GET", f"{_SF}/incidents/{{ident}}/report.json"): lambda ctx: ident_view(
        IdentView("safety/incidents/{ident}/report.json", sf_incident_id, _SF_OWN), ctx
    ),
    # without a configured webhook the command's push is refused with 409 (past every tenancy check); the push to a
    # live server is tested in tests/safety/test_service.py and test_emergency_flow.py
    ("POST", f"{_SF}/incidents/{{ident}}/push"): lambda ctx: ident_action(
        IdentAction("safety/incidents/{ident}/push", sf_incident, None, ok=(409,)), ctx
    ),
}
for _res, _methods in SAFETY_RESOURCES:
    add_resource(SAFETY, _res, _methods)
