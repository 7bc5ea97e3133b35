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

from digipark.auth.dependencies import DbSession, current_user
from digipark.auth.models import Role, User
from digipark.auth.scope import Scope
from digipark.auth.service import scope_for
from digipark.core import modules
from digipark.core import progress as work_progress
from digipark.core.errors import PermissionDenied
from digipark.core.listing import ListQuery
from digipark.core.modules import MenuEntry
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
    env.globals["url_with"] = _url_with
    env.globals["kind_path"] = kind_path
    return env


templates = _environment()


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
        "demo_writing": _demo_writing(),
        **context,
    }
    html = templates.get_template(template).render(values)
    return HTMLResponse(html, status_code=status_code, headers=dict(headers or {}))


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
    return user


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
        path = self.request.url.path
        entries = sorted((e for m in modules.installed() for e in m.menu), key=lambda e: (e.order, e.href))
        return [
            {
                "href": entry.href,
                "label": entry.label,
                "active": path == entry.href or (entry.href != "/" and path.startswith(entry.href + "/")),
            }
            for entry in entries
            if may_see(self.scope, entry)
        ]

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
