"""Collection jobs of the data platform: rows collected from a table the platform holds (a dataset of the owner, an
enterprise's monthly energy), an uploaded CSV or Excel file, an HTTP API (a JSON array or CSV) or a PostgreSQL
database (one SELECT, read-only), cleaned by the job's rules into a new version of the job's dataset.

A job runs by hand (`request_run`) or by its schedule: a five-field cron expression read in the park's time zone
(croniter) or every so many minutes (windows aligned on multiples of the interval since the epoch). Each run is for
one window (the scheduled moment, or the second a run was asked for) and a window is run once: the run's row is unique
per job and window, so two schedulers, or a scheduler restarted, never repeat it. The scheduler (`run_due`, every
EVERY_S seconds in the background: `start_collection_scheduler`) queues the runs due, then runs each queued one: its
stage (queued, fetching, cleaning, stored) and counts show its progress, its end is `done` or `failed` with the reason.
Runs are audited (their rows are `Audited`); an HTTP call or a database connection is made outside any transaction,
to an address the park's allow-list lets it reach (`core.network`, as every outgoing call)."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import decimal
import io
import logging
import urllib.parse
import zoneinfo
from typing import Any

import httpx
import orjson
from croniter import CroniterBadCronError, CroniterBadDateError, croniter
from sqlalchemy import select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, IntegrityError
from sqlalchemy.orm import Session

from digipark.audit.service import Actor, set_actor
from digipark.auth.models import Role
from digipark.auth.scope import Scope, system_scope
from digipark.automation.provides import allowed_networks
from digipark.core import network
from digipark.core.background import Handle, SharedService
from digipark.core.config import get_settings
from digipark.core.db import utcnow
from digipark.core.errors import Conflict, NotFound, field_error
from digipark.core.periodic import PeriodicThread
from digipark.dataspace import datasets
from digipark.dataspace.models import CollectionJob, CollectionRun, CollectionSource, Dataset, RunState
from digipark.dataspace.schemas import JobCreate, JobUpdate
from digipark.energy import provides as energy

log = logging.getLogger("digipark.dataspace.jobs")
VIEW, WRITE = "dataspace.view", "dataspace.publish"
ACTOR = Actor("collection-jobs", role="system")
FIRST_RUN_AFTER_S, EVERY_S = 20.0, 30.0
MAX_ROWS = 50_000  # rows one run collects
MAX_BYTES = 20_000_000  # of an HTTP answer
TIMEOUT_S = 30.0
DB_TIMEOUT_MS = 60_000
STALE_S = 3600  # a run taken this long ago and not finished was interrupted
STAGES = ("queued", "fetching", "cleaning", "stored")


class CollectError(Exception):
    """Why a run could not collect its rows (recorded on the run)."""


# -- schedules -------------------------------------------------------------------------------------------------
def check_schedule(cron: str | None, every_minutes: int | None) -> None:
    if cron is not None and every_minutes is not None:
        raise field_error("cron", "a cron expression or an interval in minutes, not both")
    if cron is not None and (len(cron.split()) != 5 or not croniter.is_valid(cron)):
        raise field_error("cron", "not a five-field cron expression (minute hour day-of-month month day-of-week)")


def next_window(job: CollectionJob, after: dt.datetime) -> dt.datetime | None:
    """The job's first scheduled moment strictly after `after` (UTC), or None when it has no schedule."""
    if job.every_minutes:
        period = job.every_minutes * 60
        seconds = int(after.timestamp()) // period * period + period
        return dt.datetime.fromtimestamp(seconds, dt.UTC)
    if job.cron:
        zone = zoneinfo.ZoneInfo(get_settings().timezone)
        try:
            local: dt.datetime = croniter(job.cron, after.astimezone(zone)).get_next(dt.datetime)
        except (CroniterBadCronError, CroniterBadDateError):
            return None
        return local.astimezone(dt.UTC)
    return None


# -- jobs ------------------------------------------------------------------------------------------------------
def _owner(scope: Scope) -> int | None:
    return scope.enterprise_id if scope.role == Role.ENTERPRISE else None


