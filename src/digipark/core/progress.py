"""Progress of long work in this process, by name (e.g. the demo's history back-fill), for pages to show without
importing whoever does the work."""

from __future__ import annotations

import threading

DEMO_EXTRAS = "demo_extras"
"""The served demo writing the parts it writes after it answers: stage = the module whose part is being written."""

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
