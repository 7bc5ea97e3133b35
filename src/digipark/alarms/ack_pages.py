"""The page of a signed acknowledge link (/alarms/ack/<token>), opened from an SMS, a chat message or an e-mail
without signing in: it shows the alarm and one button; pressing it acknowledges the alarm as the person the message
went to (audited with that person as the actor). A link that was changed or has expired is refused with a page
saying so. The GET never writes, so a chat app's link preview cannot acknowledge anything."""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from digipark.alarms import acklink, service
from digipark.alarms.live import shown_message
from digipark.alarms.models import Alarm, AlarmState, NotificationContact
from digipark.audit.service import Actor, set_actor
from digipark.auth.dependencies import DbSession
from digipark.auth.models import Role, User
from digipark.auth.scope import Scope, system_scope
from digipark.core.errors import DomainError
from digipark.web import i18n
from digipark.web.shell import FormFields, render

router = APIRouter(include_in_schema=False)


def _page(request: Request, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    return render(request, "alarms/ack_link.html", context, lang=i18n.choose(request), status_code=status_code)


def _refused(request: Request, exc: acklink.BadLink) -> HTMLResponse:
    return _page(request, {"refused": "expired" if exc.expired else "invalid"}, status_code=410 if exc.expired else 403)


def _who(db: Any, link: acklink.AckLink, alarm: Alarm) -> tuple[Scope, Actor] | None:
    """The scope and audit actor the link acknowledges as; None when that person no longer may."""
    if link.user_id is not None:
        user = db.get(User, link.user_id)
        if user is None or not user.is_active:
            return None
        scope = Scope.for_user(
            role=Role(user.role),
            username=user.username,
            user_id=user.id,
            park_id=user.park_id,
            enterprise_id=user.enterprise_id,
        )
        return scope, Actor(user.username, role=user.role, user_id=user.id)
    contact = db.get(NotificationContact, link.contact_id)
    if contact is None or not contact.active or contact.park_id != alarm.park_id:
        return None
    name = f"contact:{contact.name}"[:120]
    return dataclasses.replace(system_scope(alarm.park_id), username=name), Actor(name, role="contact")


@router.get("/alarms/ack/{token}", response_class=HTMLResponse, name="alarm_ack_link")
def ack_link_page(token: str, request: Request, db: DbSession) -> HTMLResponse:
    try:
        link = acklink.verify(token)
    except acklink.BadLink as exc:
        return _refused(request, exc)
    alarm = db.get(Alarm, link.alarm_id)
    if alarm is None:
        return _refused(request, acklink.BadLink("no such alarm"))
    lang = i18n.choose(request)
    t = i18n.translations(lang).gettext
    return _page(
        request,
        {
            "alarm": alarm,
            "message": shown_message(alarm.message, t, alarm.message_en if lang == "en" else None),
            "token": token,
            "open": alarm.state == AlarmState.RAISED.value,
        },
    )


@router.post("/alarms/ack/{token}", response_class=HTMLResponse)
def ack_link(token: str, request: Request, db: DbSession, form: FormFields) -> HTMLResponse:
    """The token is the capability (unguessable, bound to the alarm, the person and an expiry): no session, no
    CSRF token."""
    try:
        link = acklink.verify(token)
    except acklink.BadLink as exc:
        return _refused(request, exc)
    alarm = db.get(Alarm, link.alarm_id)
    who = _who(db, link, alarm) if alarm is not None else None
    if alarm is None or who is None:
        return _refused(request, acklink.BadLink("no such alarm or person"))
    scope, actor = who
    set_actor(db, actor)
    try:
        with db.begin_nested():
            service.acknowledge(db, scope=scope, ident=alarm.id, comment=None)
    except DomainError:
        return _page(request, {"alarm": alarm, "message": alarm.message, "token": token, "open": False, "late": True})
    lang = i18n.choose(request)
    shown = shown_message(alarm.message, i18n.translations(lang).gettext, alarm.message_en if lang == "en" else None)
    return _page(request, {"alarm": alarm, "message": shown, "done": True, "open": False})
