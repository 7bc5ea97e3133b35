"""broker hardening: dead letters count their values and the messages a rate-limit summary stands for, and are
indexed by receipt time for their retention; device tokens are stored as their SHA-256 digest only, and dead
letters keep only the first characters of a token (in `token` and in a native topic) and its digest

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

import hashlib
import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


NATIVE_PREFIX = "digipark/v1/"
HINT_LENGTH = 4  # registry.device_tokens.HINT_LENGTH at the time of this revision

device = sa.table(
    "device", sa.column("id", sa.Integer), sa.column("token", sa.String), sa.column("token_hash", sa.String)
)
dead_letter = sa.table(
    "dead_letter",
    sa.column("id", sa.Integer),
    sa.column("token", sa.String),
    sa.column("topic", sa.String),
    sa.column("token_hash", sa.String),
)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _hint(token: str) -> str:
    return token[:HINT_LENGTH] + "…"


def _masked(topic: str | None) -> str | None:
    if topic is None or not topic.startswith(NATIVE_PREFIX):
        return topic
    token, separator, rest = topic[len(NATIVE_PREFIX) :].partition("/")
    return NATIVE_PREFIX + _hint(token) + separator + rest


def upgrade() -> None:
    with op.batch_alter_table("dead_letter") as batch:
        batch.add_column(sa.Column("value_count", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("messages", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("token_hash", sa.String(length=64), nullable=True))
    op.create_index("ix_dead_letter_received_at", "dead_letter", ["received_at"])
    bind = op.get_bind()
    letters = bind.execute(sa.select(dead_letter.c.id, dead_letter.c.token, dead_letter.c.topic)).all()
    for ident, token, topic in letters:
        bind.execute(
            dead_letter.update()
            .where(dead_letter.c.id == ident)
            .values(
                token=None if token is None else _hint(token),
                token_hash=None if token is None else _digest(token),
                topic=_masked(topic),
            )
        )

    with op.batch_alter_table("device") as batch:
        batch.add_column(sa.Column("token_hash", sa.String(length=64), nullable=True))
    for ident, token in bind.execute(sa.select(device.c.id, device.c.token)).all():
        bind.execute(device.update().where(device.c.id == ident).values(token_hash=_digest(token)))
    with op.batch_alter_table("device") as batch:
        batch.drop_constraint("uq_device_token", type_="unique")
        batch.drop_column("token")
        batch.alter_column("token_hash", existing_type=sa.String(length=64), nullable=False)
        batch.create_unique_constraint("uq_device_token_hash", ["token_hash"])


def downgrade() -> None:
    # the plain tokens are gone: every device gets a new one (read them from the database and re-issue them)
    with op.batch_alter_table("device") as batch:
        batch.add_column(sa.Column("token", sa.String(length=64), nullable=True))
    bind = op.get_bind()
    for (ident,) in bind.execute(sa.select(device.c.id)).all():
        bind.execute(device.update().where(device.c.id == ident).values(token=secrets.token_urlsafe(24)))
    with op.batch_alter_table("device") as batch:
        batch.drop_constraint("uq_device_token_hash", type_="unique")
        batch.drop_column("token_hash")
        batch.alter_column("token", existing_type=sa.String(length=64), nullable=False)
        batch.create_unique_constraint("uq_device_token", ["token"])
    op.drop_index("ix_dead_letter_received_at", table_name="dead_letter")
    with op.batch_alter_table("dead_letter") as batch:
        batch.drop_column("token_hash")
        batch.drop_column("messages")
        batch.drop_column("value_count")
