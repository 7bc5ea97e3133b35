from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from digipark.core.collector import YOUNG_THRESHOLD, settle_for_throughput


@pytest.fixture
def restored_collector() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_settling_freezes_the_start_up_heap_and_collects_the_young_less_often(restored_collector: None) -> None:
    _young, middle, old = gc.get_threshold()
    settle_for_throughput()
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == (YOUNG_THRESHOLD, middle, old)
    cycle: list[object] = []
    cycle.append(cycle)  # garbage in a cycle made after settling is still collected
    del cycle
    assert gc.collect() >= 1
