"""What every part of the energy domain uses: its permission names, the local calendar, the carrier and
enterprise a request is about."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core.config import get_settings
from digipark.core.db import in_reading_unit
from digipark.core.errors import NotFound, field_error
from digipark.energy.factors import carriers
from digipark.registry.models import Enterprise

# -- permissions (auth/permissions.py holds which role has which) --------------------------------------------------
READ = "energy.read"  # park-wide figures, every enterprise's account
WRITE = "energy.write"  # meters, tariffs, settings (park staff)
ENTRY = "energy.entry"  # manual entries and declarations (staff for any enterprise; an enterprise its own)
IMPORT = "energy.import"


# -- reads kept for the rest of a transaction ------------------------------------------------------------------------
_KEPT = "digipark.energy.kept"


def kept_reads(session: Session, name: str) -> dict[Any, Any]:
    """What a read function keeps of its results in a unit of work declared as reading (a page's GET) until it
    ends: a page that asks for the same figures twice reads them once. Elsewhere (a unit that writes, a session of
    its own) nothing is kept; a flush or a pending change forgets too."""
    if not in_reading_unit(session):
        return {}
    if session.new or session.dirty or session.deleted:
        session.info.pop(_KEPT, None)
    kept: dict[str, dict[Any, Any]] = session.info.setdefault(_KEPT, {})
    return kept.setdefault(name, {})


@event.listens_for(Session, "after_flush")
@event.listens_for(Session, "after_transaction_end")
def _forget_kept_reads(session: Session, *_: object) -> None:
    session.info.pop(_KEPT, None)


def local_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(get_settings().timezone)


def today() -> dt.date:
    return dt.datetime.now(local_zone()).date()


def _ms(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=local_zone()).timestamp() * 1000)


def month_starts(year: int) -> list[int]:
    """Local month starts (epoch ms) of `year`, 13 values (the last is next January)."""
    return [_ms(dt.date(year + (m // 12), m % 12 + 1, 1)) for m in range(13)]


def checked_carrier(code: str | None, field: str = "carrier") -> str:
    if not code or code not in carriers():
        raise field_error(field, f"unknown fuel or energy carrier {code!r}; use one of {', '.join(carriers())}")
    return code


def enterprise_for(session: Session, scope: Scope, enterprise_id: int | None) -> Enterprise:
    if enterprise_id is None:
        enterprise_id = scope.acting_enterprise()
        if enterprise_id is None:
            raise field_error("enterprise_id", "required: the enterprise this is for")
    found: Enterprise | None = session.scalar(scope.readable(Enterprise).where(Enterprise.id == enterprise_id))
    if found is None:
        raise field_error("enterprise_id", f"no enterprise {enterprise_id} visible to you")
    return found


def readable_enterprise(session: Session, *, scope: Scope, enterprise_id: int) -> Enterprise:
    """An enterprise whose energy and carbon the caller may read: staff with READ, or the enterprise itself."""
    found: Enterprise | None = session.scalar(scope.readable(Enterprise).where(Enterprise.id == enterprise_id))
    if found is None:
        raise NotFound(f"enterprise {enterprise_id} not found")
    if scope.own_enterprise_only:
        if scope.enterprise_id != found.id:
            raise NotFound(f"enterprise {enterprise_id} not found")
    else:
        scope.require(READ)
    return found


def not_future(period: dt.date, field: str = "period") -> None:
    if period > today().replace(day=1):
        raise field_error(field, f"{period:%Y-%m} has not begun")
