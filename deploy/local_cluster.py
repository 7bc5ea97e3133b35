"""The whole digipark cluster on one machine, on loopback ports, in one folder (see `deploy/local-cluster`).

    local-cluster start --dir D [--base-port P] [--no-web]   start it; D/cluster.json says where everything is
    local-cluster env --dir D                                the DIGIPARK_* settings of its processes (for `eval`)
    local-cluster kill-nats --dir D [--node N]               SIGKILL one NATS node (0, 1 or 2)
    local-cluster failover --dir D                           SIGKILL the PostgreSQL primary, promote the replica
    local-cluster start-postgres --dir D --base-port P       one PostgreSQL of its own on port P (database digipark):
                                                             a server for parks' raw readings (docs/scale.md)
    local-cluster kill-postgres --dir D                      SIGKILL that server (a lost server)
    local-cluster stop --dir D                               stop everything it started

What it starts (ports from P, 24000 by default):
- NATS JetStream, 3 nodes in one cluster (clients P..P+2, routes P+10..P+12); the telemetry stream and the
  partition leases are kept in 3 replicas (DIGIPARK_STREAM_REPLICAS=3);
- PostgreSQL 15 (Debian's binaries), a primary (P+20) and a streaming replica (P+21) made by pg_basebackup; the
  replica is synchronous (`synchronous_standby_names = '*'`), so a commit — after which a reading is acknowledged
  to JetStream — is on both servers before the ingest acknowledges it, and promoting the replica loses nothing;
- `digipark db upgrade` on the primary;
- 2 `digipark ingest --worker` processes; 2 `digipark serve` processes (P+30, P+31) behind HAProxy (P+40) when
  Debian's haproxy is installed.
The application finds the current primary by itself: its database URL names both servers with
`target_session_attrs=read-write` (libpq tries them in turn), and its NATS URL names the three nodes.

Failover is done by this script (`failover`: the primary is killed and the replica promoted with `pg_ctl
promote`) — or, with `start --patroni`, by Patroni: PostgreSQL runs under a Patroni per node with a local etcd,
the processes reach it through PgBouncer (transaction pooling) and HAProxy (Patroni's /primary check), and
`failover` only SIGKILLs the leader's node (its Patroni and its PostgreSQL) and waits for Patroni to promote the
replica. Either way the cluster then runs on one PostgreSQL server until a new replica is made.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

PG_BIN = Path(os.environ.get("DIGIPARK_PG_BIN", "/usr/lib/postgresql/15/bin"))
NATS_SERVER = os.environ.get("DIGIPARK_NATS_SERVER", shutil.which("nats-server") or "/usr/sbin/nats-server")
HAPROXY = shutil.which("haproxy") or ("/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None)
PATRONI = shutil.which("patroni") or "/usr/bin/patroni"
ETCD = shutil.which("etcd") or "/usr/bin/etcd"
PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
ROOT = Path(__file__).resolve().parents[1]
STATE = "cluster.json"
DATABASE = "digipark"


def missing_binaries() -> list[str]:
    """What this machine lacks to run the cluster (HAProxy is optional: without it the web processes answer
    on their own ports)."""
    missing = [str(PG_BIN / name) for name in ("initdb", "pg_ctl", "pg_basebackup") if not (PG_BIN / name).exists()]
    if not Path(NATS_SERVER).exists():
        missing.append("nats-server")
    return missing


def missing_patroni_binaries() -> list[str]:
    """What this machine lacks to run the cluster with Patroni (`start --patroni`): HAProxy is needed then."""
    missing = missing_binaries()
    for name, path in (("patroni", PATRONI), ("etcd", ETCD), ("pgbouncer", PGBOUNCER), ("haproxy", HAPROXY)):
        if not path or not Path(path).exists():
            missing.append(name)
    return missing


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _wait(what: str, check: Any, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:
            pass
        time.sleep(0.2)
    raise SystemExit(f"local-cluster: {what} did not come up in {timeout:.0f} s")


def ports(base: int) -> dict[str, Any]:
    return {
        "nats": [base, base + 1, base + 2],
        "routes": [base + 10, base + 11, base + 12],
        "pg": [base + 20, base + 21],
        "web": [base + 30, base + 31],
        "proxy": base + 40,
        # --patroni: the nodes' Patroni REST APIs, HAProxy's PostgreSQL front ends (to the primary, to a
        # replica), PgBouncer, and etcd (clients, peers)
        "patroni": [base + 22, base + 23],
        "pg_primary": base + 24,
        "pgbouncer": base + 25,
        "pg_replica": base + 26,
        "etcd": [base + 50, base + 51],
    }


def database_url(pg_ports: list[int]) -> str:
    hosts = "&".join(f"host=127.0.0.1:{port}" for port in pg_ports)
    return f"postgresql+psycopg://postgres@/{DATABASE}?{hosts}&target_session_attrs=read-write"


def environment(state: dict[str, Any]) -> dict[str, str]:
    """The settings of the cluster's digipark processes."""
    if state.get("mode") == "patroni":  # through PgBouncer (transaction pooling) and HAProxy to the leader
        database = {
            "DIGIPARK_DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:{state['ports']['pgbouncer']}/{DATABASE}",
            "DIGIPARK_DATABASE_POOLER": "transaction",
        }
    else:
        database = {"DIGIPARK_DATABASE_URL": database_url(state["ports"]["pg"])}
    return {
        **database,
        "DIGIPARK_STREAM_URL": ",".join(f"nats://127.0.0.1:{port}" for port in state["ports"]["nats"]),
        "DIGIPARK_STREAM_REPLICAS": "3",
        "DIGIPARK_STREAM_PARTITIONS": "8",
        "DIGIPARK_STREAM_ACK_WAIT_S": "5",
        "DIGIPARK_STREAM_LEASE_S": "2",
        "DIGIPARK_LOG_LEVEL": "WARNING",
    }


