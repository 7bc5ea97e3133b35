"""A park's raw readings on another PostgreSQL server (`digipark shard attach|detach|list`, docs/scale.md).

On PostgreSQL `reading` is partitioned by LIST (park_id) (migration 0046): its DEFAULT partition
`reading_partitions.reading_local` holds the parks kept on this server (partitioned by month). Attaching a park
makes its readings a partition of their own on another server: a postgres_fdw foreign table
`reading_partitions.reading_park_<id>` over the table `public.reading_park_<id>` there (primary key (point_id, ts),
as the local readings have), attached FOR VALUES IN (<id>). The park's existing readings are moved there in the same
transaction. The ingest then writes the park's readings through the foreign partition (telemetry.store), queries
of the park's points read them through it, and queries of other parks never touch that server (every read of
`reading` names the park, so the planner leaves the other partitions out). Rollups, latest values and everything
else stay on this server.

Both operations are idempotent: attaching a park already on that server, or detaching a park kept here, changes
nothing. The readings table is locked against writes (EXCLUSIVE: reads go on) while readings move; attaching also
scans the local readings once (PostgreSQL checks that none of the park is left in the default partition).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from sqlalchemy import text
from sqlalchemy.orm import Session

from digipark.audit.service import record
from digipark.core.errors import Conflict, ValidationFailed
from digipark.registry.models import Park
from digipark.telemetry.store import (
    LOCAL_READINGS,
    PARTITION_SCHEMA,
    ensure_partitions,
    month_start_utc,
    next_month_utc,
)

BATCH_SIZE = 1000  # rows per remote INSERT (postgres_fdw `batch_size`); measured in bench/shard.py
FETCH_SIZE = 10_000  # rows per remote FETCH (postgres_fdw `fetch_size`; its default 100 costs a round trip each)
_COLUMNS = "point_id integer NOT NULL, ts bigint NOT NULL, value double precision NOT NULL, quality smallint NOT NULL"


@dataclasses.dataclass(frozen=True, slots=True)
class Shard:
    park_id: int
    server: str  # the foreign server's name on this database
    host: str
    port: str
    dbname: str


@dataclasses.dataclass(frozen=True, slots=True)
class Moved:
    shard: Shard
    readings: int  # readings moved (0 when nothing had to change)
    changed: bool


def table_name(park_id: int) -> str:
    return f"reading_park_{int(park_id)}"


def _require_postgresql(session: Session) -> None:
    if session.get_bind().dialect.name != "postgresql":
        raise ValidationFailed("readings can be kept on another server only when the database is PostgreSQL")


def _target(url: str) -> dict[str, str]:
    """libpq options of the other server (a postgresql:// URL or key=value pairs); host, port, dbname required."""
    try:
        options = {
            key: str(value)
            for key, value in conninfo_to_dict(url.replace("postgresql+psycopg://", "postgresql://")).items()
        }
    except psycopg.ProgrammingError as exc:
        raise ValidationFailed(f"server: not a PostgreSQL connection URL ({exc})") from exc
    missing = [key for key in ("host", "dbname") if not options.get(key)]
    if missing:
        raise ValidationFailed(f"server: the URL names no {' and no '.join(missing)}")
    options.setdefault("port", "5432")
    return options


def server_name(options: dict[str, str]) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", f"{options['host']}_{options['port']}_{options['dbname']}".lower())
    return f"readings_{slug}"[:63]


def shards(session: Session) -> list[Shard]:
    """The parks whose readings are on another server, with that server."""
    _require_postgresql(session)
    rows = session.execute(
        text(
            """
            SELECT pg_get_expr(c.relpartbound, c.oid), s.srvname, s.srvoptions
            FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            JOIN pg_foreign_table f ON f.ftrelid = c.oid JOIN pg_foreign_server s ON s.oid = f.ftserver
            WHERE i.inhparent = 'reading'::regclass
            """
        )
    ).all()
    out = []
    for bound, server, raw_options in rows:
        options = dict(option.split("=", 1) for option in raw_options or ())
        for park in re.findall(r"\d+", str(bound)):
            out.append(
                Shard(
                    int(park), str(server), options.get("host", ""), options.get("port", ""), options.get("dbname", "")
                )
            )
    return sorted(out, key=lambda shard: shard.park_id)


def _shard_of(session: Session, park_id: int) -> Shard | None:
    return next((shard for shard in shards(session) if shard.park_id == park_id), None)


def _create_remote_table(options: dict[str, str], park_id: int) -> None:
    """The park's table on the other server, unless it exists (own connection: DDL there commits at once)."""
    with psycopg.connect(**options, autocommit=True) as remote:  # type: ignore[arg-type]
        remote.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS public.{table} ({columns},"
                " park_id integer NOT NULL CHECK (park_id = {park}), PRIMARY KEY (point_id, ts))"
            ).format(table=sql.Identifier(table_name(park_id)), columns=sql.SQL(_COLUMNS), park=sql.Literal(park_id))
        )


def _options(pairs: Iterable[tuple[str, str]]) -> sql.Composable:
    """OPTIONS (key 'value', …): keys are this module's own words, values quoted as literals."""
    return sql.SQL("OPTIONS ({})").format(
        sql.SQL(", ").join(sql.SQL("{} {}").format(sql.SQL(key), sql.Literal(value)) for key, value in pairs)
    )


