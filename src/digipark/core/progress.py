"""Progress of long work in this process, by name (e.g. the demo's history back-fill), for pages to show without
importing whoever does the work."""

from __future__ import annotations

import threading

_lock = threading.Lock()
_state: dict[str, tuple[str, int, int]] = {}


def report(name: str, stage: str, done: int, total: int) -> None:
    with _lock:
        _state[name] = (stage, done, total)


def progress(name: str) -> tuple[str, int, int]:
    """(stage, done, total) of the work `name`; ("idle", 0, 0) if it never reported."""
    with _lock:
        return _state.get(name, ("idle", 0, 0))