def _as_postgres(args: list[str]) -> list[str]:
    """PostgreSQL's server tools refuse to run as root: run them as the postgres user then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


def _run(args: list[str], **kwargs: Any) -> None:
    done = subprocess.run(args, capture_output=True, text=True, check=False, **kwargs)
    if done.returncode != 0:
        raise SystemExit(f"local-cluster: {' '.join(args[:4])}… failed: {(done.stderr or done.stdout)[-800:]}")


def _spawn(args: list[str], log: Path, env: dict[str, str] | None = None) -> int:
    with log.open("ab") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT, start_new_session=True)
    return proc.pid


def _start_nats(folder: Path, state: dict[str, Any]) -> None:
    routes = ", ".join(f"nats-route://127.0.0.1:{port}" for port in state["ports"]["routes"])
    state["nats_pids"] = []
    for node, (client, route) in enumerate(zip(state["ports"]["nats"], state["ports"]["routes"], strict=True)):
        conf = folder / f"nats{node}.conf"
        conf.write_text(
            f'server_name: "n{node}"\nlisten: "127.0.0.1:{client}"\n'
            f'jetstream {{ store_dir: "{folder / f"nats{node}"}" }}\n'
            f'cluster {{ name: "digipark"\n  listen: "127.0.0.1:{route}"\n  routes: [{routes}] }}\n'
        )
        state["nats_pids"].append(_spawn([NATS_SERVER, "-c", str(conf)], folder / f"nats{node}.log"))
    for port in state["ports"]["nats"]:
        _wait(f"NATS on {port}", lambda port=port: _port_open(port))
    _wait("the JetStream cluster (a meta leader)", lambda: _jetstream_ready(state["ports"]["nats"]), timeout=60)


def _jetstream_ready(nats_ports: list[int]) -> bool:
    import asyncio

    import nats

    async def check() -> bool:
        nc = await nats.connect([f"nats://127.0.0.1:{port}" for port in nats_ports], connect_timeout=2)
        try:
            info = await nc.jetstream().account_info()
            return info is not None
        finally:
            await nc.close()

    return asyncio.run(check())


def _pg_conf(data: Path, port: int, sockets: Path) -> str:
    return (
        f"\n# local-cluster\nlisten_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{sockets}'\n"
        "wal_level = replica\nmax_wal_senders = 5\nhot_standby = on\nwal_keep_size = '256MB'\n"
        "synchronous_commit = on\nshared_buffers = '64MB'\n"
        "max_connections = 100\nfsync = off\n"  # a process kill, the fault tested, keeps the page cache
    )


def _postmaster_pid(data: Path) -> int:
    return int((data / "postmaster.pid").read_text().splitlines()[0])


def _psql(port: int, sql: str, database: str = "postgres") -> str:
    done = subprocess.run(
        [str(PG_BIN / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", database, "-Atc", sql],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip())
    return done.stdout.strip()


def _make_pg_root(folder: Path, state: dict[str, Any]) -> Path:
    """The folder of the PostgreSQL servers' data (and, with Patroni, of the files its postgres-run tools read),
    with a `sock` folder for their sockets."""
    pg_root = folder / "pg"
    if os.geteuid() == 0:
        # the server runs as postgres, who may not be able to reach into `folder` (a test's private temporary
        # folder): its data go into a folder of its own under /tmp, linked from `folder`
        import tempfile

        own = Path(tempfile.mkdtemp(prefix="digipark-cluster-pg-"))
        shutil.chown(own, "postgres", "postgres")
        pg_root.symlink_to(own)
        state["pg_root"] = str(own)
        pg_root = own
    else:
        pg_root.mkdir()
    (pg_root / "sock").mkdir()
    _own(pg_root / "sock")
    return pg_root


def _own(path: Path) -> None:
    """Give `path` to the postgres user when we run as root (the servers and PgBouncer run as postgres)."""
    if os.geteuid() == 0:
        shutil.chown(path, "postgres", "postgres")


def _start_postgres(folder: Path, state: dict[str, Any]) -> None:
    primary_port, replica_port = state["ports"]["pg"]
    pg_root = _make_pg_root(folder, state)
    sockets = pg_root / "sock"
    primary, replica = pg_root / "primary", pg_root / "replica"
    state["pg_data"] = [str(primary), str(replica)]  # for `stop`, should a later step fail
    _run(
        _as_postgres(
            [
                str(PG_BIN / "initdb"),
                "-D",
                str(primary),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ]
        )
    )
    with (primary / "postgresql.conf").open("a") as conf:
        conf.write(_pg_conf(primary, primary_port, sockets))
    _run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(primary), "-l", str(pg_root / "primary.log"), "-w", "start"]))
    _psql(primary_port, f"CREATE DATABASE {DATABASE}")
    _run(
        _as_postgres(
            [
                str(PG_BIN / "pg_basebackup"),
                "-h",
                "127.0.0.1",
                "-p",
                str(primary_port),
                "-U",
                "postgres",
                "-D",
                str(replica),
                "-R",
                "-X",
                "stream",
                "-c",
                "fast",
            ]
        )
    )
    with (replica / "postgresql.conf").open("a") as conf:
        conf.write(f"port = {replica_port}\n")
    _run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(replica), "-l", str(pg_root / "replica.log"), "-w", "start"]))
    # synchronous from now on: every commit waits until the replica has it (set once the replica streams, else
    # the commits before it — CREATE DATABASE — would wait for a standby that does not exist yet)
    _psql(primary_port, "ALTER SYSTEM SET synchronous_standby_names = '*'")
    _psql(primary_port, "SELECT pg_reload_conf()")
    _wait(
        "the synchronous replica",
        lambda: _psql(primary_port, "SELECT sync_state FROM pg_stat_replication") == "sync",
    )
    state["primary"] = 0


# --- Patroni: automatic failover -----------------------------------------------------------------------------------
# etcd (one member, loopback) holds the leader key; a Patroni per PostgreSQL node keeps its server a leader or a
# replica of the leader (synchronous_mode: a commit is on the synchronous replica before it returns, and Patroni
# promotes only that replica). HAProxy sends PostgreSQL clients to the node whose Patroni REST API answers 200 on
# /primary (another front end: /replica); PgBouncer pools transactions in front of HAProxy's primary front end.

PATRONI_TTL_S = 10  # the leader key's lease: a dead leader's key expires after this, then the replica promotes
PATRONI_LOOP_WAIT_S = 1
PATRONI_RETRY_TIMEOUT_S = 3  # loop_wait + 2 × retry_timeout ≤ ttl


def _http_status(port: int, path: str) -> int | None:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return None


def patroni_config(state: dict[str, Any], node: int, data: Path, root: Path) -> dict[str, Any]:
    """Patroni's configuration of node `node` (written as JSON, which is YAML)."""
    port, rest = state["ports"]["pg"][node], state["ports"]["patroni"][node]
    return {
        "scope": f"digipark-{state['ports']['pg'][0]}",
        "name": f"pg{node}",
        "log": {"level": "INFO"},
        "restapi": {"listen": f"127.0.0.1:{rest}", "connect_address": f"127.0.0.1:{rest}"},
        "etcd3": {"hosts": [f"127.0.0.1:{state['ports']['etcd'][0]}"]},
        "bootstrap": {
            "dcs": {
                "ttl": PATRONI_TTL_S,
                "loop_wait": PATRONI_LOOP_WAIT_S,
                "retry_timeout": PATRONI_RETRY_TIMEOUT_S,
                "maximum_lag_on_failover": 1048576,
                "synchronous_mode": True,
                "postgresql": {
                    "use_pg_rewind": False,
                    "parameters": {
                        "wal_level": "replica",
                        "hot_standby": "on",
                        "max_wal_senders": 5,
                        "max_replication_slots": 5,
                        "wal_keep_size": "256MB",
                        "shared_buffers": "64MB",
                        "max_connections": 100,
                        "fsync": "off",  # a process kill, the fault tested, keeps the page cache
                    },
                },
            },
            "initdb": [{"encoding": "UTF8"}, {"locale": "C.UTF-8"}, {"auth": "trust"}],
        },
        "postgresql": {
            "listen": f"127.0.0.1:{port}",
            "connect_address": f"127.0.0.1:{port}",
            "data_dir": str(data),
            "bin_dir": str(PG_BIN),
            "pgpass": str(root / f"pgpass{node}"),
            "basebackup": [{"checkpoint": "fast"}],  # else the clone waits for a spread checkpoint (minutes)
            "authentication": {"superuser": {"username": "postgres"}, "replication": {"username": "postgres"}},
            "parameters": {"unix_socket_directories": str(root / "sock")},
            "pg_hba": [
                "local all all trust",
                "host all all 127.0.0.1/32 trust",
                "host replication all 127.0.0.1/32 trust",
            ],
        },
        "tags": {"nofailover": False, "noloadbalance": False, "clonefrom": False, "nosync": False},
    }


