"""The page shell every domain's pages use: templates, the logged-in page context, CSRF and navigation."""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from sqlalchemy.orm import Session

from digipark.auth import service as auth_service
from digipark.auth.dependencies import SESSION_COOKIE, DbSession, current_user
from digipark.auth.models import Role, User
from digipark.auth.scope import Scope
from digipark.auth.service import scope_for
from digipark.core import modules
from digipark.core import progress as work_progress
from digipark.core.db import transaction
from digipark.core.errors import PermissionDenied
from digipark.core.listing import ListQuery
from digipark.core.modules import MenuEntry, MenuSection
from digipark.core.progress import DEMO_EXTRAS
from digipark.core.tenancy import Visibility
from digipark.registry import service as registry
from digipark.registry.api import ROUTES
from digipark.registry.models import Park
from digipark.web import i18n, vendor
from digipark.web.i18n import N_

TEMPLATE_DIR = Path(__file__).parent / "templates"
CSRF_FIELD = "csrf_token"
PARK_COOKIE = "dp_park"  # the park chosen in the header's park switcher
THEME_COOKIE = "dp_theme"  # the colour theme chosen in the header's user menu
THEMES = ("system", "light", "dark")
THEME_LABELS = {"system": N_("System theme"), "light": N_("Light"), "dark": N_("Dark")}

ROLE_LABELS = {
    Role.PARK_ADMIN.value: N_("Park administrator"),
    Role.OPERATOR.value: N_("Operator"),
    Role.ENTERPRISE.value: N_("Enterprise user"),
    Role.REVIEWER.value: N_("Reviewer"),
    Role.RESIDENT.value: N_("Resident"),
}

# kind -> (list page title, one record)
KIND_TITLES = {
    "park": (N_("Parks"), N_("Park")),
    "zone": (N_("Zones"), N_("Zone")),
    "land_parcel": (N_("Land parcels"), N_("Land parcel")),
    "building": (N_("Buildings"), N_("Building")),
    "floor": (N_("Floors"), N_("Floor")),
    "room": (N_("Rooms"), N_("Room")),
    "enterprise": (N_("Enterprises"), N_("Enterprise")),
    "device": (N_("Devices"), N_("Device")),
    "point": (N_("Points"), N_("Point")),
}


def may_see(scope: Scope, entry: MenuEntry) -> bool:
    """Whether a menu entry is shown: a park to act in, and one of its permissions (`*`: any logged-in user)."""
    if not scope.read_parks:
        return entry.href == "/"
    return entry.permission == "*" or any(scope.can(p) for p in entry.permission.split("|"))


def nav_entries(scope: Scope, path: str) -> list[dict[str, Any]]:
    """The installed modules' menu entries `scope` may see, by section, then by their order; each names its
    section (`section`: the MenuSection)."""
    entries = sorted(
        (e for m in modules.installed() for e in m.menu),
        key=lambda e: (e.section.order, e.section.key, e.order, e.href),
    )
    return [
        {
            "href": entry.href,
            "label": entry.label,
            "section": entry.section,
            "active": path == entry.href or (entry.href != "/" and path.startswith(entry.href + "/")),
        }
        for entry in entries
        if may_see(scope, entry)
    ]


