"""Server CPU time of every menu page, in one process (FastAPI's TestClient, no browser, no network): each page of
the admin's and the enterprise user's menus, in Chinese and English, requested once (cold) and then `--repeat`
times; the figure of a page is the median of the repeats' process CPU time (`time.process_time()`: this process
runs nothing else, so on a shared machine it counts the page's work, not the machine's queue) with its SQL
statements counted. Run it on a built demo (`digipark demo --no-serve --database sqlite:///demo.db`).

Prints a table of the slowest pages and one JSON line per figure:
- pages_cpu_p95_ms: the 95th percentile of the pages' CPU time (every role, language and page);
- pages_cpu_slowest_ms: the slowest page's, with its name.

    python bench/page_cpu.py --database sqlite:////tmp/demo.db
    python bench/page_cpu.py --database sqlite:////tmp/demo.db --only /safety --sample   # where the CPU goes
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import os
import re
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PASSWORD = "digipark-demo"  # digipark.sim.demo.DEMO_PASSWORD
ROLES = {"admin": "admin", "enterprise": "enterprise"}
NAV = re.compile(r'<nav class="mainnav".*?</nav>', re.S)
HREF = re.compile(r'href="([^"]+)"')
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


class Sampler:
    """A poor man's profiler that sees every thread (the app's handlers run in worker threads): the stacks of the
    other threads every `interval` seconds, counted per function (cumulative: once per sample it is on a stack)."""

    def __init__(self, interval: float = 0.002) -> None:
        self.interval = interval
        self.cumulative: collections.Counter[str] = collections.Counter()
        self.own: collections.Counter[str] = collections.Counter()
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me, main = threading.get_ident(), threading.main_thread().ident
        while not self._stop.wait(self.interval):
            for ident, frame in sys._current_frames().items():
                if ident in (me, main):
                    continue
                names = []
                top = True
                f: Any = frame
                while f is not None:
                    code = f.f_code
                    name = f"{code.co_filename.replace(str(ROOT) + '/', '')}:{code.co_firstlineno} {code.co_name}"
                    if top:
                        if code.co_name in ("wait", "_wait_for_tstate_lock", "select", "get"):
                            break  # an idle thread
                        self.own[name] += 1
                        top = False
                    names.append(name)
                    f = f.f_back
                if names:
                    self.samples += 1
                    self.cumulative.update(set(names))

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def report(self, top: int = 40) -> None:
        print(f"{self.samples} samples")
        print("-- cumulative")
        for name, n in self.cumulative.most_common(top):
            print(f"{100 * n / max(self.samples, 1):5.1f}%  {name}")
        print("-- own")
        for name, n in self.own.most_common(25):
            print(f"{100 * n / max(self.samples, 1):5.1f}%  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, help="the demo's database URL")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--roles", nargs="+", default=list(ROLES))
    parser.add_argument("--langs", nargs="+", default=["zh", "en"])
    parser.add_argument("--only", nargs="+", help="these paths only")
    parser.add_argument("--sample", action="store_true", help="sample the stacks of the repeats and print them")
    parser.add_argument("--statements", action="store_true", help="print the statements that took longest in all")
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()

    os.environ.setdefault("DIGIPARK_LOG_LEVEL", "WARNING")
    from fastapi.testclient import TestClient
    from sqlalchemy import event

    from digipark.app import create_app
    from digipark.cli.options import use_database
    from digipark.core.db import get_engine

    use_database(args.database, export_env=True)
    statements = [0]
    spent: collections.Counter[str] = collections.Counter()
    began: list[float] = [0.0]

    def before(*_: object) -> None:
        statements[0] += 1
        began[0] = time.perf_counter()

    def after(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        spent[" ".join(statement.split())[:400]] += time.perf_counter() - began[0]

    event.listen(get_engine(), "before_cursor_execute", before)
    event.listen(get_engine(), "after_cursor_execute", after)
    app = create_app()
    rows: list[dict[str, Any]] = []
    sampler = Sampler() if args.sample else None
    if sampler is not None:
        sampler.__enter__()  # the first requests (cold caches) too
    for role in args.roles:
        with TestClient(app, base_url="http://testserver") as client:
            token = TOKEN.search(client.get("/login").text)
            assert token, "no login form"
            done = client.post(
                "/login",
                data={"username": ROLES[role], "password": PASSWORD, "csrf_token": token.group(1), "next": "/"},
                follow_redirects=False,
            )
            assert done.status_code == 303, done.status_code
            nav = NAV.search(client.get("/").text)
            paths = list(dict.fromkeys(HREF.findall(nav.group(0)) if nav else []))
            if args.only:
                paths = [p for p in paths if p in args.only] or list(args.only)
            for path in paths:
                for lang in args.langs:
                    url = f"{path}{'&' if '?' in path else '?'}lang={lang}"
                    cpu0, wall0 = time.process_time(), time.perf_counter()
                    first = client.get(url)
                    first_cpu = (time.process_time() - cpu0) * 1000
                    first_wall = (time.perf_counter() - wall0) * 1000
                    cpu, wall, queries = [], [], []
                    for _ in range(args.repeat):
                        statements[0] = 0
                        cpu0, wall0 = time.process_time(), time.perf_counter()
                        client.get(url)
                        cpu.append((time.process_time() - cpu0) * 1000)
                        wall.append((time.perf_counter() - wall0) * 1000)
                        queries.append(statements[0])
                    rows.append(
                        {
                            "role": role,
                            "lang": lang,
                            "path": path,
                            "status": first.status_code,
                            "first_cpu_ms": first_cpu,
                            "first_wall_ms": first_wall,
                            "cpu_ms": statistics.median(cpu),
                            "wall_ms": statistics.median(wall),
                            "queries": statistics.median(queries),
                            "bytes": len(first.content),
                        }
                    )
    if sampler is not None:
        sampler.__exit__()
    rows.sort(key=lambda r: -r["cpu_ms"])
    print(f"{'cpu ms':>8} {'first':>8} {'wall ms':>8} {'queries':>7} {'kB':>6}  page")
    for r in rows[: args.top]:
        print(
            f"{r['cpu_ms']:8.0f} {r['first_cpu_ms']:8.0f} {r['wall_ms']:8.0f} {r['queries']:7.0f} "
            f"{r['bytes'] / 1024:6.0f}  {r['role']} {r['lang']} {r['path']} ({r['status']})"
        )
    load = os.getloadavg()
    conditions = {"pages": len(rows), "repeat": args.repeat, "load_average": [round(x, 1) for x in load]}
    slowest = rows[0]
    print(
        json.dumps(
            {
                "figure": "pages_cpu_p95_ms",
                "value": round(percentile([r["cpu_ms"] for r in rows], 95)),
                "unit": "ms",
                "median_ms": round(percentile([r["cpu_ms"] for r in rows], 50)),
                **conditions,
            }
        )
    )
    print(
        json.dumps(
            {
                "figure": "pages_cpu_slowest_ms",
                "value": round(slowest["cpu_ms"]),
                "unit": "ms",
                "page": f"{slowest['role']} {slowest['lang']} {slowest['path']}",
                **conditions,
            }
        )
    )
    if sampler is not None:
        sampler.report()
    if args.statements:
        for statement, seconds in spent.most_common(12):
            print(f"{seconds * 1000:8.0f} ms  {statement}")


if __name__ == "__main__":
    main()
