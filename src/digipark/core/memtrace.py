"""Where a process's memory grows: Python's allocations traced (tracemalloc) and the lines that grew most logged.

A debugging aid, off unless DIGIPARK_MEMTRACE_INTERVAL_S is set. Then the process (`digipark demo`, `serve` and each
of its workers, `ingest`) starts tracing its allocations after one interval (start-up over: traced, it is several
times slower), takes a first snapshot then and, every interval after that, logs on the logger `digipark.memtrace`
the total traced memory and the source lines whose allocations grew most since that first snapshot. Tracing costs
CPU (every allocation is recorded) and memory (a few dozen bytes per live block): measure resident memory with it
off.
"""

from __future__ import annotations

import logging
import threading
import tracemalloc
from typing import Any

log = logging.getLogger("digipark.memtrace")
TOP_LINES = 15
_IGNORED = (
    tracemalloc.Filter(False, tracemalloc.__file__),
    tracemalloc.Filter(False, "<frozen importlib._bootstrap>"),
    tracemalloc.Filter(False, "<frozen importlib._bootstrap_external>"),
    tracemalloc.Filter(False, "<unknown>"),
)
_started = threading.Lock()
_thread: threading.Thread | None = None


def growth(before: tracemalloc.Snapshot, after: tracemalloc.Snapshot, top: int = TOP_LINES) -> list[dict[str, Any]]:
    """The `top` source lines (or call paths, the allocating line first) whose live allocations grew most from
    `before` to `after`."""
    key = "traceback" if tracemalloc.get_traceback_limit() > 1 else "lineno"
    differences = after.filter_traces(_IGNORED).compare_to(before.filter_traces(_IGNORED), key)
    grown = [d for d in differences if d.size_diff > 0][:top]
    return [
        {
            "where": " <- ".join(f"{frame.filename}:{frame.lineno}" for frame in reversed(d.traceback)),
            "grew_kb": round(d.size_diff / 1024, 1),
            "now_kb": round(d.size / 1024, 1),
            "blocks_grew": d.count_diff,
        }
        for d in grown
    ]


def _watch(interval_s: float, frames: int, stop: threading.Event) -> None:
    if stop.wait(interval_s):  # start-up untraced: tracing slows every allocation
        return
    if not tracemalloc.is_tracing():
        tracemalloc.start(frames)
    first = tracemalloc.take_snapshot()
    log.warning("memtrace: first snapshot taken, traced %.1f MB", tracemalloc.get_traced_memory()[0] / 2**20)
    while not stop.wait(interval_s):
        snapshot = tracemalloc.take_snapshot()
        traced, peak = tracemalloc.get_traced_memory()
        grown = growth(first, snapshot)
        log.warning(
            "memtrace: traced %.1f MB (peak %.1f MB); grown most since the first snapshot: %s",
            traced / 2**20,
            peak / 2**20,
            "; ".join(f"{g['where']} +{g['grew_kb']} kB ({g['blocks_grew']:+d} blocks)" for g in grown),
            extra={"memtrace_growth": grown},
        )


def start(interval_s: float, frames: int = 1) -> threading.Event | None:
    """Trace allocations from `interval_s` seconds on and log their growth every `interval_s` seconds after (once
    per process; None if already on).
    Returns an event that stops the logging (tracing goes on: `tracemalloc.stop()` ends it)."""
    global _thread
    with _started:
        if _thread is not None:
            return None
        stop = threading.Event()
        _thread = threading.Thread(
            target=_watch, args=(interval_s, frames, stop), name="digipark-memtrace", daemon=True
        )
        _thread.start()
    log.warning(
        "memtrace: tracing allocations (%d frames) in %.0f s, growth logged every %.0f s after",
        frames,
        interval_s,
        interval_s,
    )
    return stop


def start_if_configured() -> None:
    """`start` when DIGIPARK_MEMTRACE_INTERVAL_S is set (the command's start and every web worker's app)."""
    from digipark.core.config import get_settings

    settings = get_settings()
    if settings.memtrace_interval_s is not None:
        start(settings.memtrace_interval_s, settings.memtrace_frames)
