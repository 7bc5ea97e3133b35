"""`digipark ingest` as a process of bench/ingest.py's, and the CPU its parts use (from /proc)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from _common import progress

ROOT = Path(__file__).resolve().parent.parent


def process_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far; 0 when it is gone."""
    with contextlib.suppress(OSError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return 0.0


BENCH_BACKENDS: set[int] = set()  # the server processes of the bench's own polling connections


def database_cpu_s(database: str) -> float:
    """CPU seconds used so far by the PostgreSQL server processes of this machine connected to `database`, less
    those of the bench's own polling."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) not in BENCH_BACKENDS:
            with contextlib.suppress(OSError):
                title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                if title.startswith("postgres: ") and f" {database} " in title:
                    total += process_cpu_s(int(entry.name))
    return total


class IngestProcess:
    """`digipark ingest` (or `--worker`) as its own process; `ready` is when it printed its start-up line."""

    def __init__(self, database_url: str, env: dict[str, str], *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "digipark", "ingest", "--database", database_url, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, **env},
            cwd=ROOT,
        )
        self.ready_at: float | None = None
        self.output: list[str] = []
        self._profiler: subprocess.Popen[bytes] | None = None
        self._ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()
        if not self._ready.wait(60):
            self.stop()
            raise SystemExit("ingest did not start:\n" + "".join(self.output[-20:]))

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.output.append(line)
            if line.startswith("digipark ingest:") and self.ready_at is None:
                self.ready_at = time.time()
                self._ready.set()

    def cpu_s(self) -> float:
        return process_cpu_s(self.proc.pid)

    def profile(self, path: Path) -> None:
        """Sample the process with py-spy until it stops (collapsed stacks in `path`)."""
        command = [
            "py-spy",
            "record",
            "-p",
            str(self.proc.pid),
            "-o",
            str(path),
            "--format",
            "raw",
            "-r",
            "100",
            "--gil",
        ]
        self._profiler = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def peak_rss_mb(self) -> float:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def stop(self, kill: bool = False) -> None:
        if os.environ.get("BENCH_INGEST_VERBOSE"):
            progress("".join(self.output[-30:]))
        if self._profiler is not None:
            self._profiler.send_signal(signal.SIGINT)
            self._profiler.wait(60)
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
