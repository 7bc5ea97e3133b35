"""The collector settled for a web process (core.collector): what is alive is frozen out of the collector's passes
at once and again later, the youngest generation collected less often; a worker settles only when asked."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from digipark.core import collector


@pytest.fixture(autouse=True)
def restored() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_serving_freezes_what_is_alive_now_and_again_later() -> None:
    gc.unfreeze()
    timers = collector.settle_for_serving(again_after_s=(60.0, 600.0))
    for timer in timers:
        timer.cancel()  # run by hand below: a test cannot wait for them
    frozen = gc.get_freeze_count()
    assert frozen > 1000  # the modules, classes and caches of this process
    assert gc.get_threshold()[0] == collector.SERVING_YOUNG_THRESHOLD
    assert [(t.interval, t.daemon) for t in timers] == [(60.0, True), (600.0, True)]
    kept = [[object()] for _ in range(5000)]  # alive when the later freeze comes
    timers[0].function()
    assert gc.get_freeze_count() >= frozen + len(kept)


def test_a_worker_settles_only_when_its_command_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    gc.unfreeze()
    monkeypatch.delenv(collector.ASK, raising=False)
    collector.settle_if_asked()
    assert gc.get_freeze_count() == 0
    monkeypatch.setenv(collector.ASK, "1")
    monkeypatch.setattr(collector.settle_for_serving, "__kwdefaults__", {"again_after_s": ()})
    collector.settle_if_asked()
    assert gc.get_freeze_count() > 0
