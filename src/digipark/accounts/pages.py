"""Account pages: the accounts a park administrator (its park's) or an enterprise administrator (its enterprise's)
manages — edit, deactivate, reset the password or the second factor, revoke tokens — and every user's own account:
password, API tokens, second factor. Every write goes through `digipark.auth.lifecycle` and the caller's scope."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from digipark.auth import lifecycle, second_factor, service
from digipark.auth.config import get_auth_settings
from digipark.auth.dependencies import SESSION_COOKIE
from digipark.auth.models import Role, User
from digipark.auth.schemas import UserUpdate
from digipark.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from digipark.registry.models import Enterprise
from digipark.web.i18n import N_
from digipark.web.login_flow import password_problem
from digipark.web.shell import ROLE_LABELS, CurrentPage, FormFields, Page

router = APIRouter(include_in_schema=False)
Ident = Annotated[int, PathParam(ge=1, le=2**31 - 1)]

LANGUAGE_LABELS = {"zh": N_("Chinese"), "en": N_("English")}
# roles a park administrator may give on the pages (reviewers are appointed with the CLI)
ASSIGNABLE_ROLES = (Role.PARK_ADMIN, Role.OPERATOR, Role.RESIDENT)
EDIT_FIELDS = ("display_name", "email", "language", "role", "enterprise_admin")


def _manager(page: Page) -> None:
    if not lifecycle.may_manage(page.scope):
        raise PermissionDenied(f"role {page.scope.role.value} may not manage accounts")
    if page.park is None:
        raise NotFound("your account is not assigned to a park")


def _enterprise_names(page: Page, users: list[User]) -> dict[int, str]:
    ids = {u.enterprise_id for u in users if u.enterprise_id is not None}
    if not ids:
        return {}
    rows = page.db.execute(page.scope.readable(Enterprise).where(Enterprise.id.in_(ids))).scalars()
    return {e.id: page.name(e) for e in rows}


@router.get("/accounts", response_class=HTMLResponse, name="accounts")
def list_page(page: CurrentPage) -> HTMLResponse:
    _manager(page)
    users = lifecycle.list_users(page.db, scope=page.scope)
    return page.render(
        "accounts/list.html",
        {"users": users, "enterprises": _enterprise_names(page, users), "role_labels": ROLE_LABELS},
    )


def _detail(
    page: Page,
    user: User,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    temporary_password: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    tokens = lifecycle.list_tokens(page.db, scope=page.scope, user_id=user.id)
    shown = values or {name: getattr(user, name) for name in EDIT_FIELDS}
    return page.render(
        "accounts/detail.html",
        {
            "account": user,
            "values": shown,
            "errors": errors or {},
            "notice": notice,
            "temporary_password": temporary_password,
            "tokens": [token for token, _owner in tokens],
            "enterprises": _enterprise_names(page, [user]),
            "role_labels": ROLE_LABELS,
            "language_labels": LANGUAGE_LABELS,
            "assignable_roles": [r.value for r in ASSIGNABLE_ROLES],
            "park_admin": page.scope.can(lifecycle.PARK_ADMIN),
            "is_self": user.id == page.user.id,
        },
        status_code=status_code,
    )


@router.get("/accounts/{ident}", response_class=HTMLResponse, name="account_detail")
def detail_page(ident: Ident, page: CurrentPage) -> HTMLResponse:
    _manager(page)
    user = lifecycle.get_user(page.db, scope=page.scope, user_id=ident)
    notice = {
        "saved": N_("Saved."),
        "revoked": N_("The token is revoked."),
        "factor": N_("The second factor is removed."),
    }
    shown = page.request.query_params.get("done", "")
    return _detail(page, user, notice=page.gettext(notice[shown]) if shown in notice else None)


def _errors(page: Page, exc: ValidationError | DomainError) -> dict[str, str]:
    if isinstance(exc, ValidationError):
        return {str(err["loc"][0]) if err["loc"] else "": page.gettext("Invalid value.") for err in exc.errors()}
    if isinstance(exc, ValidationFailed) and exc.errors:
        return {str(e["field"]): page.gettext(_REASONS.get(str(e["field"]), "Invalid value.")) for e in exc.errors}
    return {"": page.gettext("You may not make this change.")}


_REASONS = {
    "role": N_("This role cannot be given to this account."),
    "enterprise_admin": N_("Only enterprise users administer their enterprise."),
    "is_active": N_("You may not deactivate your own account."),
}


@router.post("/accounts/{ident}/edit", response_class=HTMLResponse)
def update(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    _manager(page)
    page.check_csrf(form)
    user = lifecycle.get_user(page.db, scope=page.scope, user_id=ident)
    raw: dict[str, Any] = {
        "display_name": form.get("display_name", "").strip() or None,
        "email": form.get("email", "").strip() or None,
        "language": form.get("language") or None,
    }
    if page.scope.can(lifecycle.PARK_ADMIN):
        raw["role"] = form.get("role") or None
        raw["enterprise_admin"] = "enterprise_admin" in form
    try:
        with page.db.begin_nested():
            changes = UserUpdate(**{k: v for k, v in raw.items() if v is not None or k == "email"}).model_dump(
                exclude_unset=True
            )
            lifecycle.update_user(page.db, scope=page.scope, user_id=ident, changes=changes)
    except (ValidationError, DomainError) as exc:
        values = {**{name: getattr(user, name) for name in EDIT_FIELDS}, **raw}
        return _detail(page, user, values=values, errors=_errors(page, exc), status_code=422)
    return RedirectResponse(f"/accounts/{ident}?done=saved", status_code=303)


@router.post("/accounts/{ident}/active", response_class=HTMLResponse)
def set_active(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    _manager(page)
    page.check_csrf(form)
    user = lifecycle.get_user(page.db, scope=page.scope, user_id=ident)
    try:
        with page.db.begin_nested():
            lifecycle.set_active(page.db, scope=page.scope, user_id=ident, active=form.get("active") == "1")
    except DomainError as exc:
        return _detail(page, user, errors=_errors(page, exc), status_code=422)
    return RedirectResponse(f"/accounts/{ident}?done=saved", status_code=303)


@router.post("/accounts/{ident}/password-reset", response_class=HTMLResponse)
def reset_password(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    """The temporary password is shown on this answer only."""
    _manager(page)
    page.check_csrf(form)
    user = lifecycle.get_user(page.db, scope=page.scope, user_id=ident)
    try:
        with page.db.begin_nested():
            temporary, _expires_at = lifecycle.reset_password(page.db, scope=page.scope, user_id=ident)
    except DomainError as exc:
        return _detail(page, user, errors=_errors(page, exc), status_code=422)
    return _detail(page, user, temporary_password=temporary)


@router.post("/accounts/{ident}/second-factor-reset", response_class=HTMLResponse)
def reset_second_factor(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    _manager(page)
    page.check_csrf(form)
    user = lifecycle.get_user(page.db, scope=page.scope, user_id=ident)
    second_factor.disable(page.db, user=user)
    return RedirectResponse(f"/accounts/{ident}?done=factor", status_code=303)


@router.post("/accounts/{ident}/tokens/{token_id}/revoke", response_class=HTMLResponse)
def revoke_user_token(ident: Ident, token_id: Ident, page: CurrentPage, form: FormFields) -> Response:
    _manager(page)
    page.check_csrf(form)
    owned = {token.id for token, _ in lifecycle.list_tokens(page.db, scope=page.scope, user_id=ident)}
    if token_id not in owned:
        raise NotFound(f"api_token {token_id} not found")
    lifecycle.revoke_token(page.db, scope=page.scope, token_id=token_id)
    return RedirectResponse(f"/accounts/{ident}?done=revoked", status_code=303)


# -- the user's own account -------------------------------------------------------------------------------------
def _own(
    page: Page,
    *,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    new_token: str | None = None,
    enrolment: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    tokens = lifecycle.list_tokens(page.db, scope=page.scope)
    return page.render(
        "accounts/own.html",
        {
            "errors": errors or {},
            "notice": notice,
            "new_token": new_token,
            "tokens": [token for token, _ in tokens],
            "token_max_days": get_auth_settings().token_max_days,
            "token_default_days": get_auth_settings().token_default_days,
            "second_factor_enabled": second_factor.enabled(page.user),
            "enrolment": enrolment,
        },
        status_code=status_code,
    )


@router.get("/account", response_class=HTMLResponse, name="own_account")
def own_page(page: CurrentPage) -> HTMLResponse:
    done = {
        "password": N_("Your password is changed. Your other sessions have ended."),
        "revoked": N_("The token is revoked."),
    }
    shown = page.request.query_params.get("done", "")
    return _own(page, notice=page.gettext(done[shown]) if shown in done else None)


@router.post("/account/password", response_class=HTMLResponse)
def change_password(page: CurrentPage, form: FormFields) -> Response:
    page.check_csrf(form)
    new_password = form.get("new_password", "")
    if new_password != form.get("new_password_repeat", ""):
        return _own(
            page, errors={"new_password_repeat": page.gettext("The two new passwords differ.")}, status_code=422
        )
    raw_session = page.request.cookies.get(SESSION_COOKIE)
    try:
        with page.db.begin_nested():
            lifecycle.change_password(
                page.db,
                user=page.user,
                current_password=form.get("current_password", ""),
                new_password=new_password,
                keep_session_hash=service.sha256(raw_session) if raw_session else None,
            )
    except ValidationFailed as exc:
        field = str(exc.errors[0]["field"]) if exc.errors else "new_password"
        if field == "current_password":
            message = page.gettext("Wrong password.")
        elif exc.errors and exc.errors[0].get("code") in ("too_short", "too_weak"):
            message = password_problem(page.lang, exc)
        else:
            message = page.gettext("Choose a password different from the current one.")
        return _own(page, errors={field: message}, status_code=422)
    return RedirectResponse("/account?done=password", status_code=303)


@router.post("/account/tokens", response_class=HTMLResponse)
def create_token(page: CurrentPage, form: FormFields) -> Response:
    """A new token, shown on this answer only."""
    page.check_csrf(form)
    name = form.get("name", "").strip()
    errors: dict[str, str] = {}
    if not name or len(name) > 100:
        errors["name"] = page.gettext("Give the token a name (at most 100 characters).")
    days_text = form.get("days", "").strip()
    days: int | None = None
    maximum = get_auth_settings().token_max_days
    if days_text:
        if not days_text.isdigit() or not 1 <= int(days_text) <= maximum:
            errors["days"] = page.gettext("Between 1 and %(max)s days.", max=maximum)
        else:
            days = int(days_text)
    if errors:
        return _own(page, errors=errors, status_code=422)
    raw, _token = service.create_api_token(page.db, user=page.user, name=name, days=days)
    return _own(page, new_token=raw)


@router.post("/account/tokens/{token_id}/revoke", response_class=HTMLResponse)
def revoke_own_token(token_id: Ident, page: CurrentPage, form: FormFields) -> Response:
    page.check_csrf(form)
    owned = {token.id for token, _ in lifecycle.list_tokens(page.db, scope=page.scope)}
    if token_id not in owned:
        raise NotFound(f"api_token {token_id} not found")
    lifecycle.revoke_token(page.db, scope=page.scope, token_id=token_id)
    return RedirectResponse("/account?done=revoked", status_code=303)


@router.post("/account/second-factor/enrol", response_class=HTMLResponse)
def own_enrol(page: CurrentPage, form: FormFields) -> Response:
    page.check_csrf(form)
    if second_factor.enabled(page.user):
        return RedirectResponse("/account", status_code=303)
    secret = second_factor.begin_enrolment(page.db, user=page.user)
    svg = second_factor.qr_svg(second_factor.provisioning_uri(page.user))
    return _own(page, enrolment={"qr_svg": svg, "secret": secret})


@router.post("/account/second-factor/confirm", response_class=HTMLResponse)
def own_confirm(page: CurrentPage, form: FormFields) -> Response:
    page.check_csrf(form)
    if page.user.totp_secret is None or second_factor.enabled(page.user):
        return RedirectResponse("/account", status_code=303)
    try:
        with page.db.begin_nested():
            codes = second_factor.confirm_enrolment(page.db, user=page.user, code=form.get("code", ""))
    except ValidationFailed:
        svg = second_factor.qr_svg(second_factor.provisioning_uri(page.user))
        return _own(
            page,
            enrolment={"qr_svg": svg, "secret": page.user.totp_secret},
            errors={"code": page.gettext("Wrong code. Enter the current code of your authenticator app.")},
            status_code=422,
        )
    return _own(page, enrolment={"recovery_codes": codes})
