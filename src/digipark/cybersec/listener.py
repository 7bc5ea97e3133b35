"""The syslog listener of `digipark ingest` (a background service of the module record): UDP and TCP on
DIGIPARK_SYSLOG_LISTEN (HOST:PORT; unset: no listener). Like every listener of the platform it authenticates its
senders: a message is accepted for a park only from an address or network on the park's allow-list of log sources,
or from anywhere when its RFC 5424 structured data carries a source's token (`[digipark token="..."]`); a message
with an unknown token, or from an address no park lists, is refused (counted, not stored). Events are attributed to
the source's enterprise when it names one.

The receiving thread runs an asyncio loop (receive, check, parse, in batches); a second thread stores and correlates
what is waiting per park in one write transaction (`events.ingest`, one executemany), with one long-lived correlator
per park. The allow-list is read again every `refresh_s` seconds."""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import hashlib
import ipaddress
import logging
import queue
import threading
import time
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.audit.service import Actor, set_actor
from digipark.auth.scope import Scope
from digipark.core.background import Handle, SharedService
from digipark.core.db import transaction
from digipark.core.errors import field_error
from digipark.core.listing import ListSpec
from digipark.crud import RecordType
from digipark.cybersec import events
from digipark.cybersec.common import WRITE, park_enterprise
from digipark.cybersec.correlate import Correlator, Event
from digipark.cybersec.models import LogSource
from digipark.cybersec.syslog import Batcher, Receiver, TcpReceiver, enlarge_receive_buffer, token_of

log = logging.getLogger("digipark.cybersec.listener")
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Network = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=50)]
Token = Annotated[str, StringConstraints(min_length=16, max_length=200, pattern=r'^[^"\]\s]+$')]


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# -- the allow-list as records -------------------------------------------------------------------------------------
class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LogSourceCreate(_In):
    name: Name
    network: Network | None = Field(None, description="an address or CIDR network it sends from")
    token: Token | None = Field(None, description='or a token its messages carry: [digipark token="..."]')
    active: bool = True
    enterprise_id: Id | None = Field(None, description="the enterprise its events belong to (none: the park's)")
    park_id: Id | None = None


class LogSourceUpdate(_In):
    name: Name | None = None
    network: Network | None = None
    token: Token | None = None
    active: bool | None = None


class LogSourceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    park_id: int
    enterprise_id: int | None
    name: str
    network: str | None
    has_token: bool
    active: bool


def _source_owner(session: Session, scope: Scope, data: BaseModel) -> tuple[int, int | None]:
    park_id = scope.acting_write_park(getattr(data, "park_id", None))
    enterprise_id = getattr(data, "enterprise_id", None)
    if enterprise_id is not None:
        park_enterprise(session, scope, park_id, enterprise_id, "enterprise_id")
    return park_id, enterprise_id


def _source_values(session: Session, scope: Scope, values: dict[str, Any], row: LogSource | None) -> dict[str, Any]:
    if values.get("network") is not None:
        try:
            values["network"] = str(ipaddress.ip_network(values["network"], strict=False))
        except ValueError:
            raise field_error("network", "not an address or a CIDR network") from None
    if "token" in values:
        token = values.pop("token")
        if token is not None:
            values["token_hash"] = token_digest(token)
    network = values.get("network", row.network if row is not None else None)
    token_hash = values.get("token_hash", row.token_hash if row is not None else None)
    if network is None and token_hash is None:
        raise field_error("network", "give the network it sends from, or a token")
    return values


LOG_SOURCES: RecordType[LogSource] = RecordType(
    name="log_source",
    model=LogSource,
    create_schema=LogSourceCreate,
    update_schema=LogSourceUpdate,
    read_schema=LogSourceRead,
    list_spec=ListSpec(
        filters={"park_id": LogSource.park_id, "enterprise_id": LogSource.enterprise_id, "active": LogSource.active},
        search=[LogSource.name],
        sort={"id": LogSource.id, "name": LogSource.name},
        default_sort="name,id",
    ),
    write_permission=WRITE,
    owner=_source_owner,
    validate=_source_values,
    unique=("name",),
)


# -- the check -----------------------------------------------------------------------------------------------------
Who = tuple[int, int | None]


class AllowList:
    """Which park (and enterprise) a message belongs to: by its token, else by its sender's address."""

    def __init__(self, networks: builtins.list[tuple[Any, int, int | None]], tokens: dict[str, Who]) -> None:
        # the narrowest network first: a host listed for an enterprise wins over the park's network around it
        self.networks = sorted(networks, key=lambda n: -n[0].prefixlen)
        self.tokens = tokens
        self._by_peer: dict[str, Who | None] = {}

    @classmethod
    def load(cls, session: Session) -> AllowList:
        networks: builtins.list[tuple[Any, int, int | None]] = []
        tokens: dict[str, Who] = {}
        for row in session.scalars(select(LogSource).where(LogSource.active.is_(True))):
            if row.network:
                networks.append((ipaddress.ip_network(row.network, strict=False), row.park_id, row.enterprise_id))
            if row.token_hash:
                tokens[row.token_hash] = (row.park_id, row.enterprise_id)
        return cls(networks, tokens)

    def __call__(self, peer: str, line: str) -> Who | None:
        token = token_of(line)
        if token is not None:
            return self.tokens.get(token_digest(token))
        if peer in self._by_peer:
            return self._by_peer[peer]
        found: Who | None = None
        try:
            address = ipaddress.ip_address(peer)
        except ValueError:
            address = None
        if address is not None:
            for network, park, enterprise in self.networks:
                if address.version == network.version and address in network:
                    found = (park, enterprise)
                    break
        if len(self._by_peer) < 100_000:
            self._by_peer[peer] = found
        return found


