"""Web pages (every record's `pages`) of another tenant's row, and pages without a login.

`PAGE_OBJECTS` says how to make park A's row for every page route with a parameter; park B's users (and park A's
other enterprise, for an enterprise's own rows) get 404, 403 or the login page, never the page. No page is shown
without a login.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from digipark.audit.service import Actor, set_actor
from digipark.auth.models import Role
from digipark.auth.scope import Scope
from digipark.devices import profiles
from digipark.registry.models import Enterprise
from tests.conftest import World
from tests.tenancy.api_alarms import al_alarm
from tests.tenancy.api_approvals import ap_application, ap_document, ap_finished, ap_process_key
from tests.tenancy.api_assets import as_asset, as_class, as_document
from tests.tenancy.api_auth import user_id
from tests.tenancy.api_automation import au_rule
from tests.tenancy.api_cybersec import cy_assessment
from tests.tenancy.api_dashboards import db_made, rs_made
from tests.tenancy.api_dataspace import ds_dataset, ds_product, ds_requested
from tests.tenancy.api_economy import economy_chain, lead_id, statistic_id
from tests.tenancy.api_environment import env_outlet
from tests.tenancy.api_evaluation import evaluation_snapshot_id
from tests.tenancy.api_living import lv_delivery, lv_pass, lv_security_event
from tests.tenancy.api_notices import nt_published
from tests.tenancy.api_registry import KINDS
from tests.tenancy.api_safety import sf_danger, sf_incident_id, sf_photo_id
from tests.tenancy.api_services import sv_machine, sv_round
from tests.tenancy.api_transformation import tf_assessment_id, tf_certificate_id, tf_evidence_id
from tests.tenancy.api_workorders import wo_order, wo_photo
from tests.tenancy.helpers import B_ROLES, Ctx, enterprise_markers, page_denied, park_a_markers
from tests.tenancy.records import OBJECT_PAGES, PAGE_ROUTES, route_id
from tests.tenancy.table import made_by


def dv_profile(ctx: Ctx) -> str:
    """A device profile of park A, named after its enterprise 0 (the marker a page of it would show)."""
    name = ctx.db.get_one(Enterprise, ctx.world.a.enterprise_ids[0]).name
    seed = profiles.seed("gas_meter")
    assert seed is not None
    admin = Scope.for_user(role=Role.PARK_ADMIN, username="t", user_id=None, park_id=ctx.world.a.park_id)
    set_actor(ctx.db, Actor("t"))
    data = {**seed.model_dump(), "key": "ta_meter", "name_zh": name, "name_en": name}
    return profiles.save(ctx.db, scope=admin, data=data, new=True).key


@dataclasses.dataclass(frozen=True)
class PageObject:
    """How to get a row of park A for a page route with a parameter. `private`: the row is enterprise 0's (or the
    park staff's), so park A's other enterprise may not see it either; otherwise it is visible park-wide.
    `every_park`: the parameter names no row (an indicator key): each park's users see their own park's page."""

    ident: Callable[[Ctx], int | str]
    private: bool = True
    every_park: bool = False


PAGE_OBJECTS: dict[str, PageObject] = {
    "/telemetry/devices/{ident}": PageObject(lambda ctx: ctx.world.a.device_ids[0]),
    "/assets/{ident}": PageObject(as_asset),
    "/assets/classes/{ident}": PageObject(as_class, private=False),
    "/assets/documents/{ident}": PageObject(lambda ctx: as_document(ctx)[1]),
    "/devices/{ident}/commands": PageObject(lambda ctx: ctx.world.a.device_ids[0]),
    "/devices/{ident}/attributes": PageObject(lambda ctx: ctx.world.a.device_ids[0]),
    "/device-profiles/{key}": PageObject(dv_profile),
    **{
        f"/{spec.path}{suffix}": PageObject(
            lambda ctx, spec=spec: spec.row(ctx.world.a), private="enterprise2" not in spec.readers
        )
        for spec in KINDS
        for suffix in ("/{ident}", "/{ident}/edit")
    },
    "/dashboards/{ident}": PageObject(db_made),
    "/dashboards/{ident}/edit": PageObject(db_made),
    "/reports/subscriptions/{ident}": PageObject(rs_made),
    "/enterprises/{ident}/archive": PageObject(lambda ctx: ctx.world.a.enterprise_ids[0]),
    "/economy/statistics/{ident}": PageObject(statistic_id),
    "/economy/chains/{ident}": PageObject(lambda ctx: economy_chain(ctx)["id"], private=False),
    "/economy/leads/{ident}": PageObject(lead_id),
    "/evaluation/snapshots/{ident}": PageObject(evaluation_snapshot_id),
    "/evaluation/indicators/{key}": PageObject(lambda ctx: "statistics_reporting", private=False, every_park=True),
    "/transformation/enterprises/{ident}": PageObject(lambda ctx: ctx.world.a.enterprise_ids[0]),
    "/transformation/certificates/{ident}/file": PageObject(tf_certificate_id),
    "/transformation/assessments/{ident}": PageObject(tf_assessment_id),
    "/transformation/evidence/{ident}": PageObject(tf_evidence_id),
    "/environment/outlets/{ident}": PageObject(env_outlet),
    "/alarms/{ident}": PageObject(al_alarm),
    "/energy/enterprises/{ident}": PageObject(lambda ctx: ctx.world.a.enterprise_ids[0]),
    "/safety/risk-points/{ident}": PageObject(made_by("safety/risk-points")),
    "/safety/hazard-sources/{ident}": PageObject(made_by("safety/hazard-sources")),
    "/safety/hidden-dangers/{ident}": PageObject(sf_danger),
    "/safety/incidents/{ident}": PageObject(sf_incident_id),
    "/safety/incidents/{ident}/report": PageObject(sf_incident_id),
    "/safety/photos/{ident}": PageObject(sf_photo_id),
    "/safety/plans/{ident}": PageObject(made_by("safety/plans")),
    # a notice for everyone in park A: readable park-wide, editable by its staff only
    "/accounts/{ident}": PageObject(lambda ctx: user_id(ctx, "TA-enterprise")),
    "/notices/{ident}": PageObject(nt_published, private=False),
    "/notices/{ident}/edit": PageObject(nt_published, private=False),
    # enterprise 0's work order and its photo
    "/workorders/{ident}": PageObject(wo_order),
    "/workorders/photos/{ident}": PageObject(wo_photo),
    # a visitor pass park A's admin issued: its host and park A's staff only
    "/living/passes/{ident}": PageObject(lv_pass),
    "/living/passes/{ident}/qr.svg": PageObject(lv_pass),
    # a delivery park A's admin ordered: park A's staff and whoever ordered it only
    "/living/deliveries/{ident}": PageObject(lv_delivery),
    # park A's building: every member of park A sees its plan (tenant names as each may read them)
    "/living/buildings/{ident}": PageObject(lambda ctx: ctx.world.a.building_id, private=False),
    "/ioc/buildings/{ident}": PageObject(lambda ctx: ctx.world.a.building_id),
    # a process of park A (its form, park-wide); enterprise 0's application, its decision and its document
    "/approvals/apply/{key}": PageObject(ap_process_key, private=False),
    "/approvals/applications/{ident}": PageObject(ap_application),
    "/approvals/applications/{ident}/decision.pdf": PageObject(ap_finished),
    "/approvals/documents/{ident}": PageObject(ap_document),
    # a service of the park's catalogue: every member of park A browses it
    "/services/offerings/{ident}": PageObject(sv_machine, private=False),
    # a group-purchase round of park A: park-wide (each enterprise sees only its own part of the split)
    "/services/purchasing/rounds/{ident}": PageObject(sv_round, private=False),
    # a security event with its snapshot: park A's staff only
    "/living/security/{ident}": PageObject(lv_security_event),
    "/living/security/{ident}/snapshot": PageObject(lv_security_event),
    # an automation rule of park A: its staff (and reviewers) only
    "/automation/rules/{ident}": PageObject(au_rule),
    # a data product is offered park-wide; a contract is read by staff and its parties only (enterprise 0 here)
    "/dataspace/products/{ident}": PageObject(ds_product, private=False),
    "/dataspace/contracts/{ident}": PageObject(ds_requested),
    "/dataspace/datasets/{ident}": PageObject(ds_dataset),
    # an ICS self-assessment of enterprise 0: staff, reviewers and that enterprise
    "/security/ics/{ident}": PageObject(cy_assessment),
}


def test_every_page_route_with_a_parameter_has_an_object(app_instance: Any) -> None:
    missing = sorted(set(OBJECT_PAGES) - set(PAGE_OBJECTS))
    assert not missing, f"page routes without a PageObject in tests/tenancy/test_pages.py: {missing}"
    stale = sorted(set(PAGE_OBJECTS) - set(OBJECT_PAGES))
    assert not stale, f"PAGE_OBJECTS names pages the records no longer declare: {stale}"


@pytest.mark.parametrize("path", OBJECT_PAGES)
def test_object_page_of_another_tenant_is_denied(path: str, client: TestClient, world: World, db: Session) -> None:
    obj = PAGE_OBJECTS.get(path)
    assert obj is not None, f"{path} has no PageObject in tests/tenancy/test_pages.py"
    ctx = Ctx(client, world, db)
    url = re.sub(r"\{[a-z_]+\}", str(obj.ident(ctx)), path)
    own = ctx.as_a_admin("GET", url, follow_redirects=False)
    # the object and its page are real (a snapshot's page sends to its park's evaluation)
    assert own.status_code == 200 or (own.status_code == 303 and not page_denied(own)), (url, own.status_code)
    if obj.every_park:
        assert any(marker in own.text for marker in park_a_markers(ctx)), url  # else the marker check proves nothing
    markers = enterprise_markers(db, world.a.enterprise_ids[0])
    attackers = [("b", role) for role in B_ROLES]
    if obj.private:
        attackers.append(("a", "enterprise2"))
    for park, role in attackers:
        response = ctx.call("GET", url, role, park, follow_redirects=False)
        if obj.every_park and response.status_code == 200:
            assert not [m for m in park_a_markers(ctx) if m in response.text], (url, park, role)
            continue
        assert page_denied(response), (url, park, role, response.status_code, response.text[:500])
        assert not [marker for marker in markers if marker in response.text], (url, park, role)


@pytest.mark.parametrize("route", sorted(PAGE_ROUTES), ids=route_id)
def test_page_without_a_login_is_never_shown(route: tuple[str, str], client: TestClient, world: World) -> None:
    method, path = route
    url = re.sub(r"\{[a-z_]+\}", "1", path)
    response = client.request(method, url, follow_redirects=False)
    assert page_denied(response) or response.status_code == 401, (route, response.status_code)
