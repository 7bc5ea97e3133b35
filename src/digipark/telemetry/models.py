"""Telemetry tables: raw readings, rollups at four resolutions, latest values, device traffic, dead letters.

Times of readings and rollup buckets are epoch milliseconds (UTC), as devices send them: integer bucket
arithmetic is the same on SQLite and PostgreSQL. PostgreSQL partitions `reading` by park (`park_id`, the point's
park: a park's readings may be on another server, telemetry.shards), and the local readings by month. A reading
belongs to its point, and every read goes through the point's scope first.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from digipark.core.db import Base, utcnow
from digipark.core.tenancy import EnterpriseScoped, ParkScoped, Visibility


class Quality(enum.IntEnum):
    GOOD = 0
    BAD = 1  # a number outside the point's valid range: stored, shown, left out of rollup statistics


class Resolution(enum.StrEnum):
    RAW = "raw"
    M15 = "15m"
    H1 = "1h"
    D1 = "1d"
    MO1 = "1mo"


class RejectReason(enum.StrEnum):
    """Why a message or a value was dead-lettered. Out-of-range numbers are not rejected: stored as BAD."""

    MALFORMED = "malformed"  # not JSON, or not one of the accepted payload shapes
    UNKNOWN_TOKEN = "unknown_token"
    DEVICE_DISABLED = "device_disabled"
    UNKNOWN_POINT = "unknown_point"
    NOT_NUMERIC = "not_numeric"
    NOT_FINITE = "not_finite"  # NaN or infinity
    FUTURE_TIMESTAMP = "future_timestamp"  # more than the allowed skew ahead of the server clock
    BAD_TIMESTAMP = "bad_timestamp"  # not an integer epoch-ms, or before 2000


class Reading(Base):
    """One value of one point at one time; (point, ts) is unique, so a repeated reading is stored once."""

    __tablename__ = "reading"

    # No foreign key to point: on PostgreSQL its per-row check (a FOR KEY SHARE lock of the point row for every
    # inserted reading) took half of the insert time of a batch. telemetry.store inserts only readings of
    # existing points (its INSERT joins `point`); readings left by a deleted point are never read (every read
    # goes through the point's scope first) and go with retention.
    point_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ts: Mapped[int] = mapped_column(BigInteger, primary_key=True, doc="epoch ms, UTC")
    value: Mapped[float] = mapped_column(Float)
    quality: Mapped[int] = mapped_column(SmallInteger, default=Quality.GOOD)
    # the point's park: PostgreSQL partitions `reading` by it (a park's readings may live on another server,
    # telemetry.shards); written by telemetry.store, never changed (a point stays in its park)
    park_id: Mapped[int] = mapped_column(Integer)


class _RollupColumns:
    """Statistics of the GOOD readings of one point in one bucket [bucket, next bucket).

    `delta` (cumulative meters only): the consumption in the bucket, the sum of increments between consecutive
    good readings whose later reading lies in the bucket, the first one counted from the last reading before the
    bucket; a decrease is a meter reset (the new value is the increment) or, near the register's valid_max, a
    rollover (valid_max - previous + new).
    """

    point_id: Mapped[int] = mapped_column(ForeignKey("point.id", ondelete="CASCADE"), primary_key=True)
    bucket: Mapped[int] = mapped_column(BigInteger, primary_key=True, doc="bucket start, epoch ms")
    count: Mapped[int] = mapped_column(Integer)
    bad_count: Mapped[int] = mapped_column(Integer, default=0)
    min: Mapped[float | None] = mapped_column(Float)
    max: Mapped[float | None] = mapped_column(Float)
    sum: Mapped[float | None] = mapped_column(Float)
    first_ts: Mapped[int | None] = mapped_column(BigInteger)
    first_value: Mapped[float | None] = mapped_column(Float)
    last_ts: Mapped[int | None] = mapped_column(BigInteger)
    last_value: Mapped[float | None] = mapped_column(Float)
    delta: Mapped[float | None] = mapped_column(Float)


class Rollup15m(_RollupColumns, Base):
    __tablename__ = "rollup_15m"


class Rollup1h(_RollupColumns, Base):
    __tablename__ = "rollup_1h"


class Rollup1d(_RollupColumns, Base):
    """Days start at local midnight (settings.timezone, Asia/Shanghai by default)."""

    __tablename__ = "rollup_1d"


class Rollup1mo(_RollupColumns, Base):
    """Months start at local midnight of the first day."""

    __tablename__ = "rollup_1mo"


class RollupGroup(Base):
    """Sums over the points of one (park, owning enterprise, quantity) per bucket of each rollup resolution, kept
    with the per-point rollups, so that a park-wide chart (e.g. the daily energy of 2,000 meters over a year)
    reads a few hundred rows instead of one per point and bucket. enterprise_id 0: points owned by the park.

    Added by the store engineer (not in the skeleton): the park-wide daily energy chart over a year must answer
    in < 100 ms, and summing 730,000 per-point day rows does not. A caller who may read every point of the
    groups it sums reads these rows; anyone else gets the per-point sum (telemetry.query.park_series)."""

    __tablename__ = "rollup_group"

    park_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(Integer, primary_key=True, doc="0: owned by the park")
    quantity: Mapped[str] = mapped_column(String(60), primary_key=True)
    resolution: Mapped[str] = mapped_column(String(4), primary_key=True, doc="15m | 1h | 1d | 1mo")
    bucket: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)
    bad_count: Mapped[int] = mapped_column(BigInteger, default=0)
    min: Mapped[float | None] = mapped_column(Float)
    max: Mapped[float | None] = mapped_column(Float)
    sum: Mapped[float | None] = mapped_column(Float)
    delta: Mapped[float | None] = mapped_column(Float)


ROLLUP_TABLES: dict[Resolution, type[_RollupColumns]] = {
    Resolution.M15: Rollup15m,
    Resolution.H1: Rollup1h,
    Resolution.D1: Rollup1d,
    Resolution.MO1: Rollup1mo,
}


class RollupPending(Base):
    """A 15 min bucket whose coarser rollups (1 h, 1 day, 1 month, group sums) still have to be recomputed:
    written with the readings by deferred writes (PostgreSQL ingest), removed by `rollups_refresh.refresh_pending`."""

    __tablename__ = "rollup_pending"

    point_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    bucket: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)


class PointLatest(Base):
    """The newest reading of each point (good or bad), for live views and online state."""

    __tablename__ = "point_latest"

    point_id: Mapped[int] = mapped_column(ForeignKey("point.id", ondelete="CASCADE"), primary_key=True)
    ts: Mapped[int] = mapped_column(BigInteger)
    value: Mapped[float] = mapped_column(Float)
    quality: Mapped[int] = mapped_column(SmallInteger)


class DeviceTraffic(EnterpriseScoped, Base):
    """Counters of what one device sent: messages, stored readings, duplicates, bad values, rejections."""

    __tablename__ = "device_traffic"
    __visibility__ = Visibility.ENTERPRISE

    device_id: Mapped[int] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"), primary_key=True)
    last_seen_ms: Mapped[int | None] = mapped_column(BigInteger)
    messages: Mapped[int] = mapped_column(BigInteger, default=0)
    readings: Mapped[int] = mapped_column(BigInteger, default=0, doc="new readings stored")
    duplicates: Mapped[int] = mapped_column(BigInteger, default=0, doc="repeats of a stored (point, ts)")
    bad_quality: Mapped[int] = mapped_column(BigInteger, default=0, doc="stored with quality BAD")
    rejected: Mapped[int] = mapped_column(BigInteger, default=0, doc="dead letters (one per message and reason)")


class DeviceRejection(EnterpriseScoped, Base):
    """Rejections of one device by reason (a RejectReason value), counted atomically per batch."""

    __tablename__ = "device_rejection"
    __visibility__ = Visibility.ENTERPRISE

    device_id: Mapped[int] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"), primary_key=True)
    reason: Mapped[str] = mapped_column(String(30), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, default=0)
    last_ms: Mapped[int | None] = mapped_column(BigInteger)


class DeadLetterStatus(enum.StrEnum):
    OPEN = "open"
    REPLAYED = "replayed"  # replayed and accepted
    DISCARDED = "discarded"


class DeadLetter(ParkScoped, Base):
    """A message, or the rejected values of one, kept with the reason so it can be inspected and replayed.

    park_id is that of the device; a message with an unknown token is kept under every park's operators'
    view through park_id NULL (see telemetry.deadletters)."""

    __tablename__ = "dead_letter"
    __table_args__ = (
        Index("ix_dead_letter_park_id_status_id", "park_id", "status", "id"),
        Index("ix_dead_letter_received_at", "received_at"),  # retention (0014)
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    park_id: Mapped[int | None] = mapped_column(  # type: ignore[assignment]
        ForeignKey("park.id", ondelete="RESTRICT"), index=True, nullable=True
    )
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id", ondelete="SET NULL"), index=True)
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    source: Mapped[str] = mapped_column(String(20), doc="mqtt | http | replay")
    topic: Mapped[str | None] = mapped_column(String(300))
    token: Mapped[str | None] = mapped_column(String(64), index=True, doc="the first characters of the token")
    token_hash: Mapped[str | None] = mapped_column(String(64), doc="SHA-256 digest of the token presented")
    payload: Mapped[str] = mapped_column(Text, doc="the message, or only its rejected values, as JSON text")
    value_count: Mapped[int] = mapped_column(Integer, default=1, doc="values it holds (1: a message rejected whole)")
    messages: Mapped[int] = mapped_column(
        Integer, default=1, doc="messages it stands for: more than 1 for a source's summary beyond its rate limit"
    )
    reason: Mapped[str] = mapped_column(String(30), index=True)
    detail: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20), default=DeadLetterStatus.OPEN.value)
    resolved_at: Mapped[dt.datetime | None] = mapped_column()
    resolved_by: Mapped[str | None] = mapped_column(String(120))
