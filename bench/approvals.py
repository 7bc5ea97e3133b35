"""Benchmark: 1,000 concurrent applications of the construction pre-check (three departments reviewing in
parallel, then the park office) advancing through every step on PostgreSQL: figures `approval_instances_per_s`
(target ≥ 100 completed per second) and `approval_step_p95_ms` (target < 200 ms).

Runs in a database of its own (`test_approvals` on the test server, or DIGIPARK_BENCH_DATABASE_URL), migrated to
head; the first run makes a park with 50 enterprises, a reviewer in the four departments and the bundled
processes. Each run submits INSTANCES applications, then decides every open review (fire, environment, safety, then
the park office) until all are approved — every submission and every decision in its own write transaction (as a
request would), interleaved across the applications. They run in PROCESSES processes (default 1) of WORKERS threads
each, each process taking every PROCESSES-th application: a deployment runs several `api` processes, and threads of
one process share one core (the GIL). A step's time is one such transaction: the application (or the task) read
through the scope, the workflow's state loaded (its definition's parsed specs are cached), run and stored, the task
rows and the audit log. `approval_instances_per_s` is INSTANCES / wall time from the first submission to the last
approval. The CPU the steps cost is in each line: `app_cpu_ms_per_step` (the processes' user + system time),
`db_cpu_ms_per_step` (the PostgreSQL backends serving the benchmark's database) and, of the first,
`engine_cpu_ms_per_step` (SpiffWorkflow alone: a review's state loaded, completed, run on and stored, measured apart
on ENGINE_STEPS steps); the rest is the services, SQLAlchemy, psycopg and the audit chain.

The decision document (PDF) is not made in the deciding step but on its first download: figure
`approval_decision_document_ms` is the median time of that first download's unit of work (made, stored and logged),
over DOCUMENTS of the approved applications.

    PYTHONPATH=src .venv/bin/python bench/approvals.py [instances] [workers] [processes]
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

os.environ.setdefault("DIGIPARK_LOG_LEVEL", "WARNING")

from _common import bench_database_url, emit, percentile, progress
from sqlalchemy import select
from sqlalchemy.engine import make_url

import digipark.modules  # noqa: F401  (installs the module records and their permissions)
from digipark.approvals import definitions, documents, engine, service
from digipark.approvals.models import ApprovalInstance, ApprovalTask, InstanceState
from digipark.audit.service import Actor, set_actor
from digipark.auth import service as auth_service
from digipark.auth.models import Role, User
from digipark.auth.scope import Scope, system_scope
from digipark.core import db as core_db
from digipark.core import migrate
from digipark.core.codes import make_uscc
from digipark.core.db import make_engine, transaction
from digipark.registry import schemas
from digipark.registry import service as registry
from digipark.registry.models import Enterprise, Park

PARK_CODE = "BENCH-APPR"
ENTERPRISES = 50
INSTANCES = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000
WORKERS = int(sys.argv[2]) if len(sys.argv) > 2 else 8
PROCESSES = int(sys.argv[3]) if len(sys.argv) > 3 else 1
DOCUMENTS = 20
ENGINE_STEPS = 200
FORM = {"project_name": "基准厂房", "building_area_m2": 5000, "fire_category": "丙"}
DEPARTMENTS = ("fire", "environment", "safety", "park_office")


def _setup() -> tuple[int, list[int], int]:
    with transaction(write=True) as session:
        set_actor(session, Actor("bench"))
        park = session.scalar(select(Park).where(Park.code == PARK_CODE))
        if park is None:
            park = registry.create_park(session, code=PARK_CODE, name="审批基准园区", region_code="320500")
            scope = system_scope(park.id)
            for i in range(ENTERPRISES):
                registry.create(
                    session,
                    scope=scope,
                    kind=registry.KINDS["enterprise"],
                    data=schemas.EnterpriseCreate(
                        name=f"基准企业{i}",
                        uscc=make_uscc("9", "1", "320500", f"B{i:07d}"),
                        industry_code="3311",
                        industrial=True,
                    ),
                )
            reviewer = auth_service.create(
                session,
                username="bench-approvals-reviewer",
                password="bench-pass-123",
                role=Role.REVIEWER,
                park_id=park.id,
            )
            definitions.install_bundled(session, scope=scope, park_id=park.id)
            for department in DEPARTMENTS:
                service.assign(session, scope=scope, user_id=reviewer.id, department=department)
        enterprises = list(
            session.scalars(select(Enterprise.id).where(Enterprise.park_id == park.id).order_by(Enterprise.id))
        )
        reviewer_id = session.scalar(select(User.id).where(User.username == "bench-approvals-reviewer"))
        assert reviewer_id is not None
        return park.id, enterprises, reviewer_id


def _timed(fn: Any, *args: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn(*args)
    return (time.perf_counter() - started) * 1000, result


def _connect(url: str) -> None:
    core_db.use_engine(make_engine(url))


def _backend_cpu_s(database: str) -> float:
    """User + system CPU of the PostgreSQL backends connected to `database` (their process titles name it)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for proc in Path("/proc").iterdir():
        try:
            if f" {database} ".encode() not in (proc / "cmdline").read_bytes():
                continue
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def _run_share(
    park_id: int, enterprises: list[int], reviewer_id: int, share: list[int]
) -> tuple[list[float], list[int], float]:
    """In a worker process: submit the applications `share` and decide them to the end, WORKERS at a time; the
    step times, the applications and the CPU seconds the process spent."""
    reviewer = Scope.for_user(
        role=Role.REVIEWER, username="bench-approvals-reviewer", user_id=reviewer_id, park_id=park_id
    )
    cpu_at_start = resource.getrusage(resource.RUSAGE_SELF)

    def submit(i: int) -> int:
        enterprise = enterprises[i % len(enterprises)]
        scope = Scope.for_user(
            role=Role.ENTERPRISE,
            username=f"bench-{enterprise}",
            user_id=None,
            park_id=park_id,
            enterprise_id=enterprise,
        )
        with transaction(write=True) as session:
            set_actor(session, Actor(scope.username, role="enterprise"))
            return service.apply(session, scope=scope, key="construction_precheck", form=FORM).id

    def decide(task_id: int) -> None:
        with transaction(write=True) as session:
            set_actor(session, Actor(reviewer.username, role="reviewer"))
            service.decide(session, scope=reviewer, ident=task_id, decision="approve")

    def open_reviews(ids: list[int]) -> list[int]:
        with transaction() as session:
            rows = session.execute(
                select(ApprovalTask.id, ApprovalTask.instance_id)
                .where(ApprovalTask.instance_id.in_(ids), ApprovalTask.state.in_(["open", "claimed"]))
                .order_by(ApprovalTask.id)
            ).all()
        by_instance: dict[int, list[int]] = {}
        for task_id, instance_id in rows:
            by_instance.setdefault(instance_id, []).append(task_id)
        # interleave the applications: one task of each, then the next of each
        interleaved: list[int] = []
        depth = max((len(v) for v in by_instance.values()), default=0)
        for level in range(depth):
            interleaved += [tasks[level] for tasks in by_instance.values() if level < len(tasks)]
        return interleaved

    latencies: list[float] = []
    with ThreadPoolExecutor(WORKERS) as pool:
        submitted = list(pool.map(lambda i: _timed(submit, i), share))
        latencies += [ms for ms, _ in submitted]
        ids = [ident for _, ident in submitted]
        while tasks := open_reviews(ids):
            latencies += [ms for ms, _ in pool.map(lambda t: _timed(decide, t), tasks)]
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    cpu_s = cpu.ru_utime + cpu.ru_stime - cpu_at_start.ru_utime - cpu_at_start.ru_stime
    return latencies, ids, cpu_s


