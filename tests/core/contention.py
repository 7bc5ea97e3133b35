"""What the contention tests share: a SQLite file database of their own with two parks, the app served by a real
uvicorn server in a thread, and a writer on another connection that keeps taking SQLite's one write lock."""

from __future__ import annotations

import contextlib
import dataclasses
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import uvicorn
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from digipark.audit.service import Actor, set_actor
from digipark.core import db as core_db
from digipark.core import migrate
from digipark.core.db import make_engine
from tests.conftest import ParkWorld, World, _build_park


@dataclasses.dataclass
class OwnDatabase:
    path: Path
    url: str
    engine: Engine
    park: ParkWorld


@contextlib.contextmanager
def own_database(folder: Path, **engine_options: Any) -> Iterator[OwnDatabase]:
    """A migrated SQLite file with two parks; the process's engine points at it until the block ends."""
    path = folder / "contention.db"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    engine = make_engine(url, **engine_options)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with factory() as db, db.begin():
        set_actor(db, Actor("test-setup"))
        park = _build_park(db, "CA", "320500", 1, World.password)
        _build_park(db, "CB", "110000", 2, World.password)
    with sqlite3.connect(path) as raw:
        raw.execute("CREATE TABLE load_probe (n INTEGER)")
    saved = core_db._engine, core_db._factory
    core_db.use_engine(engine)
    try:
        yield OwnDatabase(path, url, engine, park)
    finally:
        core_db.use_engine(*saved)
        engine.dispose()


@contextlib.contextmanager
def served(app: Any) -> Iterator[str]:
    """`app` served by uvicorn on a free local port in a thread; yields its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the test server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


class Writer(threading.Thread):
    """Another connection that writes in a loop: takes the write lock, inserts, holds it `hold_s`, commits, pauses
    `gap_s` — like ingestion committing batch after batch. `commits` counts its transactions."""

    def __init__(self, path: Path, *, hold_s: float = 0.01, gap_s: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.path, self.hold_s, self.gap_s = path, hold_s, gap_s
        self.stop = threading.Event()
        self.commits = 0

    def run(self) -> None:
        connection = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        try:
            while not self.stop.is_set():
                connection.execute("BEGIN IMMEDIATE")
                connection.execute("INSERT INTO load_probe (n) VALUES (?)", (self.commits,))
                time.sleep(self.hold_s)
                connection.execute("COMMIT")
                self.commits += 1
                time.sleep(self.gap_s)
        finally:
            connection.close()

    def __enter__(self) -> Writer:
        self.start()
        deadline = time.monotonic() + 10
        while self.commits == 0:
            assert time.monotonic() < deadline, "the writer did not commit"
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.join(timeout=30)


@contextlib.contextmanager
def lock_held(path: Path) -> Iterator[None]:
    """Another connection holding SQLite's write lock (an uncommitted write) until the block ends."""
    connection = sqlite3.connect(path, isolation_level=None, timeout=30)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("INSERT INTO load_probe (n) VALUES (-1)")
        yield
        connection.execute("ROLLBACK")
    finally:
        connection.close()
