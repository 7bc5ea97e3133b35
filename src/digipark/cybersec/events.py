"""Situational awareness: security events (JSON over HTTP, syslog lines, the platform's own failed logins) stored
and correlated into incidents; each new incident raises an alarm through the alarms module.

`ingest(session, park_id=, events=, correlator=)` is the one path: it stores a batch, feeds the correlator and
opens or extends incidents. Without a correlator it builds one and replays the last window of the park's stored
events first, so a request sees the same windows as a long-lived receiver."""

from __future__ import annotations

import builtins
import datetime as dt
import ipaddress
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, insert, or_, select, update
from sqlalchemy.orm import Session

from digipark.alarms import provides as alarms
from digipark.audit.models import AuditEntry
from digipark.auth.scope import Scope
from digipark.core.db import utcnow
from digipark.core.errors import Conflict, field_error
from digipark.core.listing import ListQuery, ListSpec
from digipark.cybersec import reference, syslog
from digipark.cybersec.common import VIEW, WRITE, park_enterprise
from digipark.cybersec.correlate import Correlator, Event, Match
from digipark.cybersec.models import BadAddress, CyberEvent, CyberIncident, IcsAsset, IncidentStatus
from digipark.cybersec.schemas import BadAddressImport, EventBatch, ImportResult, IngestResult, SyslogBatch
from digipark.web.i18n import N_

# the alarm each rule raises (an English msgid, translated where the alarm is shown)
ALARM_TITLES = {
    "brute_force": N_("Security: brute-force login"),
    "port_scan": N_("Security: port scan"),
    "bad_address": N_("Security: traffic to a known-bad address"),
    "ics_internet": N_("Security: ICS asset talking to the internet"),
}
PLATFORM_SENSOR = "digipark"
EVENT_TABLE = cast(Table, CyberEvent.__table__)
_LOGIN_ACTIONS = ("login_failed", "login_refused_locked")

EVENT_SPEC = ListSpec(
    filters={
        "park_id": CyberEvent.park_id,
        "enterprise_id": CyberEvent.enterprise_id,
        "kind": CyberEvent.kind,
        "src_ip": CyberEvent.src_ip,
        "incident_id": CyberEvent.incident_id,
    },
    search=[CyberEvent.sensor, CyberEvent.username, CyberEvent.message],
    sort={"id": CyberEvent.id, "at": CyberEvent.at},
    default_sort="-at,-id",
)
INCIDENT_SPEC = ListSpec(
    filters={
        "park_id": CyberIncident.park_id,
        "enterprise_id": CyberIncident.enterprise_id,
        "rule": CyberIncident.rule,
        "status": CyberIncident.status,
    },
    search=[CyberIncident.key, CyberIncident.summary],
    sort={"id": CyberIncident.id, "last_at": CyberIncident.last_at},
    default_sort="-last_at,-id",
)


def _ts(at: dt.datetime) -> float:
    return (at if at.tzinfo else at.replace(tzinfo=dt.UTC)).timestamp()


def _dt(ts: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, dt.UTC)


def correlator_for(session: Session, *, park_id: int, replay_before: dt.datetime | None = None) -> Correlator:
    """A correlator with the park's known-bad list and ICS addresses; its windows replay the stored events of the
    longest window before `replay_before` (None: now)."""
    bad = session.scalars(select(BadAddress.network).where(BadAddress.park_id == park_id))
    ics = {
        ip: (asset_id, enterprise_id)
        for asset_id, ip, enterprise_id in session.execute(
            select(IcsAsset.id, IcsAsset.ip_address, IcsAsset.enterprise_id).where(
                IcsAsset.park_id == park_id, IcsAsset.ip_address.is_not(None)
            )
        )
        if ip
    }
    found = Correlator(bad_networks=list(bad), ics_assets=ics)
    until = replay_before or utcnow()
    longest = max((int(r.get("window_s", 0)) for r in found.rules.values()), default=0)
    if longest:
        windowed = [found.rules[n] for n in ("brute_force", "port_scan") if n in found.rules]
        kinds = sorted({k for rule in windowed for k in rule["kinds"]})
        stmt = (
            select(CyberEvent)
            .where(
                CyberEvent.park_id == park_id,
                CyberEvent.kind.in_(kinds),
                CyberEvent.at >= until - dt.timedelta(seconds=longest),
                CyberEvent.at < until,
            )
            .order_by(CyberEvent.at, CyberEvent.id)
        )
        found.replay(_event_of(row) for row in session.scalars(stmt))
    return found