def _config(session: Session, scope: Scope, data: JobCreate) -> tuple[dict[str, Any], str | None, list[Any]]:
    """(config, secret, upload rows) of the source, each checked."""
    owner = _owner(scope)
    if data.source == CollectionSource.TABLE:
        if (data.dataset_id is None) == (data.energy_year is None):
            raise field_error("dataset_id", "a dataset of yours, or the year of your monthly energy")
        if data.dataset_id is not None:
            found = session.scalar(scope.readable(Dataset).where(Dataset.id == data.dataset_id))
            if found is None or found.enterprise_id != owner:
                raise field_error("dataset_id", "no such dataset of yours")
            return {"dataset_id": data.dataset_id}, None, []
        if owner is None:
            raise field_error("energy_year", "energy data is an enterprise's: the park collects datasets")
        return {"energy_year": data.energy_year}, None, []
    if data.source == CollectionSource.UPLOAD:
        if not data.rows:
            raise field_error("rows", "the file has no rows")
        return {"rows": len(data.rows)}, None, list(data.rows)
    if data.source == CollectionSource.HTTP:
        if not data.url or not data.url.lower().startswith(("http://", "https://")):
            raise field_error("url", "an http or https address")
        refused = network.literal_refusal(data.url, allowed_networks(session, scope.acting_write_park()))
        if refused is not None:
            raise field_error("url", refused)
        config = {"url": data.url, "format": data.format, "items": data.items or ""}
        return config, data.authorization or None, []
    if not data.connection or not data.query:
        raise field_error("connection", "a postgresql:// address and a SELECT query")
    host = _database_host(data.connection)
    refused = network.literal_refusal(host, allowed_networks(session, scope.acting_write_park()))
    if refused is not None:
        raise field_error("connection", refused)
    _check_query(data.query)
    return {"query": data.query, "host": make_url(data.connection).host or ""}, data.connection, []


def _database_host(connection: str) -> str:
    """The database's address as a URL the network guard reads (`tcp://host:port`)."""
    try:
        url = make_url(connection)
    except ArgumentError:
        raise field_error("connection", "not a database address (postgresql://user:password@host:5432/name)") from None
    if url.get_backend_name() != "postgresql" or not url.host:
        raise field_error("connection", "a postgresql:// address with a host (other databases are not offered)")
    return f"tcp://{url.host}:{url.port or 5432}"


def _check_query(query: str) -> None:
    text = query.strip().rstrip(";").strip()
    if not text.lower().startswith(("select", "with")) or ";" in text:
        raise field_error("query", "one SELECT statement")


def create_job(session: Session, *, scope: Scope, data: JobCreate) -> CollectionJob:
    scope.require(WRITE)
    park_id = scope.acting_write_park()
    owner = _owner(scope)
    scope.authorize_write(WRITE, park_id=park_id, enterprise_id=owner)
    datasets.check_rules(data.rules)
    check_schedule(data.cron, data.every_minutes)
    config, secret, rows = _config(session, scope, data)
    job = CollectionJob(
        park_id=park_id,
        enterprise_id=owner,
        name=data.name,
        source=data.source.value,
        config=config,
        secret=secret,
        upload_rows=rows,
        rules=list(data.rules),
        cron=data.cron,
        every_minutes=data.every_minutes,
        active=data.active,
        created_by=scope.username[:80],
    )
    job.next_run_at = next_window(job, utcnow()) if job.active else None
    session.add(job)
    session.flush()
    return job


def list_jobs(session: Session, *, scope: Scope) -> list[CollectionJob]:
    scope.require(VIEW)
    return list(session.scalars(scope.readable(CollectionJob).order_by(CollectionJob.id.desc()).limit(500)))


def get_job(session: Session, *, scope: Scope, ident: int) -> CollectionJob:
    scope.require(VIEW)
    job: CollectionJob | None = session.scalar(scope.readable(CollectionJob).where(CollectionJob.id == ident))
    if job is None:
        raise NotFound(f"collection job {ident} not found")
    return job


def update_job(session: Session, *, scope: Scope, ident: int, data: JobUpdate) -> CollectionJob:
    job = get_job(session, scope=scope, ident=ident)
    scope.authorize_write_row(WRITE, job)
    if data.rules is not None:
        datasets.check_rules(data.rules)
    cron, every = job.cron, job.every_minutes
    if data.clear_schedule:
        cron, every = None, None
    if data.cron is not None:
        cron, every = data.cron, None
    if data.every_minutes is not None:
        cron, every = (None if data.cron is None else cron), data.every_minutes
    check_schedule(cron, every)
    job.cron, job.every_minutes = cron, every
    if data.name is not None:
        job.name = data.name
    if data.rules is not None:
        job.rules = list(data.rules)
    if data.active is not None:
        job.active = data.active
    job.next_run_at = next_window(job, utcnow()) if job.active else None
    session.flush()
    return job