def haproxy_postgres_config(state: dict[str, Any]) -> str:
    """HAProxy in front of the PostgreSQL nodes: one front end to the primary, one to a replica, chosen by
    Patroni's REST health checks; connections to a node that stops being what the front end wants are cut."""
    sections = []
    for name, port, check in (
        ("pg_primary", state["ports"]["pg_primary"], "/primary"),
        ("pg_replica", state["ports"]["pg_replica"], "/replica"),
    ):
        servers = "\n".join(
            f"  server pg{i} 127.0.0.1:{pg} check port {rest}"
            for i, (pg, rest) in enumerate(zip(state["ports"]["pg"], state["ports"]["patroni"], strict=True))
        )
        sections.append(
            f"listen {name}\n  bind 127.0.0.1:{port}\n  option httpchk GET {check}\n  http-check expect status 200\n"
            "  default-server inter 500ms fall 2 rise 1 on-marked-down shutdown-sessions\n"
            f"{servers}\n"
        )
    return (
        "global\n  maxconn 512\ndefaults\n  mode tcp\n  timeout connect 2s\n  timeout client 30m\n"
        "  timeout server 30m\n  timeout check 2s\n" + "".join(sections)
    )


def pgbouncer_config(state: dict[str, Any], root: Path) -> str:
    """PgBouncer in transaction pooling mode, to HAProxy's primary front end (the application sets
    DIGIPARK_DATABASE_POOLER=transaction: no server-side prepared statements)."""
    upstream = f"host=127.0.0.1 port={state['ports']['pg_primary']}"
    return (
        f"[databases]\n{DATABASE} = {upstream} dbname={DATABASE}\npostgres = {upstream} dbname=postgres\n"
        f"[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {state['ports']['pgbouncer']}\n"
        f"unix_socket_dir =\nauth_type = trust\nauth_file = {root / 'userlist.txt'}\n"
        "pool_mode = transaction\nmax_client_conn = 400\ndefault_pool_size = 40\n"
        # during a failover: try the server again every second, refuse no client for a minute
        "server_login_retry = 1\nserver_connect_timeout = 3\nquery_wait_timeout = 60\n"
        "ignore_startup_parameters = extra_float_digits,options\n"
    )