def _event_of(row: CyberEvent) -> Event:
    return Event(
        _ts(row.at), row.kind, row.sensor, row.src_ip, row.dst_ip, row.dst_port, row.username, row.enterprise_id, row.id
    )


_EVENT_COLUMNS = (
    "park_id", "enterprise_id", "at", "sensor", "kind", "src_ip", "dst_ip", "dst_port", "username", "message",
    "incident_id",
)  # fmt: skip


def _insert_events(session: Session, columns: dict[str, builtins.list[Any]], stamps: builtins.list[float]) -> None:
    """Store event rows, given column by column (every name of `_EVENT_COLUMNS` but `at`, which is given as seconds
    since the epoch in `stamps`), the cheapest way each driver offers: COPY on PostgreSQL (psycopg), one executemany
    of plain tuples with the times as SQLite's stored text elsewhere on SQLite, and SQLAlchemy's bind processors on any
    other dialect. No per-row parameter dictionaries, no per-row datetime type processing."""
    connection = session.connection()
    dialect = connection.dialect
    names = [name for name in _EVENT_COLUMNS if name != "at"]
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        rows = zip(_aware_times(stamps), *(columns[name] for name in names), strict=True)
        cursor = cast(Any, connection.connection.driver_connection).cursor()
        with cursor.copy(f"COPY {EVENT_TABLE.name} (at, {', '.join(names)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    if dialect.name == "sqlite":
        placeholders = ", ".join("?" * (len(names) + 1))
        connection.exec_driver_sql(
            f"INSERT INTO {EVENT_TABLE.name} (at, {', '.join(names)}) VALUES ({placeholders})",
            list(zip(_sqlite_times(stamps), *(columns[name] for name in names), strict=True)),
        )
        return
    compiled = insert(EVENT_TABLE).compile(dialect=dialect, column_keys=list(_EVENT_COLUMNS))
    values: dict[str, builtins.list[Any]] = {"at": [_dt(ts) for ts in stamps]}
    for name in _EVENT_COLUMNS:
        process = EVENT_TABLE.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        column = values.get(name, columns.get(name, []))
        values[name] = column if process is None else [None if v is None else process(v) for v in column]
    if compiled.positional:
        params: builtins.list[Any] = list(zip(*(values[name] for name in compiled.positiontup or ()), strict=True))
    else:
        params = [dict(zip(_EVENT_COLUMNS, row, strict=True)) for row in zip(*values.values(), strict=True)]
    connection.exec_driver_sql(compiled.string, params)


def _split(stamps: builtins.list[float]) -> builtins.list[tuple[int, int]]:
    """Each time as (whole second, microseconds), rounded to the microsecond as datetime.fromtimestamp rounds."""
    return [divmod(round(ts * 1_000_000), 1_000_000) for ts in stamps]


def _sqlite_times(stamps: builtins.list[float]) -> builtins.list[str]:
    """The times as SQLite stores UTCDateTime ("YYYY-MM-DD HH:MM:SS.ffffff", naive UTC); the calendar part computed
    once per distinct second of the batch."""
    seconds: dict[int, str] = {}
    found = []
    for second, micro in _split(stamps):
        text = seconds.get(second)
        if text is None:
            text = seconds[second] = _dt(second).strftime("%Y-%m-%d %H:%M:%S")
        found.append(f"{text}.{micro:06d}")
    return found


def _aware_times(stamps: builtins.list[float]) -> builtins.list[dt.datetime]:
    """The times as aware UTC datetimes; the calendar part computed once per distinct second of the batch."""
    seconds: dict[int, dt.datetime] = {}
    found = []
    for second, micro in _split(stamps):
        base = seconds.get(second)
        if base is None:
            base = seconds[second] = _dt(second)
        found.append(base.replace(microsecond=micro))
    return found


def ingest(
    session: Session, *, park_id: int, events: Sequence[Event], correlator: Correlator | None = None
) -> IngestResult:
    """Store `events` (in time order) and correlate them; returns how many incidents were opened or extended.
    The caller has checked its permission for the park.

    The batch is correlated first, so its incidents exist (with ids) when the events are stored and each event of a
    match is stored with its incident; only a new incident whose window holds events of earlier batches updates
    those stored events afterwards."""
    if not events:
        return IngestResult(events=0, incidents_opened=0, incidents_updated=0)
    ordered = sorted(events, key=lambda e: e.at)
    if correlator is None:
        correlator = correlator_for(session, park_id=park_id, replay_before=_dt(ordered[0].at))
    feed = correlator.feed
    matches = [m for event in ordered for m in feed(event)]
    linked: dict[int, CyberIncident] = {}  # id(event) -> its incident
    created: builtins.list[tuple[CyberIncident, Match]] = []
    earlier: dict[int, tuple[CyberIncident, float, float]] = {}  # incidents with events of earlier batches
    updated = 0
    if matches:
        in_batch = {id(e) for e in ordered}
        current = _open_incidents(session, park_id, matches)
        for match in matches:
            incident = current.get((match.rule, match.key))
            at = _dt(match.at)
            if incident is not None and _aware(incident.last_at) >= at - dt.timedelta(seconds=_window(match.rule)):
                incident.events += len(match.events)
                incident.last_at = max(_aware(incident.last_at), at)
                incident.summary = _summary(match)[:500]
                updated += 1
            else:
                incident = _new_incident(park_id, match)
                current[(match.rule, match.key)] = incident
                created.append((incident, match))
            for e in match.events:
                if id(e) in in_batch:
                    linked.setdefault(id(e), incident)
                else:
                    _, low, high = earlier.get(id(incident), (incident, e.at, e.at))
                    earlier[id(incident)] = (incident, min(low, e.at), max(high, e.at))
        session.add_all([incident for incident, _ in created])
        session.flush()
        alarm_ids = alarms.raise_external_many(
            session,
            park_id=park_id,
            alarms=[
                alarms.ExternalAlarm(
                    source_kind=f"cyber:{match.rule}",
                    source_ref=f"{match.rule}:{match.key}",
                    severity=match.severity,
                    title_key=ALARM_TITLES[match.rule],
                    detail=incident.summary,
                    enterprise_id=match.enterprise_id,
                    at=_dt(match.at),
                )
                for incident, match in created
            ],
        )
        for (incident, _), alarm_id in zip(created, alarm_ids, strict=True):
            incident.alarm_id = alarm_id
    n = len(ordered)
    _insert_events(
        session,
        {
            "park_id": [park_id] * n,
            "enterprise_id": [e.enterprise_id for e in ordered],
            "sensor": [e.sensor[:100] for e in ordered],
            "kind": [e.kind for e in ordered],
            "src_ip": [e.src_ip for e in ordered],
            "dst_ip": [e.dst_ip for e in ordered],
            "dst_port": [e.dst_port for e in ordered],
            "username": [e.username for e in ordered],
            "message": [e.ref[:500] if isinstance(e.ref, str) else None for e in ordered],
            "incident_id": [linked[id(e)].id if id(e) in linked else None for e in ordered],
        },
        [e.at for e in ordered],
    )
    for incident, low, high in earlier.values():
        session.execute(
            update(CyberEvent)
            .where(
                CyberEvent.park_id == park_id,
                CyberEvent.incident_id.is_(None),
                CyberEvent.at >= _dt(low),
                CyberEvent.at <= _dt(high),
                CyberEvent.kind.in_(list(reference.rules()[incident.rule]["kinds"])),
                _about(incident.rule, incident.key),
            )
            .values(incident_id=incident.id)
        )
    if matches:
        session.flush()
    return IngestResult(events=len(ordered), incidents_opened=len(created), incidents_updated=updated)


def _about(rule: str, key: str) -> ColumnElement[bool]:
    """The events an incident of `rule` about `key` is made of (with its kinds and time span)."""
    if rule == "brute_force":
        return CyberEvent.username == key[5:] if key.startswith("user:") else CyberEvent.src_ip == key
    if rule == "port_scan":
        return CyberEvent.src_ip == key
    return or_(CyberEvent.src_ip == key, CyberEvent.dst_ip == key)


def _aware(at: dt.datetime) -> dt.datetime:
    return at if at.tzinfo else at.replace(tzinfo=dt.UTC)


def _window(rule: str) -> float:
    """How long after its last event an incident is still extended: the rule's window (an hour for rules without)."""
    return float(reference.rules()[rule].get("window_s", 3600))


def _summary(match: Match) -> str:
    detail = ", ".join(f"{k}={v}" for k, v in sorted(match.detail.items()))
    return f"{match.rule} {match.key}" + (f" ({detail})" if detail else "")


def _open_incidents(session: Session, park_id: int, matches: list[Match]) -> dict[tuple[str, str], CyberIncident]:
    """The park's open incidents the matches may extend (of their rules and keys, still within their windows),
    read once per batch: the newest of each (rule, key)."""
    horizon = _dt(min(m.at - _window(m.rule) for m in matches))
    found: dict[tuple[str, str], CyberIncident] = {}
    keys = sorted({m.key for m in matches})
    for start in range(0, len(keys), 500):
        stmt = (
            select(CyberIncident)
            .where(
                CyberIncident.park_id == park_id,
                CyberIncident.status == IncidentStatus.OPEN.value,
                CyberIncident.last_at >= horizon,
                CyberIncident.key.in_(keys[start : start + 500]),
            )
            .order_by(CyberIncident.id)
        )
        for row in session.scalars(stmt):
            found[(row.rule, row.key)] = row
    return found


def _new_incident(park_id: int, match: Match) -> CyberIncident:
    return CyberIncident(
        park_id=park_id,
        enterprise_id=match.enterprise_id,
        rule=match.rule,
        key=match.key[:200],
        severity=match.severity,
        status=IncidentStatus.OPEN.value,
        first_at=_dt(min(e.at for e in match.events)),
        last_at=_dt(match.at),
        events=len(match.events),
        summary=_summary(match)[:500],
    )


# -- the ways in -----------------------------------------------------------------------------------------------------
def _valid_ip(text: str | None, field: str) -> str | None:
    if text is None:
        return None
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise field_error(field, "not an IP address") from None


def post_events(session: Session, *, scope: Scope, data: EventBatch) -> IngestResult:
    """Events of a sensor as JSON (staff, or a gateway acting for the park)."""
    scope.require(WRITE)
    park = scope.acting_write_park(data.park_id)
    scope.authorize_write(WRITE, park_id=park)
    now = utcnow().timestamp()
    events = []
    for i, item in enumerate(data.events):
        if item.enterprise_id is not None:
            park_enterprise(session, scope, park, item.enterprise_id, f"events.{i}.enterprise_id")
        events.append(
            Event(
                _ts(item.at) if item.at is not None else now,
                item.kind,
                item.sensor,
                _valid_ip(item.src_ip, f"events.{i}.src_ip"),
                _valid_ip(item.dst_ip, f"events.{i}.dst_ip"),
                item.dst_port,
                item.username,
                item.enterprise_id,
                item.message,
            )
        )
    return ingest(session, park_id=park, events=events)


def post_syslog(session: Session, *, scope: Scope, data: SyslogBatch) -> IngestResult:
    """Syslog lines relayed over HTTP (the UDP receiver hands its batches to `ingest` directly)."""
    scope.require(WRITE)
    park = scope.acting_write_park(data.park_id)
    scope.authorize_write(WRITE, park_id=park)
    now = utcnow().timestamp()
    events = []
    for i, line in enumerate(data.lines):
        event = syslog.normalise(line, received=now)
        if event is None:
            raise field_error(f"lines.{i}", "not a syslog message")
        events.append(event)
    return ingest(session, park_id=park, events=events)


def collect_platform_logins(session: Session, *, scope: Scope, park_id: int | None = None) -> IngestResult:
    """The platform's own failed logins (from the audit log) of the park's accounts since the last collected, as
    auth_failure events of sensor "digipark" keyed by user name."""
    scope.require(WRITE)
    park = scope.acting_write_park(park_id)
    scope.authorize_write(WRITE, park_id=park)
    seen = session.scalar(
        select(CyberEvent.message)
        .where(CyberEvent.park_id == park, CyberEvent.sensor == PLATFORM_SENSOR)
        .order_by(CyberEvent.id.desc())
        .limit(1)
    )
    after_id = int(seen.split("#", 1)[1]) if seen and "#" in seen and seen.split("#", 1)[1].isdigit() else 0
    entries = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.park_id == park, AuditEntry.action.in_(_LOGIN_ACTIONS), AuditEntry.id > after_id)
        .order_by(AuditEntry.id)
        .limit(10000)
    )
    events = []
    for entry in entries:
        username = (entry.after or {}).get("username") if isinstance(entry.after, dict) else None
        events.append(
            Event(
                _ts(entry.ts),
                "auth_failure",
                PLATFORM_SENSOR,
                None,
                None,
                None,
                str(username or f"app_user:{entry.entity_id}")[:120],
                None,
                f"{entry.action} audit#{entry.id}",
            )
        )
    return ingest(session, park_id=park, events=events)


