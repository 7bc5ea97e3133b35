"""Settings from DIGIPARK_* environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DIGIPARK_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default_factory=lambda: f"sqlite:///{Path.cwd() / 'digipark.db'}",
        description="SQLAlchemy URL; postgresql://... uses psycopg 3",
    )
    database_pooler: Literal["none", "transaction"] = Field(
        default="none",
        description="'transaction': the database URL reaches PostgreSQL through a transaction-pooling PgBouncer, so "
        "the application prepares no statements on the server (psycopg's prepare_threshold=None)",
    )
    database_replica_url: str | None = Field(
        default=None,
        description="a PostgreSQL streaming replica (or a proxy to one, e.g. HAProxy's Patroni /replica front end) "
        "that dashboards read from while it is at most DIGIPARK_REPLICA_MAX_STALENESS_S behind; unset: none",
    )
    replica_max_staleness_s: float = Field(
        default=30.0, gt=0, description="a replica further behind than this is not read: the primary is"
    )
    mqtt_url: str | None = Field(default=None, description="external MQTT broker, mqtt://host:port")
    stream_url: str | None = Field(default=None, description="internal stream, nats://host:port")
    mqtt_client_id: str = Field(
        default="digipark-ingest",
        description="client id of the platform's persistent MQTT session at the external broker (keep it fixed)",
    )
    mqtt_listen: str = Field(
        default="127.0.0.1:1883",
        description="where the embedded MQTT broker listens when no external broker is configured (demo)",
    )
    syslog_listen: str | None = Field(
        default=None,
        description="HOST:PORT where `digipark ingest` receives syslog over UDP and TCP from the parks' allow-listed "
        "log sources (cybersec); unset: no syslog listener",
        pattern=r"^\[?[0-9A-Za-z.:-]*\]?:\d{1,5}$",
    )
    mqtt_service_user: str = Field(
        default="digipark",
        description="service account of the embedded MQTT broker: may subscribe with wildcards and publish for any "
        "device (the platform's own clients, the demo simulator)",
    )
    mqtt_service_password: str | None = Field(
        default=None,
        description="its password; unset: a random one per process, known only to this process's own clients",
    )
    mqtt_max_packet_bytes: int = Field(
        default=262_144, ge=1024, description="the embedded MQTT broker closes a client sending a larger packet"
    )
    deadletter_retention_days: int = Field(default=30, ge=1, description="dead letters older than this are purged")
    deadletter_per_source_per_minute: int = Field(
        default=60,
        ge=1,
        description="dead letters stored per source (device, or sender address) and minute; beyond it one summary "
        "row counts the rest",
    )
    ingest_batch_size: int = Field(default=30_000, ge=1, description="most messages stored in one transaction")
    ingest_max_pending: int = Field(
        default=50_000, ge=1, description="messages waiting to be stored before ingest stops reading (back-pressure)"
    )
    rollup_refresh_interval_s: float = Field(
        default=2.0,
        ge=0,
        description="PostgreSQL ingest: seconds between refreshes of the 1 h, 1 day and 1 month rollups (the 15 min "
        "rollups follow every batch); 0 updates every level with each batch",
    )
    stream_name: str = Field(default="DIGIPARK_TELEMETRY", description="JetStream stream of inbound telemetry")
    stream_subject: str = Field(default="digipark.telemetry.in", description="subject of that stream")
    stream_consumer: str = Field(default="digipark-ingest", description="durable pull consumer shared by the workers")
    stream_ack_wait_s: float = Field(
        default=30.0, gt=0, description="seconds before JetStream redelivers a batch a worker did not acknowledge"
    )
    stream_max_ack_pending: int = Field(default=100_000, ge=1, description="unacknowledged messages per consumer")
    stream_partitions: int = Field(
        default=16, ge=1, le=1024, description="partitions of the stream (by device); workers share them out"
    )
    stream_replicas: int = Field(
        default=1,
        ge=1,
        le=5,
        description="copies of the stream (and of the partition leases) a JetStream cluster keeps: 3 on a 3-node "
        "cluster, so that losing one node loses no acknowledged message",
    )
    stream_lease_s: float = Field(
        default=5.0, gt=0, description="seconds a worker's lease on a partition lasts unless renewed (every second)"
    )
    secret_key: str = Field(default="dev-insecure-change-me", description="signs CSRF tokens")
    cookie_secure: bool | None = Field(
        default=None, description="force the Secure cookie flag; default: secure when served over HTTPS"
    )
    trust_forwarded_proto: bool = Field(
        default=False,
        description="believe X-Forwarded-Proto from any client (behind a TLS proxy): HSTS when it says https",
    )
    audit_checkpoint_key: str | None = Field(
        default=None, description="secret signing audit checkpoints (HMAC-SHA256); keep it out of the database"
    )
    audit_checkpoint_key_file: Path | None = Field(
        default=None, description="file holding that secret (used when audit_checkpoint_key is not set)"
    )
    audit_checkpoint_interval_s: float = Field(
        default=3600.0, ge=0, description="seconds between signed audit checkpoints in the background (0: none)"
    )
    session_hours: int = 12
    login_max_failures: int = 5
    login_lock_minutes: int = 15
    default_language: str = "zh"
    timezone: str = "Asia/Shanghai"
    vendor_dir: Path | None = Field(
        default=None, description="folder holding node_modules; default: found upward from the package"
    )
    argon2_time_cost: int = Field(default=3, ge=1, description="argon2id passes")
    argon2_memory_kib: int = Field(default=65536, ge=8, description="argon2id memory")
    telemetry_future_skew_s: float = Field(
        default=300.0, ge=0, description="readings more than this many seconds ahead of the server clock are rejected"
    )
    offline_after_intervals: float = Field(
        default=3.0, gt=0, description="a point is offline after this many expected intervals without a reading"
    )
    raw_retention_days: int = Field(
        default=400, ge=1, description="raw telemetry readings older than this are purged; rollups are kept"
    )
    chart_min_points: int = Field(
        default=150, ge=1, description="resolution=auto picks the coarsest rollup giving at least this many points"
    )
    series_max_points: int = Field(
        default=20000, ge=100, description="most points one series request may return (raw reads are capped)"
    )
    rollover_band: float = Field(
        default=0.1,
        gt=0,
        lt=0.5,
        description="a cumulative meter falling from the top band of its register (>= valid_max*(1-band)) to the "
        "bottom band (<= valid_max*band) rolled over (increment valid_max - previous + new); any other "
        "decrease is a reset (increment = new value)",
    )
    alarms_smtp_host: str | None = Field(default=None, description="SMTP server for alarm e-mails (none: not sent)")
    alarms_smtp_port: int = Field(default=25, ge=1, le=65535)
    alarms_smtp_starttls: bool = Field(default=False, description="STARTTLS before logging in")
    alarms_smtp_username: str | None = None
    alarms_smtp_password: str | None = None
    alarms_smtp_from: str = Field(default="digipark-alarms@localhost", description="sender of alarm e-mails")
    alarms_webhook_secret: str = Field(
        default="dev-insecure-change-me", description="HMAC-SHA256 key of alarm webhooks whose contact has none"
    )
    alarms_notify_timeout_s: float = Field(default=10.0, gt=0, description="SMTP and webhook timeout")
    alarms_public_url: str = Field(default="http://127.0.0.1:8000", description="base of alarm links in messages")
    alarms_ack_link_ttl_s: int = Field(
        default=86400, ge=60, le=30 * 86400, description="how long the signed acknowledge link of a message works"
    )
    sms_provider: str | None = Field(default=None, description="SMS provider of alarm texts: aliyun (none: not sent)")
    sms_endpoint: str = Field(default="https://dysmsapi.aliyuncs.com/", description="the provider's API address")
    sms_access_key_id: str | None = None
    sms_access_key_secret: str | None = None
    sms_sign_name: str = Field(default="数字园区", description="the approved SMS signature (签名)")
    sms_template_code: str | None = Field(default=None, description="approved template with ${alarm} and ${link}")
    sms_region: str = "cn-hangzhou"
    metrics_token: str | None = Field(
        default=None, description="when set, GET /metrics asks for Authorization: Bearer <this token>"
    )
    metrics_port: int | None = Field(
        default=None, ge=1, le=65535, description="an ingest process shows its Prometheus metrics on this port"
    )
    log_json: bool = True
    log_level: str = "INFO"
    memtrace_interval_s: float | None = Field(
        default=None,
        gt=0,
        description="a debugging aid: trace Python's allocations (tracemalloc) and log, every this many seconds, "
        "the source lines whose memory grew most since the first interval (logger digipark.memtrace); costs CPU "
        "and memory while on (docs/operations.md); unset: off",
    )
    memtrace_frames: int = Field(
        default=1, ge=1, le=50, description="frames of each allocation's traceback kept while tracing (1: its line)"
    )
    safety_command_webhook_url: str | None = Field(
        default=None, description="regional emergency command webhook: closed incidents' reports are POSTed here"
    )
    safety_command_webhook_secret: str | None = Field(
        default=None, description="signs report pushes (X-Digipark-Signature: sha256=<HMAC-SHA256 of the body>)"
    )
    safety_command_webhook_attempts: int = Field(default=3, ge=1, le=10, description="tries per report push")
    safety_command_webhook_timeout_s: float = Field(default=5.0, gt=0, description="seconds per push attempt")
    safety_command_webhook_backoff_s: float = Field(
        default=0.5, ge=0, description="wait before the n-th retry: n × this many seconds"
    )
    map_tile_url: str | None = Field(
        default=None,
        description="the operator's raster base layer under the park map, an XYZ template such as "
        "https://tiles.example/{z}/{x}/{y}.png or /tiles/{z}/{x}/{y}.png (none: the park's own geometry only)",
    )
    map_tile_crs: Literal["wgs84", "gcj02"] = Field(
        default="wgs84", description="the datum of those tiles; gcj02 (Gaode/Tencent tiles) moves the park onto it"
    )
    map_tile_attribution: str = Field(default="", description="credit line of the base layer")
    map_tiles_file: Path | None = Field(
        default=None,
        description="the operator's base layer as a file on this server: an MBTiles file (raster tiles, served "
        "by /api/v1/ioc/tiles/{z}/{x}/{y}) or a PMTiles archive (read by the browser with range requests)",
    )


@lru_cache
def get_settings() -> Settings:
    return Settings()


def database_connect_args(url: str, pooler: str | None = None) -> dict[str, object]:
    """psycopg's connection options for `url`: behind a transaction-pooling PgBouncer (`pooler`, by default
    DIGIPARK_DATABASE_POOLER) no server-side prepared statements — the next transaction may run on another
    server connection, which does not know them."""
    if not normalise_database_url(url).startswith("postgresql+psycopg"):
        return {}
    if (pooler if pooler is not None else get_settings().database_pooler) == "transaction":
        return {"prepare_threshold": None}
    return {}


def normalise_database_url(url: str) -> str:
    """Accept plain postgresql:// URLs and route them to psycopg 3."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url