def leader(state: dict[str, Any]) -> int | None:
    """The node whose Patroni says it runs the primary."""
    for node, rest in enumerate(state["ports"]["patroni"]):
        if _http_status(rest, "/primary") == 200:
            return node
    return None


def _start_patroni(folder: Path, state: dict[str, Any]) -> None:
    root = _make_pg_root(folder, state)
    client, peer = state["ports"]["etcd"]
    etcd_data = root / "etcd"
    state["etcd_pid"] = _spawn(
        [
            ETCD,
            "--name=dp",
            f"--data-dir={etcd_data}",
            f"--listen-client-urls=http://127.0.0.1:{client}",
            f"--advertise-client-urls=http://127.0.0.1:{client}",
            f"--listen-peer-urls=http://127.0.0.1:{peer}",
            f"--initial-advertise-peer-urls=http://127.0.0.1:{peer}",
            f"--initial-cluster=dp=http://127.0.0.1:{peer}",
            "--initial-cluster-state=new",
            "--log-level=warn",
        ],
        folder / "etcd.log",
    )
    _wait("etcd", lambda: _http_status(client, "/health") == 200, timeout=30)
    state["pg_data"] = [str(root / f"pg{node}") for node in range(2)]
    state["patroni_pids"] = []
    for node in range(2):
        conf = root / f"patroni{node}.yml"
        conf.write_text(json.dumps(patroni_config(state, node, Path(state["pg_data"][node]), root), indent=2))
        _own(conf)
        state["patroni_pids"].append(_spawn(_as_postgres([PATRONI, str(conf)]), folder / f"patroni{node}.log"))
        save(folder, state)
        if node == 0:  # node 0 bootstraps (initdb) and leads; node 1 then clones it
            _wait("Patroni's first leader", lambda: leader(state) == 0, timeout=90)
            _psql(state["ports"]["pg"][0], f"CREATE DATABASE {DATABASE}")
    rest1 = state["ports"]["patroni"][1]
    _wait("the replica", lambda: _http_status(rest1, "/replica") == 200, timeout=90)
    _wait(
        "the synchronous replica",
        lambda: _psql(state["ports"]["pg"][0], "SELECT sync_state FROM pg_stat_replication") == "sync",
        timeout=60,
    )
    assert HAPROXY is not None
    haproxy = folder / "haproxy-pg.cfg"
    haproxy.write_text(haproxy_postgres_config(state))
    state["pg_proxy_pid"] = _spawn([HAPROXY, "-db", "-f", str(haproxy)], folder / "haproxy-pg.log")
    (root / "userlist.txt").write_text('"postgres" ""\n')
    _own(root / "userlist.txt")
    bouncer = root / "pgbouncer.ini"
    bouncer.write_text(pgbouncer_config(state, root))
    _own(bouncer)
    state["pgbouncer_pid"] = _spawn(_as_postgres([PGBOUNCER, str(bouncer)]), folder / "pgbouncer.log")
    _wait("PgBouncer to the primary", lambda: _psql(state["ports"]["pgbouncer"], "SELECT 1", DATABASE) == "1")
    _wait("HAProxy to a replica", lambda: _psql(state["ports"]["pg_replica"], "SELECT pg_is_in_recovery()") == "t")
    state["primary"] = 0