def list_runs(session: Session, *, scope: Scope, job_id: int, limit: int = 50) -> list[CollectionRun]:
    get_job(session, scope=scope, ident=job_id)
    stmt = scope.readable(CollectionRun).where(CollectionRun.job_id == job_id)
    return list(session.scalars(stmt.order_by(CollectionRun.window.desc()).limit(limit)))


def latest_runs(session: Session, *, scope: Scope, job_ids: list[int]) -> dict[int, CollectionRun]:
    """Each job's newest run."""
    out: dict[int, CollectionRun] = {}
    if not job_ids:
        return out
    stmt = scope.readable(CollectionRun).where(CollectionRun.job_id.in_(job_ids)).order_by(CollectionRun.id)
    for run in session.scalars(stmt):
        out[run.job_id] = run
    return out


def _queue(session: Session, job: CollectionJob, window: dt.datetime, trigger: str, by: str) -> CollectionRun | None:
    """The run of `job` for `window`, queued; None when that window has a run already."""
    taken = session.scalar(
        select(CollectionRun.id).where(CollectionRun.job_id == job.id, CollectionRun.window == window)
    )
    if taken is not None:
        return None
    run = CollectionRun(
        park_id=job.park_id,
        enterprise_id=job.enterprise_id,
        job_id=job.id,
        window=window,
        trigger=trigger,
        state=RunState.RUNNING.value,
        stage="queued",
        started_at=utcnow(),
        started_by=by[:80],
        rows_read=0,
        rows_kept=0,
        rows_rejected=0,
    )
    try:
        with session.begin_nested():
            session.add(run)
            session.flush()
    except IntegrityError:  # another scheduler queued the same window meanwhile
        return None
    return run


def request_run(session: Session, *, scope: Scope, ident: int) -> CollectionRun:
    """Queue a run by hand (the scheduler runs it at its next sweep); the window is the second it was asked for."""
    job = get_job(session, scope=scope, ident=ident)
    scope.authorize_write_row(WRITE, job)
    run = _queue(session, job, utcnow().replace(microsecond=0), "manual", scope.username)
    if run is None:
        raise Conflict("a run of this job for this moment is queued already")
    return run


# -- running ---------------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Work:
    """What a run needs outside the transaction: the job's source and the park's allow-list."""

    job_id: int
    source: str
    config: dict[str, Any]
    secret: str | None
    allowed: tuple[str, ...]


