"""The ingest's registry cache.

Registry cache: token digest (`Device.token_hash`) → device (id, park, enterprise, code, status), (park, code) →
device, device → point key → (point id, valid range), loaded whole on first use and again after `max_age_s` or a
`RegistryChanged` event of this process; a miss (unknown token, code or key, disabled device) refreshes just the
missing devices at most once per `refresh_interval_s`, so a device or point added to the registry starts working
without a restart.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Iterable
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from digipark.registry.models import Device, DeviceStatus, Point

DISABLED_STATUSES = frozenset({DeviceStatus.INACTIVE.value, DeviceStatus.RETIRED.value})

PointInfo = tuple[int, float, float]  # point id, valid_min, valid_max (±inf when open)


@dataclasses.dataclass(slots=True)
class CachedDevice:
    id: int
    token_hash: str
    park_id: int
    enterprise_id: int | None
    code: str
    status: str
    points: dict[str, PointInfo]

    @property
    def disabled(self) -> bool:
        return self.status in DISABLED_STATUSES


class RegistryCache:
    """Devices and points as plain tuples; see the module docstring for when it reloads."""

    def __init__(self) -> None:
        self.by_token: dict[str, CachedDevice] = {}
        self.by_code: dict[tuple[int, str], CachedDevice] = {}
        self.by_id: dict[int, CachedDevice] = {}
        self.point_device: dict[int, int] = {}
        self.loaded_at: float | None = None

    def _point_rows(self, session: Session, device_ids: Iterable[int] | None) -> dict[int, dict[str, PointInfo]]:
        stmt = select(Point.id, Point.device_id, Point.key, Point.valid_min, Point.valid_max)
        if device_ids is not None:
            stmt = stmt.where(Point.device_id.in_(sorted(device_ids)))
        points: dict[int, dict[str, PointInfo]] = {}
        for pid, device_id, key, low, high in session.execute(stmt):
            points.setdefault(device_id, {})[key] = (
                pid,
                -math.inf if low is None else float(low),
                math.inf if high is None else float(high),
            )
        return points

    def _put(self, device: CachedDevice) -> None:
        old = self.by_id.get(device.id)
        if old is not None:
            self.by_token.pop(old.token_hash, None)
            self.by_code.pop((old.park_id, old.code), None)
        self.by_id[device.id] = device
        self.by_token[device.token_hash] = device
        self.by_code[(device.park_id, device.code)] = device
        for pid, _low, _high in device.points.values():
            self.point_device[pid] = device.id

    def load(self, session: Session) -> None:
        points = self._point_rows(session, None)
        fresh = RegistryCache()
        stmt = select(Device.id, Device.token_hash, Device.park_id, Device.enterprise_id, Device.code, Device.status)
        for ident, token, park_id, enterprise_id, code, status in session.execute(stmt):
            fresh._put(CachedDevice(ident, token, park_id, enterprise_id, code, status, points.get(ident, {})))
        self.by_token, self.by_code, self.by_id = fresh.by_token, fresh.by_code, fresh.by_id
        self.point_device = fresh.point_device
        self.loaded_at = time.monotonic()

    def refresh(
        self,
        session: Session,
        *,
        tokens: set[str],
        codes: set[tuple[int, str]],
        device_ids: set[int],
    ) -> None:
        """Reload these devices (by token digest, (park, code) or id) and their points."""
        conditions = []
        if tokens:
            conditions.append(Device.token_hash.in_(sorted(tokens)))
        if codes:
            conditions.append(Device.code.in_(sorted({code for _park, code in codes})))
        if device_ids:
            conditions.append(Device.id.in_(sorted(device_ids)))
        if not conditions:
            return
        stmt = select(Device.id, Device.token_hash, Device.park_id, Device.enterprise_id, Device.code, Device.status)
        rows = [
            row
            for row in session.execute(stmt.where(or_(*conditions)))
            if row[1] in tokens or (row[2], row[4]) in codes or row[0] in device_ids
        ]
        found = {row[0] for row in rows}
        for gone in device_ids - found:  # deleted from the registry
            old = self.by_id.pop(gone, None)
            if old is not None:
                self.by_token.pop(old.token_hash, None)
                self.by_code.pop((old.park_id, old.code), None)
        points = self._point_rows(session, found)
        for ident, token, park_id, enterprise_id, code, status in rows:
            self._put(CachedDevice(ident, token, park_id, enterprise_id, code, status, points.get(ident, {})))


def checked_values(
    device: CachedDevice,
    entries: list[tuple[int | None, dict[str, Any]]],
    received_ms: int,
    limit: int,
    out: list[tuple[int, int, float, int]],
) -> None:
    """The values of known points of these entries that `Ingestor._values` would store, appended to `out` (the
    rules engine's look at readings before they are stored)."""
    points = device.points
    for ts, values in entries:
        if ts is None:
            ts = received_ms
        elif ts > limit:
            continue
        for key, raw in values.items():
            point = points.get(key)
            kind = type(raw)
            if point is None or (kind is not float and kind is not int):
                continue
            try:
                value = float(raw)
            except OverflowError:
                continue
            if math.isfinite(value):
                pid, low, high = point
                out.append((pid, ts, value, 0 if low <= value <= high else 1))
