"""Placeholder."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session


def build_cybersec_demo(session: Session, *, park_id: int, as_of: dt.date, seed: int) -> dict[str, int]:
    return {}
