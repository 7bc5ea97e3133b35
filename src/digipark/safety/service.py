"""The safety domain's service, one door for its callers: the risk register and major hazard sources
(`register`), hidden dangers (`dangers`), emergency plans and resources (`emergency`), incidents and drills
(`incidents`) and the early-warning risk picture (`picture`); `common` holds the permissions and shared checks.

Everything takes `(session, *, scope, ...)`, reads through the scope and never commits. Every write lands in the
audit log through the `Audited` models."""

from __future__ import annotations

from digipark.safety.common import (
    COMMAND,
    LOCATION_FIELDS,
    READ,
    SELF_WRITE,
    VIEW,
    WRITE,
    checked_location,
    checked_points,
    may_write,
    record_owner,
    refuse_null,
    today,
    warning_data,
    writer_permission,
)
from digipark.safety.dangers import (
    DANGER_SPEC,
    OPEN_DANGER,
    UNVERIFIED_DANGER,
    assign_hidden_danger,
    create_hidden_danger,
    get_hidden_danger,
    is_overdue,
    list_hidden_dangers,
    rectify_hidden_danger,
    update_hidden_danger,
    verify_hidden_danger,
)
from digipark.safety.emergency import (
    PLAN_SPEC,
    PLANS,
    RESOURCE_SPEC,
    RESOURCES,
)
from digipark.safety.incidents import (
    INCIDENT_SPEC,
    MAX_PHOTO_BYTES,
    MAX_PHOTOS,
    REPORT_SCHEMA,
    add_note,
    add_photo,
    add_task,
    change_task,
    close_incident,
    create_incident,
    create_incident_from_alarm,
    distance_m,
    get_incident,
    get_photo,
    get_task,
    list_incidents,
    nearest_resources,
    photos,
    position,
    push_report,
    pushes,
    report,
    report_body,
    tasks,
    timeline,
)
from digipark.safety.picture import (
    overview_counts,
    risk_picture,
)
from digipark.safety.register import (
    HAZARD_SOURCES,
    HAZARD_SPEC,
    RISK_POINT_SPEC,
    RISK_POINTS,
    evaluate,
)

# The derived functions of the plain record types, under the names their callers use.
list_risk_points = RISK_POINTS.list
get_risk_point = RISK_POINTS.get
create_risk_point = RISK_POINTS.create
update_risk_point = RISK_POINTS.update
delete_risk_point = RISK_POINTS.delete
list_hazard_sources = HAZARD_SOURCES.list
get_hazard_source = HAZARD_SOURCES.get
create_hazard_source = HAZARD_SOURCES.create
update_hazard_source = HAZARD_SOURCES.update
delete_hazard_source = HAZARD_SOURCES.delete
list_plans = PLANS.list
get_plan = PLANS.get
create_plan = PLANS.create
update_plan = PLANS.update
delete_plan = PLANS.delete
list_resources = RESOURCES.list
get_resource = RESOURCES.get
create_resource = RESOURCES.create
update_resource = RESOURCES.update
delete_resource = RESOURCES.delete

__all__ = [
    "COMMAND",
    "DANGER_SPEC",
    "HAZARD_SOURCES",
    "HAZARD_SPEC",
    "INCIDENT_SPEC",
    "LOCATION_FIELDS",
    "MAX_PHOTOS",
    "MAX_PHOTO_BYTES",
    "OPEN_DANGER",
    "PLANS",
    "PLAN_SPEC",
    "READ",
    "REPORT_SCHEMA",
    "RESOURCES",
    "RESOURCE_SPEC",
    "RISK_POINTS",
    "RISK_POINT_SPEC",
    "SELF_WRITE",
    "UNVERIFIED_DANGER",
    "VIEW",
    "WRITE",
    "add_note",
    "add_photo",
    "add_task",
    "assign_hidden_danger",
    "change_task",
    "checked_location",
    "checked_points",
    "close_incident",
    "create_hazard_source",
    "create_hidden_danger",
    "create_incident",
    "create_incident_from_alarm",
    "create_plan",
    "create_resource",
    "create_risk_point",
    "delete_hazard_source",
    "delete_plan",
    "delete_resource",
    "delete_risk_point",
    "distance_m",
    "evaluate",
    "get_hazard_source",
    "get_hidden_danger",
    "get_incident",
    "get_photo",
    "get_plan",
    "get_resource",
    "get_risk_point",
    "get_task",
    "is_overdue",
    "list_hazard_sources",
    "list_hidden_dangers",
    "list_incidents",
    "list_plans",
    "list_resources",
    "list_risk_points",
    "may_write",
    "nearest_resources",
    "overview_counts",
    "photos",
    "position",
    "push_report",
    "pushes",
    "record_owner",
    "rectify_hidden_danger",
    "refuse_null",
    "report",
    "report_body",
    "risk_picture",
    "tasks",
    "timeline",
    "today",
    "update_hazard_source",
    "update_hidden_danger",
    "update_plan",
    "update_resource",
    "update_risk_point",
    "verify_hidden_danger",
    "warning_data",
    "writer_permission",
]
