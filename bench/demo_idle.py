"""Benchmark: CPU of the idle demo — the simulated devices publishing, nobody using the pages.

Starts ``python -m digipark demo --port <free> --database sqlite:///<fresh temporary file>`` (the embedded broker
and ingest, the simulator, the back-fill), waits until the back-fill's log line says it finished (its child process
has ended), lets the demo settle, then reads the CPU time (user + system, from /proc/<pid>/stat) of the demo's
process and of every process below it at the start and the end of the window.

Prints ``demo_idle_cpu_pct``: the CPU time used in the window as a percentage of one core (target < 15).
``--keep`` leaves the demo running afterwards and prints its pid (to profile it with py-spy).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench._common import emit, progress
from bench.demo_start import free_port

TICKS_PER_S = os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it (from /proc/*/stat's parent ids)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:  # ended meanwhile
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of these processes (their own, not their waited-for children's)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / TICKS_PER_S


def wait_for_backfill(log_path: Path, process: subprocess.Popen[bytes], limit_s: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < limit_s:
        if process.poll() is not None:
            raise SystemExit(
                f"the demo exited with {process.returncode}:\n{log_path.read_text(errors='replace')[-3000:]}"
            )
        if "back-fill finished" in log_path.read_text(errors="replace"):
            return time.monotonic() - started
        time.sleep(2)
    raise SystemExit(f"the back-fill did not finish within {limit_s:.0f} s; log: {log_path}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=float, default=60.0, help="seconds of CPU measured (default 60)")
    parser.add_argument("--settle", type=float, default=15.0, help="seconds after the back-fill before measuring")
    parser.add_argument("--backfill-limit", type=float, default=1800.0)
    parser.add_argument("--keep", action="store_true", help="leave the demo running and print its pid")
    parser.add_argument(
        "--database", type=Path, help="a copy of a demo's SQLite file, back-filled already (the demo skips the history)"
    )
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="digipark-idle-"))
    port = free_port()
    log_path = workdir / "demo.log"
    if args.database is not None:
        for suffix in ("", "-wal"):
            if Path(f"{args.database}{suffix}").exists():
                shutil.copyfile(f"{args.database}{suffix}", workdir / f"demo.db{suffix}")
    command = [
        sys.executable,
        "-m",
        "digipark",
        "demo",
        "--port",
        str(port),
        "--database",
        f"sqlite:///{workdir}/demo.db",
    ]
    env = {**os.environ, "DIGIPARK_LOG_LEVEL": "INFO"}
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=workdir, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        progress(f"demo pid {process.pid} on port {port}, log {log_path}; waiting for the back-fill")
        backfill_s = wait_for_backfill(log_path, process, args.backfill_limit)
        progress(f"back-fill finished after {backfill_s:.0f} s; settling {args.settle:.0f} s")
        time.sleep(args.settle)
        pids = descendants(process.pid)
        before, started = cpu_seconds(pids), time.monotonic()
        time.sleep(args.window)
        used, elapsed = cpu_seconds(pids) - before, time.monotonic() - started
        emit(
            "demo_idle_cpu_pct",
            100 * used / elapsed,
            "% of one core",
            window_s=round(elapsed),
            processes=len(pids),
            database="sqlite, back-filled before" if args.database else "sqlite, fresh",
            load_average=os.getloadavg()[0],
            target="< 15",
        )
        if args.keep:
            progress(f"left running: pid {process.pid}, port {port}")
            return 0
    finally:
        if not args.keep:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
            shutil.rmtree(workdir, ignore_errors=True)  # the demo's database: hundreds of MB once back-filled
    return 0


if __name__ == "__main__":
    sys.exit(main())