def _plain(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return value


def _fetch_http(work: Work) -> list[dict[str, Any]]:
    url = work.config["url"]
    target = network.pin(url, work.allowed)  # the request goes to the address checked, not to a second answer
    if isinstance(target, str):
        raise CollectError(target)
    headers = {"Authorization": work.secret} if work.secret else {}
    with (
        httpx.Client(timeout=TIMEOUT_S, follow_redirects=False) as client,
        client.stream(
            "GET", target.url, headers={**headers, **target.headers}, extensions=target.extensions
        ) as response,
    ):
        if not 200 <= response.status_code < 300:
            raise CollectError(f"HTTP {response.status_code}")
        body = bytearray()
        for chunk in response.iter_bytes():
            body.extend(chunk)
            if len(body) > MAX_BYTES:
                raise CollectError(f"the answer is larger than {MAX_BYTES} bytes")
    if work.config.get("format") == "csv":
        reader = csv.DictReader(io.StringIO(body.decode("utf-8-sig")))
        return [dict(row) for _, row in zip(range(MAX_ROWS + 1), reader, strict=False)]
    try:
        found: Any = orjson.loads(bytes(body))
    except orjson.JSONDecodeError as exc:
        raise CollectError(f"the answer is not JSON: {exc}") from None
    for key in [k for k in (work.config.get("items") or "").split(".") if k]:
        found = found.get(key) if isinstance(found, dict) else None
    if not isinstance(found, list) or not all(isinstance(item, dict) for item in found):
        raise CollectError("the answer (at the items path) is not an array of objects")
    return found


def _fetch_database(work: Work) -> list[dict[str, Any]]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    assert work.secret is not None
    target = network.pin(_database_host(work.secret), work.allowed)
    if isinstance(target, str):
        raise CollectError(target)
    options = f"-c default_transaction_read_only=on -c statement_timeout={DB_TIMEOUT_MS}"
    checked = urllib.parse.urlsplit(target.url).hostname  # libpq connects there; the name stays for TLS
    engine = create_engine(
        work.secret,
        poolclass=NullPool,
        connect_args={"connect_timeout": int(TIMEOUT_S), "options": options, "hostaddr": checked},
    )
    try:
        with engine.connect() as connection:
            result = connection.execute(text(work.config["query"]))
            return [{k: _plain(v) for k, v in row.items()} for row in result.mappings().fetchmany(MAX_ROWS + 1)]
    finally:
        engine.dispose()


def _fetch_table(session: Session, job: CollectionJob) -> list[dict[str, Any]]:
    if "dataset_id" in job.config:
        source = session.get(Dataset, int(job.config["dataset_id"]))
        if source is None or source.park_id != job.park_id or source.enterprise_id != job.enterprise_id:
            raise CollectError("the dataset is no longer there")
        return [dict(r) for r in source.rows]
    assert job.enterprise_id is not None
    account = energy.enterprise_account(
        session, scope=system_scope(job.park_id), enterprise_id=job.enterprise_id, year=int(job.config["energy_year"])
    )
    return [m.model_dump() for m in account.months]


def _set(run_id: int, **values: Any) -> None:
    from digipark.core.db import transaction

    with transaction(write=True, name="dataspace: collection run progress") as session:
        set_actor(session, ACTOR)
        run = session.get(CollectionRun, run_id)
        if run is not None:
            for key, value in values.items():
                setattr(run, key, value)


def execute(run_id: int) -> str:
    """Run one queued run to its end (`done` or `failed`); its state. A run another scheduler took is left alone."""
    from digipark.core.db import transaction

    with transaction(write=True, name="dataspace: collection run taken") as session:
        set_actor(session, ACTOR)
        claimed = session.execute(
            update(CollectionRun)
            .where(CollectionRun.id == run_id, CollectionRun.stage == "queued")
            .values(stage="fetching")
            .execution_options(synchronize_session=False)
        )
        if getattr(claimed, "rowcount", 0) != 1:
            return "taken"
        run = session.get(CollectionRun, run_id)
        assert run is not None
        job = session.get(CollectionJob, run.job_id)
        assert job is not None
        work = Work(job.id, job.source, dict(job.config), job.secret, allowed_networks(session, job.park_id))
        rows: list[dict[str, Any]] | None = None
        try:
            if job.source == CollectionSource.TABLE:
                rows = _fetch_table(session, job)
            elif job.source == CollectionSource.UPLOAD:
                rows = [dict(r) for r in job.upload_rows]
        except CollectError as exc:
            run.state, run.stage, run.error, run.finished_at = RunState.FAILED.value, "fetching", str(exc), utcnow()
            return run.state
    try:
        if rows is None:  # outside any transaction
            rows = _fetch_http(work) if work.source == CollectionSource.HTTP else _fetch_database(work)
        if len(rows) > MAX_ROWS:
            raise CollectError(f"more than {MAX_ROWS} rows")
    except Exception as exc:  # any failure of the source (refused, HTTP, connection, SQL) is the run's
        reason = str(exc) if isinstance(exc, CollectError) else f"{type(exc).__name__}: {exc}"
        _set(run_id, state=RunState.FAILED.value, error=reason[:500], finished_at=utcnow())
        return RunState.FAILED.value
    _set(run_id, stage="cleaning", rows_read=len(rows))
    return _store(run_id, work, rows)


def _store(run_id: int, work: Work, rows: list[dict[str, Any]]) -> str:
    from digipark.core.db import transaction

    with transaction(write=True, name="dataspace: collection run stored") as session:
        set_actor(session, ACTOR)
        run = session.get(CollectionRun, run_id)
        job = session.get(CollectionJob, work.job_id)
        assert run is not None and job is not None
        run.finished_at = utcnow()
        try:
            with session.begin_nested():
                result = datasets.clean(rows, list(job.rules))
                previous = session.scalar(
                    select(Dataset.version)
                    .where(Dataset.park_id == job.park_id, Dataset.name == job.name)
                    .where(
                        Dataset.enterprise_id.is_(None)
                        if job.enterprise_id is None
                        else Dataset.enterprise_id == job.enterprise_id
                    )
                    .order_by(Dataset.version.desc())
                    .limit(1)
                )
                window = run.window if run.window.tzinfo else run.window.replace(tzinfo=dt.UTC)
                dataset = datasets.store(
                    session,
                    park_id=job.park_id,
                    owner=job.enterprise_id,
                    name=job.name,
                    result=result,
                    derived_from=[int(job.config["dataset_id"])] if "dataset_id" in job.config else [],
                    job={"source": job.source, "job_id": job.id, "run_id": run.id, "window": window.isoformat()},
                    version=(previous or 0) + 1,
                )
        except Exception as exc:  # a rule that cannot apply to these rows: the run fails, nothing is stored
            detail = getattr(exc, "detail", None) or f"{type(exc).__name__}: {exc}"
            run.state, run.error = RunState.FAILED.value, str(detail)[:500]
            return run.state
        run.state, run.stage, run.dataset_id = RunState.DONE.value, "stored", dataset.id
        run.rows_kept, run.rows_rejected = len(result.rows), len(result.rejected)
        job.last_run_at = run.finished_at
        return run.state


@dataclasses.dataclass
class Sweep:
    queued: list[int] = dataclasses.field(default_factory=list)
    done: list[int] = dataclasses.field(default_factory=list)
    failed: list[int] = dataclasses.field(default_factory=list)


def queue_due(session: Session, *, now: dt.datetime) -> list[int]:
    """Queue a run for each active job whose scheduled window has come (one run: a job that missed several windows
    runs the oldest it missed, then its next after `now`); fail the runs taken more than STALE_S ago and never
    finished (their process ended); the ids of every run waiting to run."""
    due = session.scalars(
        select(CollectionJob)
        .where(CollectionJob.active.is_(True), CollectionJob.next_run_at.is_not(None), CollectionJob.next_run_at <= now)
        .order_by(CollectionJob.next_run_at)
        .limit(500)
    )
    for job in due:
        assert job.next_run_at is not None
        window = job.next_run_at if job.next_run_at.tzinfo else job.next_run_at.replace(tzinfo=dt.UTC)
        _queue(session, job, window, "schedule", ACTOR.name)
        job.next_run_at = next_window(job, now)
    session.flush()
    interrupted = select(CollectionRun).where(
        CollectionRun.state == RunState.RUNNING.value,
        CollectionRun.stage != "queued",
        CollectionRun.started_at < now - dt.timedelta(seconds=STALE_S),
    )
    for run in session.scalars(interrupted):  # its process ended mid-run: failed, the next window runs again
        run.state, run.error, run.finished_at = RunState.FAILED.value, "interrupted: the run did not finish", now
    session.flush()
    waiting = select(CollectionRun.id).where(CollectionRun.stage == "queued").order_by(CollectionRun.id)
    return list(session.scalars(waiting))


def run_due(now: dt.datetime | None = None) -> Sweep:
    """Queue what the schedules call for, then run every queued run, each in its own transactions."""
    from digipark.core.db import transaction

    sweep = Sweep()
    with transaction(write=True, name="dataspace: collection runs queued") as session:
        set_actor(session, ACTOR)
        sweep.queued = queue_due(session, now=now or utcnow())
    for run_id in sweep.queued:
        state = execute(run_id)
        if state == RunState.DONE.value:
            sweep.done.append(run_id)
        elif state == RunState.FAILED.value:
            sweep.failed.append(run_id)
    return sweep


class CollectionScheduler(PeriodicThread):
    """A daemon thread running `run_due` every EVERY_S seconds."""

    thread_name, failure, logger = "digipark-collection-jobs", "dataspace: collection sweep failed", log

    def __init__(self, *, first_after_s: float = FIRST_RUN_AFTER_S, every_s: float = EVERY_S) -> None:
        super().__init__(first_after_s=first_after_s, every_s=every_s)

    def run_once(self) -> Sweep:
        sweep = run_due()
        if sweep.done or sweep.failed:
            log.info("dataspace: %d collection run(s) done, %d failed", len(sweep.done), len(sweep.failed))
        return sweep


_scheduler: SharedService[CollectionScheduler] = SharedService(CollectionScheduler)


def start_collection_scheduler() -> Handle[CollectionScheduler]:
    return _scheduler.acquire()