def _execute(session: Session, statement: sql.Composable) -> None:
    """DDL with values from the URL (a password may hold any character): composed by psycopg, run as is."""
    raw: Any = session.connection().connection.driver_connection
    with raw.cursor() as cursor:
        cursor.execute(statement)


def attach(session: Session, park: Park, url: str) -> Moved:
    """Keep `park`'s raw readings on the server at `url` from now on, moving those stored here (audited). Needs a
    superuser (or an owner of the postgres_fdw extension) here, and on the other server a user who may create
    tables in its database. Never commits."""
    _require_postgresql(session)
    options = _target(url)
    name = server_name(options)
    current = _shard_of(session, park.id)
    if current is not None:
        if (current.host, current.port, current.dbname) == (options["host"], options["port"], options["dbname"]):
            return Moved(current, 0, changed=False)
        raise Conflict(
            f"park {park.code}'s readings are on {current.host}:{current.port}/{current.dbname} already: "
            "detach it first (its readings come back here), then attach it to the new server"
        )
    _create_remote_table(options, park.id)
    _execute(session, sql.SQL("CREATE EXTENSION IF NOT EXISTS postgres_fdw"))
    server_options = [
        ("host", options["host"]),
        ("port", options["port"]),
        ("dbname", options["dbname"]),
        ("async_capable", "true"),  # scans of several foreign partitions run at once (an Append over them)
        ("batch_size", str(BATCH_SIZE)),
        ("fetch_size", str(FETCH_SIZE)),
    ]
    _execute(
        session,
        sql.SQL("CREATE SERVER IF NOT EXISTS {} FOREIGN DATA WRAPPER postgres_fdw {}").format(
            sql.Identifier(name), _options(server_options)
        ),
    )
    login = [(key, options[key]) for key in ("user", "password") if options.get(key)]
    _execute(
        session,
        sql.SQL("CREATE USER MAPPING IF NOT EXISTS FOR PUBLIC SERVER {} {}").format(
            sql.Identifier(name), _options(login) if login else sql.SQL("")
        ),
    )
    table = f"{PARTITION_SCHEMA}.{table_name(park.id)}"
    session.execute(text(f"DROP FOREIGN TABLE IF EXISTS {table}"))
    _execute(
        session,
        sql.SQL("CREATE FOREIGN TABLE {}.{} ({}, park_id integer NOT NULL) SERVER {} {}").format(
            sql.Identifier(PARTITION_SCHEMA),
            sql.Identifier(table_name(park.id)),
            sql.SQL(_COLUMNS),
            sql.Identifier(name),
            _options([("schema_name", "public"), ("table_name", table_name(park.id))]),
        ),
    )
    session.execute(text("LOCK TABLE reading IN EXCLUSIVE MODE"))  # writers wait (the ingest retries), reads go on
    moved = session.execute(
        text(
            f"INSERT INTO {table} (point_id, ts, value, quality, park_id) "
            f"SELECT point_id, ts, value, quality, park_id FROM {LOCAL_READINGS} WHERE park_id = :park "
            "ON CONFLICT DO NOTHING"  # rows an interrupted earlier attach left there
        ),
        {"park": park.id},
    )
    session.execute(text(f"DELETE FROM {LOCAL_READINGS} WHERE park_id = :park"), {"park": park.id})
    session.execute(text(f"ALTER TABLE reading ATTACH PARTITION {table} FOR VALUES IN ({int(park.id)})"))
    shard = Shard(park.id, name, options["host"], options["port"], options["dbname"])
    count = int(getattr(moved, "rowcount", 0) or 0)
    record(
        session,
        action="telemetry.shard_attach",
        entity_type="park",
        entity_id=park.id,
        park_id=park.id,
        after={"server": f"{shard.host}:{shard.port}/{shard.dbname}", "readings_moved": count},
    )
    return Moved(shard, count, changed=True)


def detach(session: Session, park: Park) -> Moved | None:
    """Bring `park`'s raw readings back to this server and stop using the other one for it (audited); None when
    they are here already. The park's table on the other server is emptied, not dropped. Never commits."""
    _require_postgresql(session)
    current = _shard_of(session, park.id)
    if current is None:
        return None
    table = f"{PARTITION_SCHEMA}.{table_name(park.id)}"
    session.execute(text("LOCK TABLE reading IN EXCLUSIVE MODE"))
    session.execute(text(f"ALTER TABLE reading DETACH PARTITION {table}"))
    lo, hi = session.execute(text(f"SELECT min(ts), max(ts) FROM {table}")).one()  # computed over there
    if lo is not None:
        months, month = set(), month_start_utc(int(lo))
        while month <= int(hi):
            months.add(month)
            month = next_month_utc(month)
        ensure_partitions(session, months)
    moved = session.execute(text(f"INSERT INTO reading (point_id, ts, value, quality, park_id) SELECT * FROM {table}"))
    session.execute(text(f"TRUNCATE {table}"))  # postgres_fdw sends it to the other server
    session.execute(text(f"DROP FOREIGN TABLE {table}"))
    count = int(getattr(moved, "rowcount", 0) or 0)
    record(
        session,
        action="telemetry.shard_detach",
        entity_type="park",
        entity_id=park.id,
        park_id=park.id,
        before={"server": f"{current.host}:{current.port}/{current.dbname}"},
        after={"readings_moved": count},
    )
    return Moved(current, count, changed=True)
