"""A background service shared by its users: started by the first, stopped after the last."""

from __future__ import annotations

from digipark.core.background import SharedService


class Recorder:
    made: list[Recorder] = []

    def __init__(self) -> None:
        self.events: list[str] = []
        Recorder.made.append(self)

    def start(self) -> None:
        self.events.append("start")

    def stop(self) -> None:
        self.events.append("stop")


def test_the_service_runs_while_anyone_holds_a_handle() -> None:
    Recorder.made.clear()
    shared = SharedService(Recorder)
    first = shared.acquire()
    second = shared.acquire()
    [service] = Recorder.made
    assert shared.running is service and service.events == ["start"]
    first.stop()
    first.stop()  # a second stop of the same handle does not end the other user's share
    assert shared.running is service and service.events == ["start"]
    second.stop()
    assert shared.running is None and service.events == ["start", "stop"]
    third = shared.acquire()  # started afresh
    assert len(Recorder.made) == 2 and shared.running is Recorder.made[1]
    third.stop()
