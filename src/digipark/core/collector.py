"""The cyclic garbage collector tuned for long-running processes: `digipark ingest` (`settle_for_throughput`) and
the web server of `digipark demo` and `serve` (`settle_for_serving`).

Ingest makes tens of thousands of short-lived tuples, dicts and lists per batch. Reference counting frees them
at once, but with CPython's defaults the cyclic collector also ran every 700 allocations over everything young,
and by its generations over the whole start-up heap (modules, mappers, caches): measured in `bench/ingest.py`'s
process (py-spy), most of the time of building a batch's messages went there.

A web process tracks about 620,000 objects once started (modules, classes, mappers, schemas) and 800,000 once every
page has been served (templates, catalogs, compiled statements), none of which ever becomes garbage. With the
defaults, a page that makes many short-lived objects (a year of figures) promotes enough of them to start a full
collection every few requests, and each walks all of those objects: measured on the demo's database, 11 full
collections in 40 requests of /energy and /environment, up to 697 ms each, 4.5 s in all (a page then took over a
second). Frozen after start-up and again once the first requests filled the caches, a full collection walks a few
thousand objects (7 ms).

What is frozen is never collected: an object alive at a freeze that later becomes garbage in a reference cycle
stays. The freezes happen at start-up and at the times of SETTLE_AGAIN_AFTER_S only.
"""

from __future__ import annotations

import gc
import os
import threading

YOUNG_THRESHOLD = 50_000  # allocations between collections of the youngest generation (CPython's default: 700)
SERVING_YOUNG_THRESHOLD = 10_000  # a web request's pause for a young collection stays near 10 ms
SETTLE_AGAIN_AFTER_S = (120.0, 900.0)
ASK = "DIGIPARK_SETTLE_COLLECTOR"  # set by `serve --workers N` for the worker processes it starts


def _freeze() -> None:
    gc.collect()
    gc.freeze()


def _young_threshold(allocations: int) -> None:
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(allocations, middle, old)


def settle_for_throughput() -> None:
    """Call once start-up is done: what is loaded by then is frozen out of the collector's passes (it lives as
    long as the process), and the youngest generation is collected every YOUNG_THRESHOLD allocations. Only
    garbage in reference cycles waits longer to be freed."""
    _freeze()
    _young_threshold(YOUNG_THRESHOLD)


def settle_for_serving(*, again_after_s: tuple[float, ...] = SETTLE_AGAIN_AFTER_S) -> list[threading.Timer]:
    """Call once the application is built: freeze what is alive now and again after each of `again_after_s`
    (the caches the first requests fill), and collect the youngest generation every SERVING_YOUNG_THRESHOLD
    allocations. Returns the timers of the later freezes (daemon threads)."""
    _freeze()
    _young_threshold(SERVING_YOUNG_THRESHOLD)
    timers = []
    for delay in again_after_s:
        timer = threading.Timer(delay, _freeze)
        timer.name, timer.daemon = "digipark-collector-settle", True
        timer.start()
        timers.append(timer)
    return timers


def settle_if_asked() -> None:
    """`settle_for_serving` in a worker process whose command asked for it (ASK in the environment)."""
    if os.environ.get(ASK) == "1":
        settle_for_serving()