def _first_download_ms(instance_id: int) -> float:
    with transaction() as session:
        instance = session.get(ApprovalInstance, instance_id)
        assert instance is not None
        scope = Scope.for_user(
            role=Role.ENTERPRISE,
            username=instance.applicant,
            user_id=None,
            park_id=instance.park_id,
            enterprise_id=instance.enterprise_id,
        )
    started = time.perf_counter()
    with transaction(write=True) as session:
        set_actor(session, Actor(scope.username, role="enterprise"))
        row = service.get_instance(session, scope=scope, ident=instance_id)
        assert documents.decision_document(session, scope=scope, instance=row).content.startswith(b"%PDF-")
    return (time.perf_counter() - started) * 1000


def _engine_cpu_ms_per_step() -> float:
    bpmn, tables, called, _form = definitions.bundled_files("construction_precheck")
    process = engine.parsed(bpmn, tuple(tables), tuple(called))
    stored = engine.dump(engine.start(process, {**FORM, "enterprise_name": "基准企业0"}), process)
    started = time.process_time()
    for _ in range(ENGINE_STEPS):
        workflow, _definition = engine.load(stored, lambda: process)
        review = engine.waiting(workflow)[0]
        engine.complete(workflow, review.spiff_id, {engine.decision_key(review.step): "approve"})
        engine.dump(workflow, process)
    return (time.process_time() - started) * 1000 / ENGINE_STEPS


def main() -> None:
    url = bench_database_url("test_approvals")
    migrate.upgrade(url)
    engine = make_engine(url)
    core_db.use_engine(engine)
    park_id, enterprises, reviewer_id = _setup()
    database = make_url(url).database or ""
    engine.dispose()  # the worker processes connect on their own
    progress(f"approvals: {INSTANCES} applications, {PROCESSES} process(es) of {WORKERS} threads")
    shares = [list(range(p, INSTANCES, PROCESSES)) for p in range(PROCESSES)]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(PROCESSES, mp_context=context, initializer=_connect, initargs=(url,)) as processes:
        db_cpu_at_start = _backend_cpu_s(database)
        started = time.perf_counter()
        futures = [processes.submit(_run_share, park_id, enterprises, reviewer_id, share) for share in shares]
        results = [f.result() for f in futures]
        elapsed = time.perf_counter() - started
        db_cpu_s = _backend_cpu_s(database) - db_cpu_at_start
    latencies = [ms for r in results for ms in r[0]]
    ids = [ident for r in results for ident in r[1]]
    app_cpu_s = sum(r[2] for r in results)
    with transaction() as session:
        states = session.scalars(select(ApprovalInstance.state).where(ApprovalInstance.id.in_(ids))).all()
    approved = sum(1 for s in states if s == InstanceState.APPROVED.value)
    assert approved == INSTANCES, f"{approved} of {INSTANCES} approved"
    conditions = {
        "instances": INSTANCES,
        "processes": PROCESSES,
        "workers": WORKERS,
        "steps": len(latencies),
        "app_cpu_ms_per_step": round(app_cpu_s * 1000 / len(latencies), 2),
        "db_cpu_ms_per_step": round(db_cpu_s * 1000 / len(latencies), 2),
        "engine_cpu_ms_per_step": round(_engine_cpu_ms_per_step(), 2),
        "database": "postgresql",
    }
    emit("approval_instances_per_s", INSTANCES / elapsed, "1/s", **conditions)
    emit("approval_step_p95_ms", percentile(latencies, 0.95), "ms", **conditions)
    first_downloads = [_first_download_ms(i) for i in ids[:DOCUMENTS]]
    emit("approval_decision_document_ms", percentile(first_downloads, 0.5), "ms", documents=DOCUMENTS)


if __name__ == "__main__":
    main()