def failover_patroni(folder: Path, state: dict[str, Any], after_kill: Callable[[int], None] | None = None) -> float:
    """Kill the leader's node — its Patroni and its PostgreSQL, SIGKILL, as a machine lost — and let Patroni
    promote the replica by itself; seconds until the promoted server takes writes through PgBouncer."""
    old = leader(state)
    if old is None:
        raise SystemExit("local-cluster: no Patroni leader to fail over from")
    new = 1 - old
    started = time.monotonic()
    _kill(int(state["patroni_pids"][old]), signal.SIGKILL)
    _kill(_postmaster_pid(Path(state["pg_data"][old])), signal.SIGKILL)
    if after_kill is not None:
        after_kill(state["ports"]["pg"][new])
    _wait("Patroni to promote the replica", lambda: leader(state) == new, timeout=90)
    _wait(
        "writes through PgBouncer",
        lambda: _psql(state["ports"]["pgbouncer"], "SELECT NOT pg_is_in_recovery()", DATABASE) == "t",
        timeout=30,
    )
    state["primary"] = new
    state["failed_primary"] = old
    save(folder, state)
    return time.monotonic() - started


def _start_app(folder: Path, state: dict[str, Any], web: bool) -> None:
    env = {**os.environ, **environment(state)}
    python = sys.executable
    _run([python, "-m", "digipark", "db", "upgrade"], env=env, cwd=ROOT)
    state["worker_pids"] = [
        _spawn([python, "-m", "digipark", "ingest", "--worker"], folder / f"worker{i}.log", env) for i in range(2)
    ]
    state["web_pids"] = []
    state["proxy_pid"] = None
    if not web:
        return
    for i, port in enumerate(state["ports"]["web"]):
        state["web_pids"].append(
            _spawn(
                [python, "-m", "digipark", "serve", "--host", "127.0.0.1", "--port", str(port)],
                folder / f"web{i}.log",
                env,
            )
        )
    if HAPROXY:
        conf = folder / "haproxy.cfg"
        servers = "\n".join(
            f"  server web{i} 127.0.0.1:{port} check inter 1s" for i, port in enumerate(state["ports"]["web"])
        )
        conf.write_text(
            "global\n  maxconn 512\ndefaults\n  mode http\n  timeout connect 2s\n  timeout client 60s\n"
            f"  timeout server 60s\nfrontend digipark\n  bind 127.0.0.1:{state['ports']['proxy']}\n"
            "  default_backend web\nbackend web\n  balance roundrobin\n  option httpchk GET /healthz\n"
            f"{servers}\n"
        )
        state["proxy_pid"] = _spawn([HAPROXY, "-db", "-f", str(conf)], folder / "haproxy.log")
    for port in state["ports"]["web"]:
        _wait(f"digipark serve on {port}", lambda port=port: _answers(port), timeout=90)
    if HAPROXY:
        _wait("HAProxy with both web processes up", lambda: _answers(state["ports"]["proxy"]), timeout=30)


