"""Collection jobs: schedules (cron in the park's time zone, intervals) checked with clear errors; the scheduler runs a
due window once (never again), each run audited, with its stage and counts; sources: a dataset of the owner, an
upload's rows, an HTTP API (a local server, allow-listed) and a PostgreSQL database; tenancy. Time is frozen."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import os
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.audit.models import AuditEntry
from digipark.dataspace import jobs
from digipark.dataspace.models import CollectionJob, CollectionRun, Dataset
from tests.conftest import World, bearer
from tests.dataspace.test_ngsi_subscriptions import allow_loopback

API = "/api/v1/dataspace"
DAY = dt.datetime.combine(dt.date.today() + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)  # tokens stay valid
T0 = DAY + dt.timedelta(minutes=7)


def at(hours: int = 0, minutes: int = 0, seconds: int = 0) -> dt.datetime:
    return DAY + dt.timedelta(hours=hours, minutes=minutes, seconds=seconds)


def iso(moment: dt.datetime) -> str:
    return moment.isoformat()[:16]


ROWS = [{"machine": "M1", "kwh": "3.5"}, {"machine": "M2", "kwh": "-1"}, {"machine": "M3", "kwh": "x"}]
RULES = [{"rule": "type", "column": "kwh", "type": "number"}, {"rule": "range", "column": "kwh", "min": 0}]


def _h(world: World, who: str = "enterprise", park: str = "a") -> dict[str, str]:
    return bearer((world.a if park == "a" else world.b).tokens[who])


def _job(client: TestClient, world: World, who: str = "enterprise", **fields: Any) -> dict[str, Any]:
    body = {"name": "meters", "source": "upload", "rows": ROWS, "rules": RULES, "every_minutes": 15, **fields}
    with time_machine.travel(T0, tick=False):
        response = client.post(f"{API}/jobs", json=body, headers=_h(world, who))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _runs(db: Session, job_id: int) -> list[CollectionRun]:
    db.expire_all()
    return list(db.scalars(select(CollectionRun).where(CollectionRun.job_id == job_id).order_by(CollectionRun.id)))


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"cron": "every day"}, "cron"),
        ({"cron": "61 * * * *"}, "cron"),
        ({"cron": "0 2 * * *", "every_minutes": 5}, "cron"),
        ({"every_minutes": 0}, "every_minutes"),
        ({"rules": [{"rule": "sparkle"}]}, "rules.0"),
        ({"source": "http", "url": "ftp://example.org/x"}, "url"),
        ({"source": "http", "url": "http://10.0.0.8/data"}, "url"),
        ({"source": "database", "connection": "sqlite:///x.db", "query": "SELECT 1"}, "connection"),
        ({"source": "database", "connection": "postgresql://u:p@db.example.org/x", "query": "DELETE FROM t"}, "query"),
        ({"source": "table"}, "dataset_id"),
    ],
)
def test_a_bad_job_is_refused_with_its_field_and_nothing_is_stored(
    client: TestClient, world: World, db: Session, fields: dict[str, Any], field: str
) -> None:
    body = {"name": "meters", "source": "upload", "rows": ROWS, **fields}
    response = client.post(f"{API}/jobs", json=body, headers=_h(world))
    assert response.status_code == 422, response.text
    problem = response.json()
    assert any(field in (e.get("field") or "") for e in problem.get("errors", [])), problem
    assert db.scalar(select(func.count()).select_from(CollectionJob)) == 0


def test_a_due_window_runs_once_with_its_progress_and_audit(client: TestClient, world: World, db: Session) -> None:
    job = _job(client, world)
    assert job["next_run_at"][:16] == iso(at(0, 15))  # windows on multiples of 15 minutes
    with time_machine.travel(T0 + dt.timedelta(minutes=2), tick=False):
        assert jobs.run_due().queued == []  # not yet
    with time_machine.travel(at(0, 15, 3), tick=False):
        sweep = jobs.run_due()
    assert len(sweep.done) == 1 and sweep.failed == []
    (run,) = _runs(db, job["id"])
    assert run.trigger == "schedule" and run.state == "done" and run.stage == "stored"
    assert (run.rows_read, run.rows_kept, run.rows_rejected) == (3, 1, 2)
    dataset = db.get(Dataset, run.dataset_id)
    assert dataset is not None and dataset.version == 1 and dataset.rows == [{"machine": "M1", "kwh": 3.5}]
    assert dataset.job["job_id"] == job["id"] and dataset.job["window"][:16] == iso(at(0, 15))
    row = db.get(CollectionJob, job["id"])
    assert row is not None and row.next_run_at == at(0, 30)
    # the same window is never run again: not by a later sweep, not when the schedule points at it again
    with time_machine.travel(at(0, 20), tick=False):
        assert jobs.run_due().queued == []
        row.next_run_at = at(0, 15)
        db.flush()
        assert jobs.run_due().queued == [] and len(_runs(db, job["id"])) == 1
    # the next window makes the next version
    with time_machine.travel(at(0, 31), tick=False):
        assert len(jobs.run_due().done) == 1
    versions = db.scalars(select(Dataset.version).where(Dataset.name == "meters").order_by(Dataset.version))
    assert list(versions) == [1, 2]
    audited = db.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "ds_collection_run"))
    assert len(list(audited)) >= 2  # every run is in the audit log
    # the API shows the runs, newest first, and the job's last and next run
    runs = client.get(f"{API}/jobs/{job['id']}/runs", headers=_h(world)).json()
    assert [r["window"][:16] for r in runs] == [iso(at(0, 30)), iso(at(0, 15))]
    got = client.get(f"{API}/jobs/{job['id']}", headers=_h(world)).json()
    assert got["last_run_at"] is not None and got["next_run_at"][:16] == iso(at(0, 45))


def test_a_cron_schedule_is_read_in_the_parks_time_zone_and_can_be_paused(
    client: TestClient, world: World, db: Session
) -> None:
    job = _job(client, world, every_minutes=None, cron="0 2 * * *")
    assert job["next_run_at"][:16] == iso(at(18))  # 02:00 in Shanghai
    url = f"{API}/jobs/{job['id']}"
    paused = client.patch(url, json={"active": False}, headers=_h(world)).json()
    assert paused["active"] is False and paused["next_run_at"] is None
    with time_machine.travel(at(24), tick=False):
        assert jobs.run_due().queued == []
        resumed = client.patch(url, json={"active": True, "every_minutes": 60}, headers=_h(world)).json()
    assert resumed["cron"] is None and resumed["next_run_at"][:16] == iso(at(25))
    refused = client.patch(url, json={"cron": "0 25 * * *"}, headers=_h(world))
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "cron"


def test_a_run_asked_for_by_hand_is_queued_then_run_and_a_jobs_owner_alone_sees_it(
    client: TestClient, world: World, db: Session
) -> None:
    job = _job(client, world, every_minutes=None)
    assert job["next_run_at"] is None  # by hand only
    with time_machine.travel(T0, tick=False):
        queued = client.post(f"{API}/jobs/{job['id']}/run", headers=_h(world))
        assert queued.status_code == 202 and queued.json()["stage"] == "queued"
        again = client.post(f"{API}/jobs/{job['id']}/run", headers=_h(world))
        assert again.status_code == 409  # the same moment's run is queued already
        assert len(jobs.run_due().done) == 1
    assert _runs(db, job["id"])[0].trigger == "manual"
    for who, park in (("enterprise2", "a"), ("enterprise", "b"), ("park_admin", "b")):
        assert client.get(f"{API}/jobs/{job['id']}", headers=_h(world, who, park)).status_code == 404
        assert client.post(f"{API}/jobs/{job['id']}/run", headers=_h(world, who, park)).status_code == 404
        assert client.get(f"{API}/jobs", headers=_h(world, who, park)).json() == []
    assert [j["id"] for j in client.get(f"{API}/jobs", headers=_h(world, "park_admin")).json()] == [job["id"]]


def test_a_table_job_collects_the_owners_dataset_and_records_its_lineage(
    client: TestClient, world: World, db: Session
) -> None:
    source = client.post(f"{API}/datasets", json={"name": "raw", "rows": ROWS}, headers=_h(world)).json()
    job = _job(client, world, source="table", rows=None, dataset_id=source["id"], name="clean")
    other = client.post(
        f"{API}/jobs",
        json={"name": "x", "source": "table", "dataset_id": source["id"]},
        headers=_h(world, "enterprise2"),
    )
    assert other.status_code == 422  # not its dataset
    with time_machine.travel(at(0, 15), tick=False):
        assert len(jobs.run_due().done) == 1
    (run,) = _runs(db, job["id"])
    lineage = client.get(f"{API}/datasets/{run.dataset_id}/lineage", headers=_h(world)).json()
    assert [d["id"] for d in lineage] == [run.dataset_id, source["id"]]


class _Api(http.server.BaseHTTPRequestHandler):
    auth: list[str | None]

    def do_GET(self) -> None:
        self.auth.append(self.headers.get("Authorization"))
        body = json.dumps({"data": {"items": [{"machine": "H1", "kwh": 7}, {"machine": "H2", "kwh": -3}]}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def api_server() -> Iterator[tuple[str, list[str | None]]]:
    auth: list[str | None] = []
    server = http.server.HTTPServer(("127.0.0.1", 0), type("Api", (_Api,), {"auth": auth}))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/readings", auth
    finally:
        server.shutdown()
        server.server_close()


def test_an_http_job_reads_the_api_within_the_parks_allow_list(
    client: TestClient, world: World, db: Session, api_server: tuple[str, list[str | None]]
) -> None:
    url, auth = api_server
    fields = {"source": "http", "rows": None, "url": url, "items": "data.items", "authorization": "Bearer k1"}
    refused_body = {"name": "api", **fields}
    assert client.post(f"{API}/jobs", json=refused_body, headers=_h(world)).status_code == 422  # loopback: inside
    allowed = allow_loopback(db, world.a.park_id)
    job = _job(client, world, **fields)
    assert "authorization" not in json.dumps(job).lower() and "k1" not in json.dumps(job)
    with time_machine.travel(at(0, 15), tick=False):
        assert len(jobs.run_due().done) == 1
    assert auth == ["Bearer k1"]
    (run,) = _runs(db, job["id"])
    assert (run.rows_read, run.rows_kept, run.rows_rejected) == (2, 1, 1)
    # the admin takes loopback off the allow-list: the next window fails with the reason, nothing is fetched
    db.delete(allowed)
    db.flush()
    with time_machine.travel(at(0, 30), tick=False):
        assert len(jobs.run_due().failed) == 1
    failed = _runs(db, job["id"])[-1]
    assert failed.state == "failed" and "inside" in (failed.error or "") and auth == ["Bearer k1"]


@pytest.mark.skipif(not os.environ.get("DIGIPARK_TEST_DATABASE_URL"), reason="needs the test PostgreSQL")
def test_a_database_job_reads_one_select_read_only(client: TestClient, world: World, db: Session) -> None:
    allow_loopback(db, world.a.park_id)
    connection = os.environ["DIGIPARK_TEST_DATABASE_URL"]
    query = "SELECT 'D1' AS machine, 4.5 AS kwh UNION ALL SELECT 'D2', -2"
    job = _job(client, world, source="database", rows=None, connection=connection, query=query)
    assert "connection" not in job["config"] and job["config"]["host"] == "127.0.0.1"
    with time_machine.travel(at(0, 15), tick=False):
        assert len(jobs.run_due().done) == 1
    (run,) = _runs(db, job["id"])
    dataset = db.get(Dataset, run.dataset_id)
    assert dataset is not None and dataset.rows == [{"machine": "D1", "kwh": 4.5}]


def test_the_jobs_page_makes_a_job_runs_it_and_shows_its_progress_in_chinese(
    client: TestClient, world: World, db: Session
) -> None:
    from tests.web.helpers import form_token, login, visible_text

    login(client, "TA-enterprise")
    page = client.get("/dataspace/jobs?lang=zh")
    assert page.status_code == 200 and "采集任务" in page.text
    token = form_token(page.text)
    form = {"csrf_token": token, "name": "电表", "source": "upload", "csv": "machine,kwh\nM1,2\nM2,-1", "rules": "[]"}
    bad = client.post("/dataspace/jobs", data={**form, "schedule": "cron", "cron": "every hour"})
    assert bad.status_code == 422 and "Cron 表达式" in visible_text(bad.text)
    assert db.scalar(select(func.count()).select_from(CollectionJob)) == 0
    inside = {**form, "source": "http", "url": "http://10.1.1.1/data", "schedule": "none"}
    refused = visible_text(client.post("/dataspace/jobs", data=inside).text)
    assert "已拒绝：地址位于平台内部网络" in refused and "platform's network" not in refused
    made = client.post(
        "/dataspace/jobs", data={**form, "schedule": "every", "every_minutes": "30"}, follow_redirects=False
    )
    assert made.status_code == 303, made.text
    job = db.scalar(select(CollectionJob).where(CollectionJob.name == "电表"))
    assert job is not None and job.every_minutes == 30 and len(job.upload_rows) == 2
    listed = visible_text(client.get("/dataspace/jobs?lang=zh").text)
    assert "每 30 分钟" in listed
    assert (
        client.post(f"/dataspace/jobs/{job.id}/run", data={"csrf_token": token}, follow_redirects=False).status_code
        == 303
    )
    queued = client.get("/dataspace/jobs?lang=zh").text
    assert "排队中" in visible_text(queued) and 'hx-trigger="every 3s"' in queued  # refreshed while it waits
    assert len(jobs.run_due().done) == 1
    done = visible_text(client.get("/dataspace/jobs?lang=zh").text)
    assert "已完成" in done and "读取 2 行" in done
    client.cookies.clear()
    login(client, "TA-enterprise2")
    assert "电表" not in client.get("/dataspace/jobs").text


def test_a_run_whose_process_ended_mid_run_is_failed_an_hour_later(
    client: TestClient, world: World, db: Session
) -> None:
    job = _job(client, world)
    with time_machine.travel(at(0, 15), tick=False):
        (run_id,) = jobs.run_due().done
    run = db.get(CollectionRun, run_id)
    assert run is not None
    run.state, run.stage = "running", "fetching"  # as a process that died while fetching leaves it
    db.flush()
    with time_machine.travel(at(0, 50), tick=False):
        jobs.run_due()
    assert _runs(db, job["id"])[0].state == "running"
    with time_machine.travel(at(1, 20), tick=False):
        jobs.run_due()
    first = _runs(db, job["id"])[0]
    assert first.state == "failed" and "interrupted" in (first.error or "")
