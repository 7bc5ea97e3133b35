"""Handling statistics: volumes, average and longest handling time per process and per step, on-time rate, and
the subsidies granted (政策兑现) by policy and enterprise. Durations are in hours of the clock."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.approvals.models import ApprovalInstance, ApprovalTask, InstanceState, TaskState
from digipark.auth.scope import Scope
from digipark.registry.models import Enterprise

STATISTICS = "approvals.statistics"


@dataclasses.dataclass
class Durations:
    count: int = 0
    total_h: float = 0.0
    longest_h: float = 0.0
    on_time: int = 0

    def add(self, hours: float, on_time: bool) -> None:
        self.count += 1
        self.total_h += hours
        self.longest_h = max(self.longest_h, hours)
        self.on_time += on_time

    def read(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "average_h": round(self.total_h / self.count, 2) if self.count else None,
            "longest_h": round(self.longest_h, 2) if self.count else None,
            "on_time_rate": round(self.on_time / self.count, 4) if self.count else None,
        }


def _hours(start: dt.datetime, end: dt.datetime) -> float:
    return (end - start).total_seconds() / 3600


def summary(
    session: Session, *, scope: Scope, since: dt.datetime | None = None, until: dt.datetime | None = None
) -> dict[str, Any]:
    """The park's approval figures (staff with `approvals.statistics`)."""
    scope.require(STATISTICS)
    park = scope.acting_park()
    stmt = scope.readable(ApprovalInstance).where(ApprovalInstance.park_id == park)
    if since is not None:
        stmt = stmt.where(ApprovalInstance.submitted_at >= since)
    if until is not None:
        stmt = stmt.where(ApprovalInstance.submitted_at < until)
    instances = session.scalars(stmt).all()
    ids = [i.id for i in instances]
    tasks = (
        session.scalars(
            select(ApprovalTask).where(ApprovalTask.instance_id.in_(ids), ApprovalTask.state == TaskState.DONE.value)
        ).all()
        if ids
        else []
    )
    volumes: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    per_process: dict[str, Durations] = defaultdict(Durations)
    late_instances: set[int] = {t.instance_id for t in tasks if t.completed_at and t.completed_at > t.due_at}
    for i in instances:
        volumes[i.process_key][i.state] += 1
        if i.completed_at is not None:
            per_process[i.process_key].add(_hours(i.submitted_at, i.completed_at), i.id not in late_instances)
    per_step: dict[tuple[str, str], Durations] = defaultdict(Durations)
    by_id = {i.id: i for i in instances}
    for t in tasks:
        assert t.completed_at is not None
        per_step[(by_id[t.instance_id].process_key, t.step)].add(
            _hours(t.opened_at, t.completed_at), t.completed_at <= t.due_at
        )
    all_steps = Durations()
    for d in per_step.values():
        all_steps.count += d.count
        all_steps.on_time += d.on_time
    granted: dict[str, float] = defaultdict(float)
    by_enterprise: dict[int, float] = defaultdict(float)
    for i in instances:
        if i.state == InstanceState.APPROVED.value and i.amount_wan_yuan:
            granted[i.process_key] += i.amount_wan_yuan
            if i.enterprise_id is not None:
                by_enterprise[i.enterprise_id] += i.amount_wan_yuan
    names = (
        dict(
            session.execute(select(Enterprise.id, Enterprise.name).where(Enterprise.id.in_(list(by_enterprise)))).all()
        )
        if by_enterprise
        else {}
    )
    return {
        "park_id": park,
        "volumes": {k: dict(v) | {"total": sum(v.values())} for k, v in sorted(volumes.items())},
        "processes": {k: v.read() for k, v in sorted(per_process.items())},
        "steps": [{"process": p, "step": s, **d.read()} for (p, s), d in sorted(per_step.items())],
        "on_time_rate": all_steps.read()["on_time_rate"],
        "subsidies": {
            "by_policy": {k: round(v, 2) for k, v in sorted(granted.items())},
            "by_enterprise": [
                {"enterprise_id": e, "name": names.get(e, ""), "granted_wan_yuan": round(v, 2)}
                for e, v in sorted(by_enterprise.items(), key=lambda kv: -kv[1])
            ],
            "total_wan_yuan": round(sum(granted.values()), 2),
        },
    }