def _answers(port: int) -> bool:
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
        return bool(response.status == 200)


def save(folder: Path, state: dict[str, Any]) -> None:
    (folder / STATE).write_text(json.dumps(state, indent=2))


def load(folder: Path) -> dict[str, Any]:
    path = folder / STATE
    if not path.exists():
        raise SystemExit(f"local-cluster: no cluster in {folder} ({STATE} missing)")
    state: dict[str, Any] = json.loads(path.read_text())
    return state


def start(folder: Path, base_port: int, web: bool = True, patroni: bool = False) -> dict[str, Any]:
    """`patroni`: PostgreSQL under Patroni with etcd (automatic failover), reached through PgBouncer and
    HAProxy; else a primary and a replica that `failover` promotes itself."""
    missing = missing_patroni_binaries() if patroni else missing_binaries()
    if missing:
        raise SystemExit(
            f"local-cluster: missing {', '.join(missing)} (apt-get install postgresql-15 nats-server"
            + (" haproxy patroni etcd-server etcd-client pgbouncer)" if patroni else ")")
        )
    folder.mkdir(parents=True, exist_ok=True)
    taken = [p for group in ports(base_port).values() for p in (group if isinstance(group, list) else [group])]
    busy = [p for p in taken if _port_open(p)]
    if busy:
        raise SystemExit(f"local-cluster: ports {busy} are taken; choose another --base-port")
    state: dict[str, Any] = {
        "dir": str(folder),
        "ports": ports(base_port),
        "started": time.time(),
        "mode": "patroni" if patroni else "scripted",
    }
    save(folder, state)
    try:
        _start_nats(folder, state)
        save(folder, state)
        if patroni:
            _start_patroni(folder, state)
        else:
            _start_postgres(folder, state)
        save(folder, state)
        _start_app(folder, state, web)
    except BaseException:
        save(folder, state)
        stop(folder)
        raise
    state["env"] = environment(state)
    save(folder, state)
    return state


