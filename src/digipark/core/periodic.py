"""A daemon thread that runs a task now and then: first after `first_after_s`, then every `every_s` seconds, until
stopped. A failing run is logged and the next one tried (a database without the task's tables, or not reachable)."""

from __future__ import annotations

import logging
import threading
from typing import Any


class PeriodicThread:
    thread_name = "digipark-periodic"
    failure = "periodic task failed"  # logged with the exception of a failing run
    logger = logging.getLogger("digipark")

    def __init__(self, *, first_after_s: float, every_s: float) -> None:
        self.first_after_s, self.every_s = first_after_s, every_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> Any:
        raise NotImplementedError

    def _loop(self) -> None:
        wait = self.first_after_s
        while not self._stop.wait(wait):
            wait = self.every_s
            try:
                self.run_once()
            except Exception:
                self.logger.exception(self.failure)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=self.thread_name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