def nav_sections(nav: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The menu entries grouped by their section, in order (`label` "" for the entries above every section)."""
    sections: list[dict[str, Any]] = []
    for item in nav:
        section: MenuSection = item["section"]
        if not sections or sections[-1]["key"] != section.key:
            sections.append({"key": section.key, "label": section.label, "entries": [], "active": False})
        sections[-1]["entries"].append(item)
        sections[-1]["active"] = sections[-1]["active"] or item["active"]
    return sections


def kind_path(kind: str) -> str:
    """The page path of a registry kind: the API's collection name without the /api/v1 prefix."""
    return "/" + ROUTES[kind][0]


def can_read(scope: Scope, kind: str) -> bool:
    """Whether any row of `kind` may be visible to `scope` (mirrors Scope.condition, for navigation)."""
    if not scope.read_parks:
        return False
    visibility: Visibility = getattr(registry.KINDS[kind].model, "__visibility__", Visibility.STAFF)
    if visibility == Visibility.PARK or scope.is_staff:
        return True
    return visibility == Visibility.ENTERPRISE and scope.acting_enterprise() is not None


@pass_context
def _gettext(context: Context, message: str) -> str:
    return context["translations"].gettext(message)  # type: ignore[no-any-return]


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return context["translations"].ngettext(singular, plural, n)  # type: ignore[no-any-return]


@pass_context
def _number(context: Context, value: float | int | None, digits: int = 0) -> str:
    return i18n.format_number(value, context["lang"], digits)


@pass_context
def _localized_name(context: Context, obj: object, field: str = "name") -> str:
    return i18n.localized_name(obj, context["lang"], field)


def _url_with(request: Request, **changes: Any) -> str:
    """The current URL with some query parameters changed (None removes one)."""
    params = dict(request.query_params)
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = str(value)
    query = urlencode(params)
    return request.url.path + ("?" + query if query else "")


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(["html", "svg"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters["num"] = _number
    env.filters["localtime"] = i18n.local_time
    env.filters["localized_name"] = _localized_name
    env.globals["localized_name"] = _localized_name
    env.globals["url_with"] = _url_with
    env.globals["kind_path"] = kind_path
    env.globals["nav_sections"] = nav_sections
    return env


templates = _environment()


def chosen_theme(request: Request) -> str:
    """`?theme=`, else the dp_theme cookie, else "system" (the browser's prefers-color-scheme)."""
    for candidate in (request.query_params.get("theme"), request.cookies.get(THEME_COOKIE)):
        if candidate in THEMES:
            return str(candidate)
    return "system"


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    *,
    lang: str,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    values: dict[str, Any] = {
        "request": request,
        "lang": lang,
        "translations": i18n.translations(lang),
        "languages": i18n.LANGUAGES,
        "has_htmx": vendor.available("htmx.min.js"),
        "has_echarts": vendor.available("echarts.min.js"),
        "user": None,
        "nav": [],
        "theme": chosen_theme(request),
        "themes": [(key, THEME_LABELS[key]) for key in THEMES],
        "demo_writing": _demo_writing(),
        **context,
    }
    html = templates.get_template(template).render(values)
    return HTMLResponse(html, status_code=status_code, headers=dict(headers or {}))


HISTORY_STAGE_LABELS = {
    "checking": N_("Checking what is there"),
    "raw": N_("Raw readings of the last days"),
    "history": N_("One year of history"),
    "rollups": N_("Hourly, daily and monthly rollups"),
    "done": N_("History complete"),
    "failed": N_("History back-fill failed"),
}


def history_loading() -> dict[str, Any] | None:
    """The demo still writing its year of telemetry history (stage label, percent); a year's figures read part of it."""
    found = work_progress.history_loading()
    if found is None:
        return None
    stage, percent = found
    return {"stage": stage, "label": HISTORY_STAGE_LABELS.get(stage, stage), "percent": percent}


def _demo_writing() -> dict[str, Any] | None:
    """The served demo still writing the data it writes after it answers (some pages are empty until it is done)."""
    running = work_progress.running(DEMO_EXTRAS)
    if running is None:
        return None
    module, done, total = running
    titles = {record.name: record.title for record in modules.installed()}
    return {"title": titles.get(module, module), "done": done, "total": total}


class LoginRequired(Exception):
    """Nobody is logged in; page requests are redirected to the login page."""


def page_user(request: Request, user: Annotated[User | None, Depends(current_user)]) -> User:
    if user is None:
        raise LoginRequired()
    request.state.lang = i18n.choose(request, user.language)  # for error pages, rendered after a rollback
    request.state.shell_user = shell_user(user)
    return user


def shell_user(user: User) -> dict[str, str]:
    """What the header shows of the user, copied while its row is loaded (error pages render after a rollback)."""
    return {
        "display_name": user.display_name,
        "username": user.username,
        "role_label": ROLE_LABELS.get(user.role, user.role),
    }


def error_shell(request: Request) -> dict[str, Any]:
    """The header and menu of an error page: those of the logged-in user when the request got that far (a page's
    dependencies ran), else looked up from the session cookie (an unknown address); {} for nobody."""
    user = getattr(request.state, "shell_user", None)
    scope = getattr(request.state, "scope", None)
    if user is None or scope is None:
        raw = request.cookies.get(SESSION_COOKIE)
        if not raw:
            return {}
        try:
            with transaction(name="error page shell") as db:
                found = auth_service.resolve_web_session(db, raw=raw)
                if found is None:
                    return {}
                user = shell_user(found[0])
                scope = scope_for(db, found[0])
                request.state.csrf_token = found[1].csrf_token
        except Exception:  # an error page is shown even when the database is what failed
            return {}
    return {
        "user": user,
        "role_label": user["role_label"],
        "csrf_token": str(getattr(request.state, "csrf_token", "")),
        "nav": nav_entries(scope, request.url.path),
    }


def page_scope(request: Request, db: DbSession, user: Annotated[User, Depends(page_user)]) -> Scope:
    if not hasattr(request.state, "scope"):
        request.state.scope = scope_for(db, user)
    return request.state.scope  # type: ignore[no-any-return]


def current_park_id(scope: Scope) -> int | None:
    """The pages' default park: the user's own, else the first it reads."""
    if scope.park_id is not None:
        return scope.park_id
    return min(scope.read_parks) if scope.read_parks else None


def chosen_park_id(request: Request, scope: Scope) -> int | None:
    """The park the pages act in: the one the park switcher's cookie names when the scope reads it, else the
    default."""
    raw = request.cookies.get(PARK_COOKIE, "")
    if raw.isascii() and raw.isdigit() and len(raw) <= 10 and int(raw) in scope.read_parks:
        return int(raw)
    return current_park_id(scope)


@dataclasses.dataclass
class Page:
    """What a logged-in page handler needs: request, transaction, user, scope, language, current park."""

    request: Request
    db: Session
    user: User
    scope: Scope
    lang: str
    park: Park | None

    def gettext(self, message: str, **variables: Any) -> str:
        text: str = i18n.translations(self.lang).gettext(message)
        return text % variables if variables else text

    def label(self, mapping: Mapping[str, str], key: str | None) -> str:
        """Translate a coded value through a dict of msgids; unknown codes are shown as they are."""
        if key is None:
            return "—"
        return self.gettext(mapping[key]) if key in mapping else key

    def name(self, obj: object, field: str = "name") -> str:
        """A park's, zone's, enterprise's or building's name in the page's language (see i18n.localized_name)."""
        return i18n.localized_name(obj, self.lang, field)

    def enterprise_name(self, enterprise_id: int | None, name: str | None) -> str:
        """An enterprise's name another domain's figures carry (`name`, Chinese) in the page's language: on an English
        page its name_en when the registry has one. The English names are read once per request, in one query; the
        name of an enterprise the caller cannot see is never looked up (only ids that come with their name are)."""
        if self.lang != "en" or enterprise_id is None:
            return name or ""
        names: dict[int, str] | None = getattr(self.request.state, "enterprise_names_en", None)
        if names is None:
            names = registry.english_enterprise_names(self.db)
            self.request.state.enterprise_names_en = names
        return names.get(enterprise_id) or name or ""

    def enterprise_names(self, names: Mapping[int, str]) -> dict[int, str]:
        """{enterprise id: name} (Chinese names another domain read) in the page's language (`enterprise_name`)."""
        return {ident: self.enterprise_name(ident, name) for ident, name in names.items()}

    @property
    def csrf_token(self) -> str:
        return str(getattr(self.request.state, "csrf_token", ""))

    def check_csrf(self, form: Mapping[str, str]) -> None:
        """Reject a state-changing form whose token does not match the session's."""
        expected = self.csrf_token
        given = form.get(CSRF_FIELD, "")
        if not expected or not secrets.compare_digest(expected.encode(), given.encode()):
            raise PermissionDenied("the form's security token is missing or wrong; reload the page and try again")

    def nav(self) -> list[dict[str, Any]]:
        """The installed modules' menu entries this scope may see, in their order."""
        return nav_entries(self.scope, self.request.url.path)

    def park_choices(self) -> list[Park]:
        """The parks the header's switcher offers: every park the scope reads, when it reads more than one."""
        if len(self.scope.read_parks) < 2:
            return []
        return registry.all_rows(self.db, scope=self.scope, kind=registry.KINDS["park"], query=ListQuery(sort="id"))

    def render(
        self, template: str, context: Mapping[str, Any] | None = None, *, status_code: int = 200
    ) -> HTMLResponse:
        values = {
            "park_choices": self.park_choices(),
            "user": self.user,
            "scope": self.scope,
            "park": self.park,
            "role_label": ROLE_LABELS.get(self.user.role, self.user.role),
            "csrf_token": self.csrf_token,
            "nav": self.nav(),
            "enterprise_name": self.enterprise_name,
            **(context or {}),
        }
        return render(self.request, template, values, lang=self.lang, status_code=status_code)


def page(
    request: Request,
    db: DbSession,
    user: Annotated[User, Depends(page_user)],
    scope: Annotated[Scope, Depends(page_scope)],
) -> Page:
    park_id = chosen_park_id(request, scope)
    park = registry.get(db, scope=scope, kind=registry.KINDS["park"], ident=park_id) if park_id else None
    return Page(request=request, db=db, user=user, scope=scope, lang=request.state.lang, park=park)


async def form_fields(request: Request) -> dict[str, str]:
    """The submitted form's text fields (the last value of a repeated name)."""
    form = await request.form()
    return {key: value for key, value in form.multi_items() if isinstance(value, str)}


CurrentPage = Annotated[Page, Depends(page)]
FormFields = Annotated[dict[str, str], Depends(form_fields)]