def import_bad_addresses(session: Session, *, scope: Scope, data: BadAddressImport) -> ImportResult:
    scope.require(WRITE)
    park = scope.acting_write_park(data.park_id)
    scope.authorize_write(WRITE, park_id=park)
    existing = set(session.scalars(select(BadAddress.network).where(BadAddress.park_id == park)))
    created = 0
    for i, text in enumerate(data.networks):
        try:
            network = str(ipaddress.ip_network(text.strip(), strict=False))
        except ValueError:
            raise field_error(f"networks.{i}", "not an address or CIDR network") from None
        if network in existing:
            continue
        existing.add(network)
        session.add(BadAddress(park_id=park, network=network, list_name=data.list_name))
        created += 1
    session.flush()
    return ImportResult(created=created, updated=0)


# -- reading and closing ---------------------------------------------------------------------------------------------
def list_events(session: Session, *, scope: Scope, query: ListQuery) -> tuple[builtins.list[CyberEvent], int]:
    scope.require(VIEW)
    return EVENT_SPEC.apply(session, scope.readable(CyberEvent), query)


def get_event(session: Session, *, scope: Scope, ident: int) -> CyberEvent:
    scope.require(VIEW)
    return scope.get_or_404(session, CyberEvent, ident)


def list_incidents(session: Session, *, scope: Scope, query: ListQuery) -> tuple[builtins.list[CyberIncident], int]:
    scope.require(VIEW)
    return INCIDENT_SPEC.apply(session, scope.readable(CyberIncident), query)


def get_incident(session: Session, *, scope: Scope, ident: int) -> CyberIncident:
    scope.require(VIEW)
    return scope.get_or_404(session, CyberIncident, ident)


def close_incident(session: Session, *, scope: Scope, ident: int) -> CyberIncident:
    row = get_incident(session, scope=scope, ident=ident)
    scope.authorize_write_row(WRITE, row)
    if row.status == IncidentStatus.CLOSED.value:
        raise Conflict(f"incident {ident} is already closed")
    row.status = IncidentStatus.CLOSED.value
    row.closed_at = utcnow()
    row.closed_by = scope.username
    session.flush()
    return row
