"""Tables of the data space: datasets (cleaned, with lineage), data products, contracts, the contract ledger,
industrial internet identifiers."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from digipark.core.db import Base, TimestampMixin, utcnow
from digipark.core.tenancy import Audited, EnterpriseScoped, ParkScoped, Visibility


class Source(enum.StrEnum):
    ENERGY_MONTHLY = "energy_monthly"  # the provider's monthly energy and carbon (read through energy's provides)
    DATASET = "dataset"  # a cleaned dataset of the provider


class ContractState(enum.StrEnum):
    REQUESTED = "requested"
    AGREED = "agreed"
    REJECTED = "rejected"
    REVOKED = "revoked"


class LedgerKind(enum.StrEnum):
    REQUESTED = "requested"
    AGREED = "agreed"
    REJECTED = "rejected"
    REVOKED = "revoked"
    ACCESS = "access"
    REFUSED = "refused"


class IdentifierKind(enum.StrEnum):
    PRODUCT = "product"
    BATCH = "batch"
    EQUIPMENT = "equipment"


class Dataset(Audited, TimestampMixin, EnterpriseScoped, Base):
    """A versioned table of rows of an enterprise (or of the park): what a cleaning job kept, the rows it rejected
    with their reasons, and where it came from (`derived_from`: dataset ids; `job`: the rules applied)."""

    __tablename__ = "ds_dataset"
    __visibility__ = Visibility.ENTERPRISE
    __audit_exclude__ = frozenset({"rows", "rejected"})

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=1)
    columns: Mapped[list[Any]] = mapped_column(JSON, default=list)
    rows: Mapped[list[Any]] = mapped_column(JSON, default=list)
    rejected: Mapped[list[Any]] = mapped_column(JSON, default=list)
    derived_from: Mapped[list[Any]] = mapped_column(JSON, default=list)
    job: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    row_count: Mapped[int] = mapped_column(Integer, default=0)


class DataProduct(Audited, TimestampMixin, EnterpriseScoped, Base):
    """An offer in the park's catalogue: which data (source, columns), by whom (enterprise_id, None: the park),
    and the policy a consumer may ask for. Every member of the park sees the offer, never the data."""

    __tablename__ = "ds_product"
    __visibility__ = Visibility.PARK

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str | None] = mapped_column(String(200), doc="the title on English pages")
    description: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(30))
    dataset_id: Mapped[int | None] = mapped_column(ForeignKey("ds_dataset.id", ondelete="RESTRICT"), index=True)
    year: Mapped[int | None] = mapped_column(Integer, doc="energy_monthly: the year it covers")
    columns: Mapped[list[Any]] = mapped_column(JSON, default=list, doc="the columns it shares (column filter)")
    purposes: Mapped[list[Any]] = mapped_column(JSON, default=list, doc="purposes a consumer may name")
    max_accesses: Mapped[int] = mapped_column(Integer, doc="largest download count a contract may grant")
    max_days: Mapped[int] = mapped_column(Integer, doc="longest period a contract may run")
    active: Mapped[bool] = mapped_column(default=True)
    published_by: Mapped[str] = mapped_column(String(80))


class Contract(Audited, TimestampMixin, ParkScoped, Base):
    """A consumer's request for a product and, once the provider agrees, the agreement: `policy` is its ODRL
    document (the terms enforced on every access); `accesses` counts the downloads it allowed. Read by staff,
    the provider and the consumer (`service.contract_condition`)."""

    __tablename__ = "ds_contract"
    __visibility__ = Visibility.PARK

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("ds_product.id", ondelete="RESTRICT"), index=True)
    provider_enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprise.id", ondelete="RESTRICT"), index=True
    )
    consumer_enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id", ondelete="RESTRICT"), index=True)
    state: Mapped[str] = mapped_column(String(12), default=ContractState.REQUESTED.value)
    policy: Mapped[dict[str, Any]] = mapped_column(JSON)
    days: Mapped[int] = mapped_column(Integer, doc="the period asked for; it starts when the provider agrees")
    accesses: Mapped[int] = mapped_column(Integer, default=0)
    requested_by: Mapped[str] = mapped_column(String(80))
    decided_by: Mapped[str | None] = mapped_column(String(80))
    decided_at: Mapped[dt.datetime | None] = mapped_column()
    revoked_at: Mapped[dt.datetime | None] = mapped_column()


class LedgerEntry(ParkScoped, Base):
    """One event of a contract in its hash chain: `hash` = SHA-256 of the entry's canonical JSON with the previous
    entry's hash. Append-only; `ledger.verify` recomputes the chain. Not audited: the ledger is its own record."""

    __tablename__ = "ds_ledger"
    __table_args__ = (UniqueConstraint("contract_id", "seq"),)
    __visibility__ = Visibility.PARK

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("ds_contract.id", ondelete="RESTRICT"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(12))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(80))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class Identifier(Audited, TimestampMixin, EnterpriseScoped, Base):
    """An industrial internet identifier (`88.xxx.yyy/suffix`) registered for a product, batch or equipment, with
    its attributes; it resolves to its record, to a device of the registry, or to the owner's system."""

    __tablename__ = "ds_identifier"
    __visibility__ = Visibility.PARK
    __audit_exclude__ = frozenset({"resolutions"})  # a resolution is counted, not a change of the record

    id: Mapped[int] = mapped_column(primary_key=True)
    handle: Mapped[str] = mapped_column(String(255), unique=True)
    prefix: Mapped[str] = mapped_column(String(40), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id", ondelete="SET NULL"), index=True)
    target_url: Mapped[str | None] = mapped_column(String(500))
    resolutions: Mapped[int] = mapped_column(Integer, default=0)


class IdentifierGeneration(Base):
    """One row: a counter raised by every transaction that changes what a resolution answers (an identifier, its
    owner's name, the device it marks). Being one row updated in place, transactions raising it commit in the order
    of their generations, so a resolver reading it never misses a change (`dataspace.resolution`)."""

    __tablename__ = "ds_identifier_generation"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    generation: Mapped[int] = mapped_column(BigInteger, default=0)


class IdentifierChange(Base):
    """The handles a generation changed (None: every record, as when an owner is renamed); kept for the last
    `resolution.CHANGES_KEPT` generations."""

    __tablename__ = "ds_identifier_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    generation: Mapped[int] = mapped_column(BigInteger, index=True)
    handle: Mapped[str | None] = mapped_column(String(255))


class ConnectorKey(Audited, TimestampMixin, EnterpriseScoped, Base):
    """A consumer's API key for machine downloads of one contract (its scope: that contract and the purposes
    named), with a daily quota; only its SHA-256 is stored. `enterprise_id`: the consumer."""

    __tablename__ = "ds_connector_key"
    __visibility__ = Visibility.ENTERPRISE
    __audit_exclude__ = frozenset({"key_hash", "used_today", "used_on"})

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("ds_contract.id", ondelete="RESTRICT"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(String(12), doc="the key's first characters, to tell keys apart")
    purposes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    daily_quota: Mapped[int] = mapped_column(Integer)
    used_today: Mapped[int] = mapped_column(Integer, default=0)
    used_on: Mapped[dt.date | None] = mapped_column()
    revoked: Mapped[bool] = mapped_column(default=False)
    created_by: Mapped[str] = mapped_column(String(80))


class ContextEntity(Audited, TimestampMixin, EnterpriseScoped, Base):
    """An NGSI-LD entity created through the context API (the registry's devices and buildings are served from the
    registry, not stored here): its id (a URI), type and attributes, both keyed by expanded IRIs, in the normalised
    form. Owned by the enterprise that created it (None: the park's)."""

    __tablename__ = "ds_context_entity"
    __table_args__ = (UniqueConstraint("park_id", "entity_id"),)
    __visibility__ = Visibility.ENTERPRISE

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_id: Mapped[str] = mapped_column(String(255))
    entity_type: Mapped[str] = mapped_column(String(255), index=True, doc="the type's expanded IRI")
    attrs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, doc="expanded attribute IRI -> attribute")
    created_by: Mapped[str] = mapped_column(String(80))


class NgsiSubscription(Audited, TimestampMixin, EnterpriseScoped, Base):
    """An NGSI-LD subscription (ETSI GS CIM 009 §5.8): which entities (types, ids, idPattern), which attributes'
    changes (`watched`), a `q`, where to POST notifications (`endpoint`, `accept`), `throttling` seconds,
    `expires_at`, `active`; the @context it was made with (`context`, `base`: its terms are resolved again when
    a notification is built). Owned by the enterprise that made it (None: the park's); `role` is its maker's,
    the scope notifications read entities with. The notifier records its sends (`times_sent`, last ones)."""

    __tablename__ = "ds_ngsi_subscription"
    __table_args__ = (UniqueConstraint("park_id", "subscription_id"),)
    __visibility__ = Visibility.ENTERPRISE
    __audit_exclude__ = frozenset(
        {"times_sent", "times_failed", "last_notification", "last_success", "last_failure", "last_error"}
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    entities: Mapped[list[Any]] = mapped_column(JSON, default=list, doc="[{type IRI, id?, idPattern?}]")
    watched: Mapped[list[Any]] = mapped_column(JSON, default=list, doc="watched attribute IRIs")
    q: Mapped[str | None] = mapped_column(Text, nullable=True)
    attrs: Mapped[list[Any]] = mapped_column(JSON, default=list, doc="attribute IRIs a notification carries")
    triggers: Mapped[list[Any] | None] = mapped_column(
        JSON, nullable=True, doc="notificationTrigger (None: the spec's default, attributeCreated and attributeUpdated)"
    )
    endpoint: Mapped[str] = mapped_column(String(2000))
    accept: Mapped[str] = mapped_column(String(40), default="application/json")
    throttling: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    active: Mapped[bool] = mapped_column(default=True)
    context: Mapped[Any] = mapped_column(JSON, nullable=True)
    base: Mapped[str] = mapped_column(String(500), default="")
    role: Mapped[str] = mapped_column(String(40))
    created_by: Mapped[str] = mapped_column(String(80))
    times_sent: Mapped[int] = mapped_column(Integer, default=0)
    times_failed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_notification: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    last_success: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    last_failure: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(300), nullable=True)


class NgsiChange(ParkScoped, Base):
    """A change made through the NGSI-LD entity API, waiting for the notifier (an outbox: written in the change's
    own transaction, taken and deleted by whichever process runs the notifier): the entity, its type, the
    attribute IRIs changed, and the notification triggers it fires (`events`: trigger -> attribute IRIs). A deleted
    entity keeps what it was (`deleted`: its attributes and owner), since it can no longer be read. Not audited: the
    entity's own row is."""

    __tablename__ = "ds_ngsi_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_id: Mapped[str] = mapped_column(String(255))
    entity_type: Mapped[str] = mapped_column(String(255))
    attrs: Mapped[list[Any]] = mapped_column(JSON, default=list)
    events: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, doc="{trigger: [attribute IRIs]}")
    deleted: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True, doc="a deleted entity's {attrs, owner}")
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class NotificationState(enum.StrEnum):
    PENDING = "pending"  # waiting for its (next) attempt
    FAILED = "failed"  # every attempt failed: kept with its reason


