"""`TABLE`: how every method + path of the module records' API routers is exercised.

Each domain's routes are in its own file, `api_<domain>.py`, as one dict of (method, path) -> exercise; a new
domain adds its dict to `DOMAIN_TABLES`. A route in two domains' dicts is an error, not a silent override."""

from __future__ import annotations

from collections.abc import Callable

from tests.tenancy.api_alarms import ALARMS, ALARMS_RESOURCES
from tests.tenancy.api_approvals import APPROVALS
from tests.tenancy.api_assets import ASSETS
from tests.tenancy.api_audit import AUDIT
from tests.tenancy.api_auth import AUTH
from tests.tenancy.api_automation import AUTOMATION
from tests.tenancy.api_cybersec import CYBERSEC
from tests.tenancy.api_dashboards import DASHBOARDS
from tests.tenancy.api_dataspace import DATASPACE
from tests.tenancy.api_devices import DEVICES
from tests.tenancy.api_economy import ECONOMY, ECONOMY_RESOURCES
from tests.tenancy.api_energy import ENERGY, ENERGY_RESOURCES
from tests.tenancy.api_environment import ENVIRONMENT, ENVIRONMENT_RESOURCES
from tests.tenancy.api_evaluation import EVALUATION
from tests.tenancy.api_ioc import IOC
from tests.tenancy.api_living import LIVING
from tests.tenancy.api_notices import NOTICES
from tests.tenancy.api_platform import PLATFORM
from tests.tenancy.api_registry import REGISTRY
from tests.tenancy.api_safety import SAFETY, SAFETY_RESOURCES
from tests.tenancy.api_services import SERVICES, SERVICES_RESOURCES
from tests.tenancy.api_telemetry import TELEMETRY
from tests.tenancy.api_transformation import TRANSFORMATION, TRANSFORMATION_RESOURCES
from tests.tenancy.api_workorders import WORKORDERS
from tests.tenancy.exercises import Resource
from tests.tenancy.helpers import API, Ctx, Exercise

DOMAIN_TABLES: dict[str, dict[tuple[str, str], Exercise]] = {
    "registry": REGISTRY,
    "auth": AUTH,
    "audit": AUDIT,
    "telemetry": TELEMETRY,
    "alarms": ALARMS,
    "safety": SAFETY,
    "energy": ENERGY,
    "environment": ENVIRONMENT,
    "economy": ECONOMY,
    "evaluation": EVALUATION,
    "transformation": TRANSFORMATION,
    "notices": NOTICES,
    "workorders": WORKORDERS,
    "living": LIVING,
    "approvals": APPROVALS,
    "platform": PLATFORM,
    "services": SERVICES,
    "assets": ASSETS,
    "devices": DEVICES,
    "automation": AUTOMATION,
    "dataspace": DATASPACE,
    "cybersec": CYBERSEC,
    "dashboards": DASHBOARDS,
    "ioc": IOC,
}


def _merged(tables: dict[str, dict[tuple[str, str], Exercise]]) -> dict[tuple[str, str], Exercise]:
    merged: dict[tuple[str, str], Exercise] = {}
    owner: dict[tuple[str, str], str] = {}
    for domain, table in tables.items():
        for route, exercise in table.items():
            assert route not in merged, f"{route} is in the tables of both {owner[route]} and {domain}"
            merged[route], owner[route] = exercise, domain
    return merged


TABLE = _merged(DOMAIN_TABLES)
PUBLIC_ROUTES = {
    ("POST", f"{API}/auth/token"),
    ("POST", f"{API}/devices/{{token}}/telemetry"),  # the device token in the path authenticates
    ("POST", f"{API}/devices/{{token}}/commands"),  # the same: a device fetches its commands
    ("POST", f"{API}/devices/{{token}}/commands/{{ident}}/answer"),
    ("POST", f"{API}/{{token}}/claim"),  # the device token in the path authenticates (device-side claiming)
    ("POST", f"{API}/provision"),  # a provisioning key and its secret in the body authenticate (ThingsBoard)
    ("GET", "/ngsi-ld/v1/context.jsonld"),  # the park's @context document: terms, no data
}

RESOURCES: list[tuple[Resource, str]] = [
    *ECONOMY_RESOURCES,
    *TRANSFORMATION_RESOURCES,
    *ENERGY_RESOURCES,
    *ALARMS_RESOURCES,
    *ENVIRONMENT_RESOURCES,
    *SAFETY_RESOURCES,
    *SERVICES_RESOURCES,
]


def made_by(path: str) -> Callable[[Ctx], int]:
    """A row park A's admin creates through the `Resource` of `path` (owned by enterprise 0 where owned)."""
    resource = next(res for res, _ in RESOURCES if res.path == path)
    return lambda ctx: int(resource.make(ctx))
