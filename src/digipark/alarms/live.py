"""Live push of alarms over server-sent events, filtered by the subscriber's scope.

Each alarm stream is a `telemetry.live` Subscription (from `hub().subscribe([])`: no points). `AlarmRaised` /
`AlarmChanged` (published after commit, in whichever thread wrote them) are offered to the alarm streams whose scope
may read that alarm (`service.may_read_alarm`) — not through `hub().offer`, which reaches every subscription,
point streams of other tenants included. The stream yields only `event: alarm` messages.

Several processes (DIGIPARK_STREAM_URL: alarms are written by ingest workers): a poller reads alarms changed since
its last look, once a second, while anyone listens.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi.responses import StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.alarms.events import AlarmEvent
from digipark.alarms.models import OPEN_STATES, Alarm
from digipark.alarms.service import VIEW, may_read_alarm
from digipark.auth.scope import Scope
from digipark.core.config import get_settings
from digipark.core.events import bus
from digipark.telemetry import provides as telemetry

log = logging.getLogger("digipark.alarms.live")
ALARM = "alarm"
POLL_INTERVAL_S = 1.0


def payload(event: AlarmEvent) -> dict[str, Any]:
    return {
        "id": event.alarm_id,
        "rule_id": event.rule_id,
        "park_id": event.park_id,
        "enterprise_id": event.enterprise_id,
        "zone_id": event.zone_id,
        "building_id": event.building_id,
        "point_id": event.point_id,
        "severity": event.severity,
        "state": event.state,
        "action": event.action,
        "message": event.message,
        "message_en": event.message_en,
        "value": event.value,
        "trigger_ts": event.trigger_ts,
        "at": event.occurred_at.isoformat(),
    }


def row_payload(alarm: Alarm) -> dict[str, Any]:
    return {
        "id": alarm.id,
        "rule_id": alarm.rule_id,
        "park_id": alarm.park_id,
        "enterprise_id": alarm.enterprise_id,
        "zone_id": alarm.zone_id,
        "building_id": alarm.building_id,
        "point_id": alarm.point_id,
        "severity": alarm.severity,
        "state": alarm.state,
        "action": alarm.state,
        "message": alarm.message,
        "message_en": alarm.message_en,
        "value": alarm.last_value,
        "trigger_ts": alarm.trigger_ts,
        "at": alarm.updated_at.isoformat(),
    }


class AlarmStreams:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subs: dict[telemetry.Subscription, Scope] = {}
        self._installed = False
        self._poller: threading.Thread | None = None
        self._since: dt.datetime | None = None

    def install(self) -> None:
        with self._lock:
            if not self._installed:
                bus.subscribe(AlarmEvent, self._on_event)
                self._installed = True

    def _on_event(self, event: AlarmEvent) -> None:
        self.offer(payload(event))

    def offer(self, data: dict[str, Any]) -> int:
        """Hand an alarm to every stream whose scope may read it; returns how many."""
        with self._lock:
            park_id, enterprise_id = data["park_id"], data["enterprise_id"]
            targets = [sub for sub, scope in self._subs.items() if may_read_alarm(scope, park_id, enterprise_id)]
        for sub in targets:
            sub.offer(ALARM, int(data["id"]), data)
        return len(targets)

    def subscribe(self, scope: Scope) -> telemetry.Subscription:
        self.install()
        sub = telemetry.hub().subscribe([])
        with self._lock:
            self._subs[sub] = scope
        if get_settings().stream_url:
            self._ensure_poller()
        return sub

    def unsubscribe(self, sub: telemetry.Subscription) -> None:
        with self._lock:
            self._subs.pop(sub, None)
        telemetry.hub().unsubscribe(sub)

    def subscriptions(self) -> int:
        with self._lock:
            return len(self._subs)

    def _ensure_poller(self) -> None:
        with self._lock:
            if self._poller is not None and self._poller.is_alive():
                return
            self._since = dt.datetime.now(dt.UTC)
            self._poller = threading.Thread(target=self._poll, name="digipark-alarm-poller", daemon=True)
            self._poller.start()

    def poll_once(self) -> int:
        from digipark.core.db import new_session

        since = self._since or dt.datetime.now(dt.UTC)
        with new_session() as session:
            rows = list(session.scalars(select(Alarm).where(Alarm.updated_at > since).order_by(Alarm.updated_at)))
        for alarm in rows:
            self.offer(row_payload(alarm))
            since = max(since, alarm.updated_at)
        self._since = since
        return len(rows)

    def _poll(self) -> None:
        while self.subscriptions():
            threading.Event().wait(POLL_INTERVAL_S)
            try:
                self.poll_once()
            except Exception:  # a database hiccup must not end live updates
                log.exception("alarms live: polling failed")


_streams = AlarmStreams()


def streams() -> AlarmStreams:
    return _streams


Translate = Callable[[str], str]


def shown_message(message: str, translate: Translate, english: str | None = None) -> str:
    """An alarm's message as the pages show it: `english` where given (an English page, and the alarm of a rule
    keeps its text in English), a rule's own text with values filled in (it holds a '%') as it is, otherwise a msgid
    (an external alarm's title, a rule's name) translated."""
    if english:
        return english
    return message if "%" in message else translate(message)


def _format(data: dict[str, Any], translate: Translate | None, english: bool = False) -> str:
    if translate is not None and isinstance(data.get("message"), str):
        shown = shown_message(data["message"], translate, data.get("message_en") if english else None)
        data = {**data, "message": shown}
    return telemetry.format_event(ALARM, data, int(data["id"]))


async def alarm_stream(
    sub: telemetry.Subscription,
    initial: list[dict[str, Any]],
    *,
    heartbeat_s: float = telemetry.HEARTBEAT_S,
    translate: Translate | None = None,
    english: bool = False,
) -> AsyncIterator[str]:
    """The SSE body: the retry hint, the open alarms now, then alarm changes as they come, heartbeats between.
    With `translate` (the pages: the reader's language) each message is sent as the alarm pages show it, in English
    where the alarm has its English text and `english` (an English page)."""
    try:
        sub.bind()
        yield f"retry: {telemetry.RETRY_MS}\n\n"
        for data in initial:
            yield _format(data, translate, english)
        for event, data in sub.take():
            if event == ALARM:
                yield _format(data, translate, english)
        while not sub.closed:
            batch = await sub.next(heartbeat_s)
            if not batch:
                yield ": keep-alive\n\n"
                continue
            for event, data in batch:
                if event == ALARM:
                    yield _format(data, translate, english)
    finally:
        _streams.unsubscribe(sub)


def open_stream(
    db: Session, scope: Scope, translate: Translate | None = None, english: bool = False
) -> StreamingResponse:
    """The SSE response of the API and the pages: the open alarms the caller may read now, then every change.
    The pages give `translate` (their language's gettext) and `english` (an English page): messages are then sent
    as the alarm list shows them after a reload; the API sends them as stored (both texts)."""
    scope.require(VIEW)
    rows = db.scalars(
        scope.readable(Alarm).where(Alarm.state.in_(sorted(OPEN_STATES))).order_by(Alarm.id.desc()).limit(200)
    )
    initial = [row_payload(a) for a in reversed(list(rows))]
    sub = _streams.subscribe(scope)
    body = alarm_stream(sub, initial, translate=translate, english=english)
    return StreamingResponse(body, media_type="text/event-stream", headers=telemetry.SSE_HEADERS)