def _kill(pid: int | None, sig: signal.Signals = signal.SIGTERM) -> None:
    if pid is None:
        return
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie child of ours counts as gone
        done, _status = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        return True


def kill_nats(folder: Path, node: int) -> int:
    state = load(folder)
    pid = int(state["nats_pids"][node])
    _kill(pid, signal.SIGKILL)
    _wait(f"NATS node {node} to die", lambda: not _alive(pid), timeout=10)
    state.setdefault("killed_nats", []).append(node)
    save(folder, state)
    return pid


def failover(folder: Path, after_kill: Callable[[int], None] | None = None) -> float:
    """Kill the primary's postmaster (SIGKILL, as a crash), promote the replica; seconds until it takes writes.
    Under Patroni (`start --patroni`) the node is killed and Patroni promotes. `after_kill(port of the surviving
    server)` is called once the primary is dead, before the promotion."""
    state = load(folder)
    if state.get("mode") == "patroni":
        return failover_patroni(folder, state, after_kill)
    old, new = state["primary"], 1 - state["primary"]
    old_data, new_data = Path(state["pg_data"][old]), Path(state["pg_data"][new])
    new_port = state["ports"]["pg"][new]
    started = time.monotonic()
    _kill(_postmaster_pid(old_data), signal.SIGKILL)
    if after_kill is not None:  # its time is not counted: the promotion waits for it here (not under Patroni)
        paused = time.monotonic()
        after_kill(new_port)
        started += time.monotonic() - paused
    _run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(new_data), "-w", "promote"]))
    # alone now: it cannot wait for a synchronous standby that is gone
    _psql(new_port, "ALTER SYSTEM SET synchronous_standby_names = ''")
    _psql(new_port, "SELECT pg_reload_conf()")
    _wait("the promoted primary", lambda: _psql(new_port, "SELECT pg_is_in_recovery()") == "f", timeout=30)
    state["primary"] = new
    state["failed_primary"] = old
    save(folder, state)
    return time.monotonic() - started


