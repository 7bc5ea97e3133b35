"""SQLite has one writer: requests while another connection writes (ingestion, the demo's first start) wait for the
lock and never answer 500; a lock held too long answers 503 with Retry-After (problem+json on the API, a translated
page on the web), and nothing was changed. Real threads, a real server and real SQLite locks — nothing mocked."""

from __future__ import annotations

import collections
import re
import sqlite3
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from digipark.core import db as core_db
from tests.conftest import TEST_DATABASE_URL, World, bearer
from tests.core.contention import Writer, lock_held, own_database, served

pytestmark = pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="SQLite's single-writer lock")

EXPORTS = [
    f"/api/v1/{what}.{fmt}"
    for what in ("buildings", "enterprises", "devices", "points", "economy/statistics", "economy/candidates")
    for fmt in ("csv", "xlsx")
]


def audit_count(path: Path, action: str) -> int:
    with sqlite3.connect(path) as connection:
        return int(connection.execute("SELECT count(*) FROM audit_entry WHERE action = ?", (action,)).fetchone()[0])


def test_exports_answer_while_another_connection_keeps_writing(app_instance: Any, tmp_path: Path) -> None:
    threads, per_thread = 4, 12
    statuses: collections.Counter[int] = collections.Counter()
    failures: list[str] = []
    with own_database(tmp_path) as own, served(app_instance) as base:
        before = audit_count(own.path, "export")

        def export_on_one_connection(offset: int) -> None:
            # one keep-alive connection per thread: an answer that breaks the connection shows as a transport error
            headers = bearer(own.park.tokens["park_admin"])
            with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
                for i in range(per_thread):
                    url = EXPORTS[(offset + i) % len(EXPORTS)]
                    try:
                        response = client.get(url)
                    except httpx.TransportError as exc:
                        failures.append(f"{url}: {type(exc).__name__}")
                        continue
                    statuses[response.status_code] += 1
                    if response.status_code != 200:
                        failures.append(f"{url}: {response.status_code} {response.text[:200]}")

        with Writer(own.path) as writer:
            started = writer.commits
            workers = [threading.Thread(target=export_on_one_connection, args=(n,)) for n in range(threads)]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join(timeout=300)
            written_meanwhile = writer.commits - started
        after = audit_count(own.path, "export")
    assert not failures, failures
    assert statuses == {200: threads * per_thread}
    assert after - before == threads * per_thread  # every export is audited
    assert written_meanwhile >= 1  # the writer committed meanwhile (how often: the machine)


def test_a_lock_held_too_long_answers_503_with_retry_after_and_changes_nothing(
    app_instance: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(core_db, "LOCK_RETRY_DELAYS_S", (0.05, 0.1))
    with own_database(tmp_path, sqlite_busy_timeout_ms=200) as own, served(app_instance) as base:
        token = own.park.tokens["park_admin"]
        with httpx.Client(base_url=base, timeout=60) as client:
            login_page = client.get("/login")
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', login_page.text)
            assert login_page.status_code == 200 and csrf is not None
            exports_before = audit_count(own.path, "export")
            logins_before = audit_count(own.path, "login")
            with lock_held(own.path):
                export = client.get("/api/v1/buildings.csv", headers=bearer(token))
                created = client.post(
                    "/api/v1/zones",
                    headers=bearer(token),
                    json={"code": "Z9", "name": "九区", "function": "industrial"},
                )
                page = client.post(
                    "/login",
                    data={"username": "CA-park_admin", "password": World.password, "csrf_token": csrf.group(1)},
                    headers={"Accept-Language": "zh-CN"},
                    follow_redirects=False,
                )
                still_reading = client.get("/api/v1/buildings", headers=bearer(token))
            assert still_reading.status_code == 200  # reads do not wait for the write lock
            for response in (export, created):
                assert response.status_code == 503, response.text
                assert response.headers["content-type"].startswith("application/problem+json")
                assert int(response.headers["retry-after"]) > 0
                assert response.json()["type"].endswith("/busy")
            assert page.status_code == 503
            assert page.headers["content-type"].startswith("text/html")
            assert int(page.headers["retry-after"]) > 0
            assert "繁忙" in page.text and "Traceback" not in page.text
            assert audit_count(own.path, "export") == exports_before
            assert audit_count(own.path, "login") == logins_before
            # the connection survived the refusals, and once the lock is free the same requests succeed
            assert client.get("/api/v1/buildings.csv", headers=bearer(token)).status_code == 200
            assert audit_count(own.path, "export") == exports_before + 1


def test_a_write_waits_for_a_short_lock_instead_of_failing(app_instance: Any, tmp_path: Path) -> None:
    answer: dict[str, httpx.Response] = {}
    with own_database(tmp_path) as own, served(app_instance) as base:
        token = own.park.tokens["park_admin"]

        def create_zone() -> None:
            with httpx.Client(base_url=base, timeout=60) as client:
                body = {"code": "Z8", "name": "八区", "function": "industrial"}
                answer["zone"] = client.post("/api/v1/zones", headers=bearer(token), json=body)

        creating = threading.Thread(target=create_zone)
        with lock_held(own.path):
            creating.start()
            creating.join(timeout=0.5)
            assert creating.is_alive() and "zone" not in answer  # waiting for the lock, not failed
        creating.join(timeout=30)
    assert answer["zone"].status_code == 201, answer["zone"].text
