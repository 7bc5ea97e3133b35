"""The cyclic garbage collector tuned for a long-running process that allocates at a high rate (`digipark ingest`).

Ingest makes tens of thousands of short-lived tuples, dicts and lists per batch. Reference counting frees them
at once, but with CPython's defaults the cyclic collector also ran every 700 allocations over everything young,
and by its generations over the whole start-up heap (modules, mappers, caches): measured in `bench/ingest.py`'s
process (py-spy), most of the time of building a batch's messages went there.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 50_000  # allocations between collections of the youngest generation (CPython's default: 700)


def settle_for_throughput() -> None:
    """Call once start-up is done: what is loaded by then is frozen out of the collector's passes (it lives as
    long as the process), and the youngest generation is collected every YOUNG_THRESHOLD allocations. Only
    garbage in reference cycles waits longer to be freed."""
    gc.collect()
    gc.freeze()
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