class NgsiNotification(ParkScoped, Base):
    """A notification of a subscription waiting to be delivered, or failed after its last attempt (an outbox: written
    in the transaction that decided it, so a restart loses none): the body and headers built when it was due, the
    attempts made, when the next is due, and the last error. Delivered ones are deleted (the subscription counts
    them). Not audited: the subscription's counters record each attempt."""

    __tablename__ = "ds_ngsi_notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_ref: Mapped[int] = mapped_column(ForeignKey("ds_ngsi_subscription.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(Text)
    headers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(12), default=NotificationState.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(index=True)
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CollectionSource(enum.StrEnum):
    TABLE = "table"  # a table the platform holds: a dataset of the owner, or an enterprise's monthly energy
    UPLOAD = "upload"  # rows of a CSV or Excel file, kept with the job
    HTTP = "http"  # a JSON array or CSV answered by an HTTP GET
    DATABASE = "database"  # the rows of a SELECT on a PostgreSQL database


class RunState(enum.StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class CollectionJob(Audited, TimestampMixin, EnterpriseScoped, Base):
    """A collection job of the data platform: where its rows come from (`source`, `config`), the cleaning rules
    applied, and when it runs by itself (`cron`, five fields in the park's time zone, or `every_minutes`; neither:
    by hand only). Each run makes a new version of the job's dataset. `secret` (a database's connection address
    with its password, an HTTP Authorization header) is never shown nor audited; an upload's rows are kept in
    `upload_rows` (not audited, as a dataset's rows)."""

    __tablename__ = "ds_collection_job"
    __visibility__ = Visibility.ENTERPRISE
    __audit_exclude__ = frozenset({"secret", "upload_rows", "next_run_at", "last_run_at"})

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(12))
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    secret: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    upload_rows: Mapped[list[Any]] = mapped_column(JSON, default=list, doc="upload: the file's rows")
    rules: Mapped[list[Any]] = mapped_column(JSON, default=list)
    cron: Mapped[str | None] = mapped_column(String(100), nullable=True)
    every_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    active: Mapped[bool] = mapped_column(default=True)
    next_run_at: Mapped[dt.datetime | None] = mapped_column(nullable=True, index=True)
    last_run_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    created_by: Mapped[str] = mapped_column(String(80))


class CollectionRun(Audited, EnterpriseScoped, Base):
    """One run of a collection job for one `window` (the scheduled moment, or the moment asked for by hand): unique
    per job and window, so a window is never run twice. `stage` and the counts show its progress."""

    __tablename__ = "ds_collection_run"
    __table_args__ = (UniqueConstraint("job_id", "window"),)
    __visibility__ = Visibility.ENTERPRISE

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("ds_collection_job.id", ondelete="CASCADE"), index=True)
    window: Mapped[dt.datetime] = mapped_column()
    trigger: Mapped[str] = mapped_column(String(10), doc="schedule | manual")
    state: Mapped[str] = mapped_column(String(10), default=RunState.RUNNING.value)
    stage: Mapped[str] = mapped_column(String(12), default="queued", doc="queued, fetching, cleaning, stored")
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_kept: Mapped[int] = mapped_column(Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)
    dataset_id: Mapped[int | None] = mapped_column(ForeignKey("ds_dataset.id", ondelete="SET NULL"), nullable=True)
    error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    started_by: Mapped[str] = mapped_column(String(80))