# -- the service ---------------------------------------------------------------------------------------------------
class SyslogService:
    """UDP and TCP syslog on host:port (port 0: a free one, the same for both where it can), stored and correlated."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        batch_size: int = 2000,
        flush_s: float = 0.05,
        refresh_s: float = 30.0,
        most_per_transaction: int = 20000,
    ) -> None:
        self.host = host
        self.port = port
        self.batch_size = batch_size
        self.flush_s = flush_s
        self.refresh_s = refresh_s
        self.most_per_transaction = most_per_transaction
        self.batcher: Batcher | None = None
        self.stored = 0
        self.incidents = 0
        self._queue: queue.Queue[tuple[int | None, builtins.list[Event]] | None] = queue.Queue()
        self._correlators: dict[int, Correlator] = {}
        self._allow = AllowList([], {})
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._failed: BaseException | None = None
        self._receiving: threading.Thread | None = None
        self._storing: threading.Thread | None = None

    def start(self) -> None:
        self._refresh()
        self._storing = threading.Thread(target=self._store_loop, name="digipark-syslog-store", daemon=True)
        self._storing.start()
        self._receiving = threading.Thread(target=self._receive_thread, name="digipark-syslog", daemon=True)
        self._receiving.start()
        self._ready.wait(10)
        if self._failed is not None:
            self.stop()
            raise RuntimeError(f"syslog listener on {self.host}:{self.port}: {self._failed}")
        log.info("syslog listener on %s:%s (udp, tcp)", self.host, self.port)

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._receiving is not None:
            self._receiving.join(10)
        self._queue.put(None)
        if self._storing is not None:
            self._storing.join(30)

    def _refresh(self) -> None:
        with transaction(name="cybersec log sources") as session:
            self._allow = AllowList.load(session)
        if self.batcher is not None:
            self.batcher.authorise = self._allow

    def _receive_thread(self) -> None:
        try:
            asyncio.run(self._receive())
        except BaseException as exc:
            self._failed = exc
            self._ready.set()

    async def _receive(self) -> None:
        loop = asyncio.get_running_loop()
        self._loop = loop
        self._stop = asyncio.Event()
        self.batcher = Batcher(
            lambda park, found: self._queue.put((park, found)),
            authorise=self._allow,
            batch_size=self.batch_size,
            flush_s=self.flush_s,
        )
        batcher = self.batcher
        udp, _ = await loop.create_datagram_endpoint(lambda: Receiver(batcher), local_addr=(self.host, self.port))
        enlarge_receive_buffer(udp.get_extra_info("socket"))
        self.port = int(udp.get_extra_info("sockname")[1])
        tcp = await loop.create_server(lambda: TcpReceiver(batcher), self.host, self.port)
        self._ready.set()
        next_refresh = time.monotonic() + self.refresh_s
        try:
            while not self._stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), timeout=min(1.0, self.refresh_s))
                if time.monotonic() >= next_refresh:
                    await asyncio.to_thread(self._refresh)
                    next_refresh = time.monotonic() + self.refresh_s
        finally:
            batcher.flush()
            udp.close()
            tcp.close()
            await tcp.wait_closed()

    def _store_loop(self) -> None:
        finished = False
        while not finished:
            item = self._queue.get()
            if item is None:
                return
            waiting: dict[int, builtins.list[Event]] = {}
            count = 0
            while item is not None:
                park, found = item
                if park is not None:
                    waiting.setdefault(park, []).extend(found)
                    count += len(found)
                if count >= self.most_per_transaction:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    finished = True
            for park, found in waiting.items():
                try:
                    self._store(park, found)
                except Exception:
                    log.exception("syslog: %d events of park %d not stored", len(found), park)
                    self._correlators.pop(park, None)

    def _store(self, park: int, found: builtins.list[Event]) -> None:
        with transaction(write=True, name="cybersec syslog") as session:
            set_actor(session, Actor("syslog", role="device"))
            correlator = self._correlators.get(park)
            if correlator is None:
                correlator = events.correlator_for(session, park_id=park)
            result = events.ingest(session, park_id=park, events=found, correlator=correlator)
        self._correlators[park] = correlator
        self.stored += result.events
        self.incidents += result.incidents_opened


class _Idle:
    """No DIGIPARK_SYSLOG_LISTEN: nothing to run."""

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass


def _make() -> SyslogService | _Idle:
    from digipark.core.config import get_settings

    listen = get_settings().syslog_listen
    if not listen:
        return _Idle()
    host, _, port = listen.rpartition(":")
    return SyslogService(host.strip("[]") or "0.0.0.0", int(port))


_service: SharedService[SyslogService | _Idle] = SharedService(_make)


def start_syslog_listener() -> Handle[SyslogService | _Idle]:
    """Start the process's syslog listener (or join the running one); idle without DIGIPARK_SYSLOG_LISTEN."""
    return _service.acquire()


def running_listener() -> SyslogService | None:
    found = _service.running
    return found if isinstance(found, SyslogService) else None
