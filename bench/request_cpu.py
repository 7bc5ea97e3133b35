"""Benchmark: server CPU per request of the load test's requests (bench/locustfile.py) on a large park
(`request_cpu_ms`): the application's CPU and PostgreSQL's, per endpoint and kind of user.

The park is bench/large_park.py's (`--scale 1`: 10,000 enterprises, 100,000 points, 200 users), in the database of
DIGIPARK_BENCH_DATABASE_URL (default `digipark_load`, shared with bench/load.py). The application runs in this
process behind an in-process ASGI client (no sockets, no worker processes), so its CPU is this process's CPU time
(`time.process_time`, the client's small share included) over the requests; PostgreSQL's is the CPU time of its
server processes connected to the database (/proc), read before and after. Each endpoint is asked `--requests`
times (after a few unmeasured ones) by a park administrator and by an enterprise's user, logged in through the
form for the pages and with their API tokens for the API, with the locustfile's random pages.
`--profile NAME` prints cProfile's 30 costliest functions (cumulative) of the endpoints whose name contains NAME
(the handlers then run in the event loop's thread instead of the thread pool, where cProfile would not see them).

    .venv/bin/python -m bench.request_cpu [--scale 1] [--requests 60] [--profile points]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import io
import os
import pstats
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("DIGIPARK_LOG_LEVEL", "WARNING")

import httpx
from bench._common import bench_database_url, emit, progress
from bench.large_park import prepare
from sqlalchemy.engine import make_url

from digipark.app import create_app
from digipark.core import db as core_db
from digipark.core.db import make_engine

WARMUP = 5
FORM_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
# (name, path maker, API?): the locustfile's tasks
ENDPOINTS: list[tuple[str, Callable[[random.Random], str], bool]] = [
    ("/api/v1/enterprises?page=", lambda r: f"/api/v1/enterprises?page={r.randint(1, 20)}", True),
    ("/api/v1/enterprises?q=", lambda r: "/api/v1/enterprises?q=精密&sort=-employees", True),
    ("/api/v1/points?page=", lambda r: f"/api/v1/points?page={r.randint(1, 50)}", True),
    ("/api/v1/devices", lambda r: "/api/v1/devices", True),
    ("/ (overview page)", lambda r: "/", False),
    ("/enterprises (page)", lambda r: "/enterprises", False),
]


def process_cpu_s(pid: int) -> float:
    with contextlib.suppress(OSError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return 0.0


def database_cpu_s(database: str) -> float:
    """CPU seconds so far of this machine's PostgreSQL server processes connected to `database`."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                if title.startswith("postgres: ") and f" {database} " in title:
                    total += process_cpu_s(int(entry.name))
    return total


async def log_in(client: httpx.AsyncClient, username: str, password: str) -> None:
    found = FORM_TOKEN.search((await client.get("/login")).text)
    form = {"username": username, "password": password, "next": "/", "csrf_token": found.group(1) if found else ""}
    answer = await client.post("/login", data=form)
    if answer.status_code >= 400 or answer.url.path == "/login":
        raise SystemExit(f"could not log in as {username}: {answer.status_code} at {answer.url.path}")


async def measure(app: Any, made: dict[str, Any], database: str, args: argparse.Namespace) -> None:
    users = {
        "park_admin": next(u for u in made["users"] if u["role"] == "park_admin"),
        "enterprise": next(u for u in made["users"] if u["role"] == "enterprise"),
    }
    rng = random.Random(20261207)
    transport = httpx.ASGITransport(app=app)
    for role, user in users.items():
        if role not in args.roles.split(","):
            continue
        async with httpx.AsyncClient(transport=transport, base_url="http://bench", follow_redirects=True) as client:
            await log_in(client, user["username"], made["password"])
            api = {"Authorization": f"Bearer {user['token']}"}
            for name, path, is_api in ENDPOINTS:
                if args.only and args.only not in name:
                    continue
                headers = api if is_api else {}
                for _ in range(WARMUP):
                    await client.get(path(rng), headers=headers)
                profiler = cProfile.Profile() if args.profile and args.profile in name else None
                walls = []
                cpu_before, db_before = time.process_time(), database_cpu_s(database)
                for _ in range(args.requests):
                    started = time.perf_counter()
                    if profiler is not None:
                        profiler.enable()
                    answer = await client.get(path(rng), headers=headers)
                    if profiler is not None:
                        profiler.disable()
                    walls.append((time.perf_counter() - started) * 1000)
                    if answer.status_code != 200:
                        raise SystemExit(f"{role} {name}: {answer.status_code} {answer.text[:300]}")
                app_ms = (time.process_time() - cpu_before) * 1000 / args.requests
                db_ms = (database_cpu_s(database) - db_before) * 1000 / args.requests
                emit(
                    "request_cpu_ms",
                    app_ms + db_ms,
                    "ms of CPU per request (application + PostgreSQL)",
                    endpoint=name,
                    role=role,
                    app_cpu_ms=round(app_ms, 2),
                    db_cpu_ms=round(db_ms, 2),
                    wall_p50_ms=round(statistics.median(walls), 1),
                    requests=args.requests,
                    load_average=os.getloadavg()[0],
                )
                if profiler is not None:
                    out = io.StringIO()
                    pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(45)
                    progress(f"--- profile of {role} {name} ---\n{out.getvalue()}")


async def _inline(func: Callable[..., Any], *args: Any, **_options: Any) -> Any:
    return func(*args)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the issue's park (bench/large_park.py)")
    parser.add_argument("--requests", type=int, default=60, help="measured requests per endpoint and user")
    parser.add_argument("--profile", help="cProfile the endpoints whose name contains this")
    parser.add_argument("--only", help="only the endpoints whose name contains this")
    parser.add_argument("--sort", default="cumulative", help="the profile's order (cumulative, tottime)")
    parser.add_argument("--roles", default="park_admin,enterprise", help="the kinds of user asking")
    args = parser.parse_args()
    if args.profile:  # the sync handlers in this thread, where cProfile sees them (not in the thread pool)
        import anyio.to_thread

        anyio.to_thread.run_sync = _inline  # type: ignore[assignment]
    url = bench_database_url("digipark_load")
    made = prepare(url, args.scale)
    progress(f"park: {made['size']}")
    engine = make_engine(url)
    core_db.use_engine(engine)
    try:
        asyncio.run(measure(create_app(), made, str(make_url(url).database), args))
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
