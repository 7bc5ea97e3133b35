"""The application is built from the module records (`digipark.modules.MODULES`): what each record declares
(routers, pages, menu, permissions, archive sections, indicator formulas) is what the running app has."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from digipark import modules as records
from digipark.app import create_app
from digipark.auth.models import Role
from digipark.auth.permissions import ROLE_PERMISSIONS
from digipark.core import modules
from digipark.core.modules import Module, resolve
from digipark.evaluation.indicators import DECLARED, system
from tests.conftest import World, bearer

Route = tuple[str, str]  # (method, path)
MODULES = records.MODULES


def _routes_of(router_ref: str) -> set[Route]:
    router = resolve(router_ref)
    return {(method, c.path) for c in iter_route_contexts(router.routes) for method in c.methods or ()}


def _app_routes(app: FastAPI) -> set[Route]:
    return {(method, c.path) for c in iter_route_contexts(app.routes) for method in c.methods or ()}


def _app_original_routes(app: FastAPI) -> set[int]:
    return {id(c.original_route) for c in iter_route_contexts(app.routes)}


def _path_matches(template: str, path: str) -> bool:
    """Whether `path` is one a route with path `template` serves (`{name}` matches one segment)."""
    wanted, given = template.strip("/").split("/"), path.strip("/").split("/")
    return len(wanted) == len(given) and all(
        w == g or (w.startswith("{") and w.endswith("}") and g) for w, g in zip(wanted, given, strict=True)
    )


def _ids(module: Module) -> str:
    return module.name


def test_module_names_are_unique_and_install_refuses_a_duplicate() -> None:
    names = [m.name for m in MODULES]
    assert len(names) == len(set(names))
    assert [m.name for m in modules.installed()] == names
    with pytest.raises(ValueError, match="unique"):
        modules.install((*MODULES, MODULES[0]))
    assert [m.name for m in modules.installed()] == names  # a refused install changes nothing


@pytest.mark.parametrize("module", MODULES, ids=_ids)
def test_every_router_and_page_of_a_record_is_mounted(module: Module, app_instance: FastAPI) -> None:
    mounted, originals = _app_routes(app_instance), _app_original_routes(app_instance)
    for ref in (*module.routers, *module.pages):
        router = resolve(ref)
        routes = _routes_of(ref)
        assert routes, f"{ref} has no routes"
        assert routes <= mounted, (ref, sorted(routes - mounted))
        # the app serves the record's own route objects, not look-alikes from elsewhere
        assert all(id(c.original_route) in originals for c in iter_route_contexts(router.routes)), ref
    for ref in module.routers:
        # REST under /api/v1; the NGSI-LD API at the path its spec gives (ETSI GS CIM 009)
        assert all(path.startswith(("/api/v1/", "/ngsi-ld/v1/")) for _, path in _routes_of(ref)), ref
    for ref in module.pages:
        assert not any(path.startswith("/api/") for _, path in _routes_of(ref)), ref


def test_every_api_route_of_the_app_comes_from_a_record(app_instance: FastAPI) -> None:
    declared = {route for m in MODULES for ref in m.routers for route in _routes_of(ref)}
    api = {
        (method, path) for method, path in _app_routes(app_instance) if path.startswith(("/api/v1/", "/ngsi-ld/v1/"))
    }
    assert api == declared, sorted(api ^ declared)


@pytest.mark.parametrize("module", [m for m in MODULES if m.menu], ids=_ids)
def test_menu_entries_lead_to_pages_someone_may_see(module: Module, app_instance: FastAPI) -> None:
    gets = [path for method, path in _app_routes(app_instance) if method == "GET"]
    granted = {p for perms in ROLE_PERMISSIONS.values() for p in perms}
    for entry in module.menu:
        assert any(_path_matches(path, entry.href) for path in gets), f"{module.name}: no GET route for {entry.href}"
        if entry.permission != "*":
            assert set(entry.permission.split("|")) & granted, f"{module.name}: nobody may see {entry.href}"


@pytest.mark.parametrize("module", [m for m in MODULES if m.permissions], ids=_ids)
def test_every_declared_permission_is_granted_to_its_role(module: Module) -> None:
    for role, permissions in module.permissions.items():
        assert permissions, (module.name, role)
        missing = permissions - ROLE_PERMISSIONS[Role(role)]
        assert not missing, (module.name, role, missing)


def test_every_archive_section_is_in_an_enterprise_archive(client: TestClient, world: World) -> None:
    declared = list(modules.archive_sections())
    assert {m.name for m, _ in declared} >= {"economy", "energy", "safety", "transformation"}
    for module, section in declared:
        assert callable(resolve(section.provider)), (module.name, section.provider)
    response = client.get(
        f"/api/v1/economy/enterprises/{world.a.enterprise_ids[0]}/archive", headers=bearer(world.a.tokens["park_admin"])
    )
    assert response.status_code == 200, response.text
    shown = {s["key"]: s for s in response.json()["sections"]}
    for module, section in declared:
        assert section.key in shown, (module.name, section.key)
        assert shown[section.key]["available"], (module.name, shown[section.key])


def test_every_computed_indicator_is_declared_by_the_record_it_names() -> None:
    formulas = modules.indicator_formulas()
    computed = [d for d in system().indicators if d.formula != DECLARED]
    assert computed
    for definition in computed:
        assert definition.formula in formulas, f"{definition.key}: no installed record declares {definition.formula}"
        _, ref = formulas[definition.formula]
        assert callable(resolve(ref)), ref
        # the modules whose records it reads (registry's are computed by evaluation itself) are installed
        for name in (definition.module or "").split(","):
            assert not name.strip() or modules.find(name.strip()) is not None, definition.key


@pytest.fixture
def installed_without() -> Iterator[Any]:
    """Install the records but one (`remove(name)`); restore after."""

    def remove(name: str) -> tuple[Module, ...]:
        kept = tuple(m for m in MODULES if m.name != name)
        assert len(kept) == len(MODULES) - 1, name
        modules.install(kept)
        return kept

    try:
        yield remove
    finally:
        modules.install(MODULES)


def test_removing_a_record_removes_its_routes_and_menu(installed_without: Any, world: World, db: Any) -> None:
    safety = next(m for m in MODULES if m.name == "safety")
    full_routes = _app_routes(create_app())
    safety_routes = {route for ref in (*safety.routers, *safety.pages) for route in _routes_of(ref)}
    assert safety_routes <= full_routes

    installed_without("safety")
    app = create_app()
    routes = _app_routes(app)
    assert not routes & safety_routes
    assert routes == full_routes - safety_routes
    assert modules.find("safety") is None
    with TestClient(app) as client:
        headers = bearer(world.a.tokens["park_admin"])
        overview = client.get("/", headers=headers)
        assert overview.status_code == 200, overview.text
        assert 'href="/energy"' in overview.text  # the others' menu stays
        assert 'href="/safety"' not in overview.text
        assert client.get("/safety", headers=headers).status_code == 404
        assert client.get("/api/v1/safety/incidents", headers=headers).status_code == 404
        archive = client.get(f"/api/v1/economy/enterprises/{world.a.enterprise_ids[0]}/archive", headers=headers)
        assert archive.status_code == 200, archive.text
        assert "safety" not in {s["key"] for s in archive.json()["sections"] if s["available"]}


@pytest.mark.parametrize("module", [m for m in MODULES if m.catalog], ids=_ids)
def test_a_declared_catalogue_exists_in_both_languages(module: Module) -> None:
    from digipark.web.i18n import catalog_files

    for lang in ("zh", "en"):
        assert f"{module.catalog}.po" in {path.name for path in catalog_files(lang)}, (module.name, lang)
