"""Progress of long work in this process, by name (e.g. the demo's history back-fill), for pages to show without
importing whoever does the work."""

from __future__ import annotations

import threading

DEMO_EXTRAS = "demo_extras"
"""The served demo writing the parts it writes after it answers: stage = the module whose part is being written."""

DEMO_HISTORY = "demo_backfill"
"""The demo writing its year of telemetry history: stage checking, history, rollups, raw, then done or failed."""

_lock = threading.Lock()
_state: dict[str, tuple[str, int, int]] = {}


def report(name: str, stage: str, done: int, total: int) -> None:
    with _lock:
        _state[name] = (stage, done, total)


def progress(name: str) -> tuple[str, int, int]:
    """(stage, done, total) of the work `name`; ("idle", 0, 0) if it never reported."""
    with _lock:
        return _state.get(name, ("idle", 0, 0))


def running(name: str) -> tuple[str, int, int] | None:
    """(stage, done, total) of the work `name` while it runs; None when it never started, is done or failed."""
    stage, done, total = progress(name)
    return None if stage in ("idle", "done", "failed") else (stage, done, total)


def history_loading() -> tuple[str, int] | None:
    """(stage, percent of the stage done) while the demo writes its history in this process, else None: until it
    is done a year's figures read a part of the history."""
    found = running(DEMO_HISTORY)
    if found is None:
        return None
    stage, done, total = found
    return stage, round(100 * done / total) if total else 0