def stop(folder: Path) -> None:
    state = load(folder)
    pids = [
        *state.get("worker_pids", []),
        *state.get("web_pids", []),
        state.get("proxy_pid"),
        *state.get("nats_pids", []),
        state.get("pgbouncer_pid"),
        state.get("pg_proxy_pid"),
        *state.get("patroni_pids", []),  # Patroni stops its PostgreSQL on SIGTERM
    ]
    for pid in pids:
        _kill(pid)
    for data in state.get("pg_data", []):
        if (Path(data) / "postmaster.pid").exists():
            subprocess.run(
                _as_postgres([str(PG_BIN / "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop"]),
                capture_output=True,
                check=False,
            )
    deadline = time.monotonic() + 10
    for pid in pids:
        while pid is not None and _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if pid is not None and _alive(pid):
            _kill(pid, signal.SIGKILL)
    if state.get("etcd_pid"):  # last: the Patroni processes stopping still talk to it
        _kill(state["etcd_pid"])
        while _alive(state["etcd_pid"]) and time.monotonic() < deadline + 5:
            time.sleep(0.1)
        _kill(state["etcd_pid"], signal.SIGKILL)
    if state.get("pg_root"):
        shutil.rmtree(state["pg_root"], ignore_errors=True)


def start_postgres(folder: Path, port: int) -> dict[str, Any]:
    """One PostgreSQL server of its own on a loopback port (initdb, trust, database `digipark`): the other server
    that keeps parks' raw readings (`digipark shard attach`, docs/scale.md). `stop` stops it."""
    folder.mkdir(parents=True, exist_ok=True)
    if _port_open(port):
        raise SystemExit(f"local-cluster: port {port} is taken")
    state: dict[str, Any] = {"started": time.time(), "mode": "postgres", "ports": {"pg": [port]}}
    pg_root = _make_pg_root(folder, state)
    data = pg_root / "data"
    state["pg_data"] = [str(data)]
    save(folder, state)
    _run(_as_postgres([str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]))
    with (data / "postgresql.conf").open("a") as conf:
        conf.write(_pg_conf(data, port, pg_root / "sock"))
    _run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(pg_root / "server.log"), "-w", "start"]))
    _psql(port, f"CREATE DATABASE {DATABASE}")
    state["url"] = f"postgresql://postgres@127.0.0.1:{port}/{DATABASE}"
    save(folder, state)
    return state


def kill_postgres(folder: Path) -> None:
    """SIGKILL the server `start-postgres` started (its postmaster; the backends exit with it): a lost server."""
    data = Path(load(folder)["pg_data"][0])
    os.kill(_postmaster_pid(data), signal.SIGKILL)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="local-cluster", description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument(
        "command", choices=["start", "env", "kill-nats", "failover", "start-postgres", "kill-postgres", "stop"]
    )
    parser.add_argument("--dir", type=Path, required=True, help="folder of the cluster's data, logs and state")
    parser.add_argument("--base-port", type=int, default=24000)
    parser.add_argument("--node", type=int, default=1, help="kill-nats: which node (0-2)")
    parser.add_argument("--no-web", action="store_true", help="start no web processes and no proxy")
    parser.add_argument(
        "--patroni",
        action="store_true",
        help="start: PostgreSQL under Patroni + etcd (automatic failover), through PgBouncer and HAProxy",
    )
    args = parser.parse_args(argv)
    folder = args.dir.resolve()
    if args.command == "start":
        state = start(folder, args.base_port, web=not args.no_web, patroni=args.patroni)
        print(f"local-cluster: up in {time.time() - state['started']:.1f} s; state in {folder / STATE}")
        if state.get("proxy_pid"):
            print(f"web (HAProxy): http://127.0.0.1:{state['ports']['proxy']}/")
        for key, value in state["env"].items():
            print(f"export {key}='{value}'")
    elif args.command == "env":
        for key, value in environment(load(folder)).items():
            print(f"export {key}='{value}'")
    elif args.command == "kill-nats":
        print(f"local-cluster: killed NATS node {args.node} (pid {kill_nats(folder, args.node)})")
    elif args.command == "start-postgres":
        print(f"local-cluster: PostgreSQL up: {start_postgres(folder, args.base_port)['url']}")
    elif args.command == "kill-postgres":
        kill_postgres(folder)
        print("local-cluster: PostgreSQL killed")
    elif args.command == "failover":
        seconds = failover(folder)
        by = "Patroni" if load(folder).get("mode") == "patroni" else "pg_ctl promote"
        print(f"local-cluster: replica promoted by {by}; takes writes {seconds:.1f} s after the kill")
    else:
        stop(folder)
        print("local-cluster: stopped")


if __name__ == "__main__":
    main()
