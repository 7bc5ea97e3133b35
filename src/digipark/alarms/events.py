"""Events of the alarm domain, published after the transaction that caused them commits.

`AlarmRaised`: a new alarm, or a cleared one raised again. `AlarmChanged`: acknowledged, cleared, closed,
escalated, flapping. Both carry where the alarm is (park, enterprise, zone, building, point) so subscribers filter
without reading the database. `RulesChanged`: rules were created, changed or deleted (the engine reloads)."""

from __future__ import annotations

import dataclasses

from digipark.core.events import DomainEvent


@dataclasses.dataclass(frozen=True, kw_only=True)
class AlarmEvent(DomainEvent):
    alarm_id: int
    rule_id: int
    enterprise_id: int | None = None
    severity: str
    state: str
    point_id: int | None = None
    zone_id: int | None = None
    building_id: int | None = None
    action: str = ""  # raised, raised_again, acknowledged, cleared, closed, escalated, flapping
    message: str = ""
    message_en: str | None = None  # a rule's alarm: its text in English
    value: float | None = None
    trigger_ts: int | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class AlarmRaised(AlarmEvent):
    pass


@dataclasses.dataclass(frozen=True, kw_only=True)
class AlarmChanged(AlarmEvent):
    pass


@dataclasses.dataclass(frozen=True, kw_only=True)
class RulesChanged(DomainEvent):
    rule_ids: tuple[int, ...] = ()
