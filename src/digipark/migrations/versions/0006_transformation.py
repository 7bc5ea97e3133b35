"""transformation: SME digital-level assessments, certificates, adoption, catalogue, provider requests

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26

Assessments of the SME digital level (one per enterprise and year) with their submitted revisions and evidence
files, GB/T 39116 and smart-factory certificates, adoption records (industrial internet, cloud, robots, AI,
digital production services), the park's catalogue of digital products and services, and provider requests.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "digital_catalogue_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("provider", sa.String(length=200), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("scenes", sa.JSON(), nullable=False),
        sa.Column("indicators", sa.JSON(), nullable=False),
        sa.Column("price_note", sa.String(length=200), nullable=True),
        sa.Column("demo", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_digital_catalogue_entry_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digital_catalogue_entry")),
        sa.UniqueConstraint("park_id", "name", name=op.f("uq_digital_catalogue_entry_park_id_name")),
    )
    with op.batch_alter_table("digital_catalogue_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_digital_catalogue_entry_park_id"), ["park_id"], unique=False)
    op.create_table(
        "adoption_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("provider", sa.String(length=200), nullable=True),
        sa.Column("scenarios", sa.JSON(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_adoption_record_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_adoption_record_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adoption_record")),
    )
    with op.batch_alter_table("adoption_record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_adoption_record_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_adoption_record_park_id"), ["park_id"], unique=False)
        batch_op.create_index("ix_adoption_record_park_id_kind", ["park_id", "kind"], unique=False)
    op.create_table(
        "digital_assessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("questionnaire", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("base_score", sa.Float(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("dimension_scores", sa.JSON(), nullable=False),
        sa.Column("weakest", sa.JSON(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("submitted_by", sa.String(length=120), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reviewed_by", sa.String(length=120), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_comment", sa.String(length=2000), nullable=True),
        sa.Column("confirmed_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_digital_assessment_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_digital_assessment_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digital_assessment")),
        sa.UniqueConstraint("enterprise_id", "year", name=op.f("uq_digital_assessment_enterprise_id_year")),
    )
    with op.batch_alter_table("digital_assessment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_digital_assessment_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_digital_assessment_park_id"), ["park_id"], unique=False)
        batch_op.create_index("ix_digital_assessment_park_id_year", ["park_id", "year"], unique=False)
        batch_op.create_index(batch_op.f("ix_digital_assessment_status"), ["status"], unique=False)
    op.create_table(
        "maturity_certificate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("scale", sa.String(length=20), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("certificate_no", sa.String(length=100), nullable=False),
        sa.Column("issuer", sa.String(length=200), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("verified_by", sa.String(length=120), nullable=True),
        sa.Column("file_name", sa.String(length=200), nullable=True),
        sa.Column("file_content_type", sa.String(length=100), nullable=True),
        sa.Column("file_size", sa.Integer(), nullable=True),
        sa.Column("file_content", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_maturity_certificate_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_maturity_certificate_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maturity_certificate")),
    )
    with op.batch_alter_table("maturity_certificate", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_maturity_certificate_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_maturity_certificate_park_id"), ["park_id"], unique=False)
    op.create_table(
        "provider_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("message", sa.String(length=2000), nullable=True),
        sa.Column("note", sa.String(length=2000), nullable=True),
        sa.Column("requested_by", sa.String(length=120), nullable=False),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_provider_request_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["digital_catalogue_entry.id"],
            name=op.f("fk_provider_request_entry_id_digital_catalogue_entry"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_provider_request_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_request")),
    )
    with op.batch_alter_table("provider_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_provider_request_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_provider_request_entry_id"), ["entry_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_provider_request_park_id"), ["park_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_provider_request_status"), ["status"], unique=False)
    op.create_table(
        "digital_assessment_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.String(length=10), nullable=True),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=120), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["digital_assessment.id"],
            name=op.f("fk_digital_assessment_evidence_assessment_id_digital_assessment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_digital_assessment_evidence_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_digital_assessment_evidence_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digital_assessment_evidence")),
    )
    with op.batch_alter_table("digital_assessment_evidence", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_digital_assessment_evidence_assessment_id"), ["assessment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_digital_assessment_evidence_enterprise_id"), ["enterprise_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_digital_assessment_evidence_park_id"), ["park_id"], unique=False)
    op.create_table(
        "digital_assessment_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("base_score", sa.Float(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("submitted_by", sa.String(length=120), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=True),
        sa.Column("comment", sa.String(length=2000), nullable=True),
        sa.Column("reviewed_by", sa.String(length=120), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["digital_assessment.id"],
            name=op.f("fk_digital_assessment_revision_assessment_id_digital_assessment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_digital_assessment_revision_enterprise_id_enterprise"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_digital_assessment_revision_park_id_park"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digital_assessment_revision")),
        sa.UniqueConstraint(
            "assessment_id", "revision", name=op.f("uq_digital_assessment_revision_assessment_id_revision")
        ),
    )
    with op.batch_alter_table("digital_assessment_revision", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_digital_assessment_revision_assessment_id"), ["assessment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_digital_assessment_revision_enterprise_id"), ["enterprise_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_digital_assessment_revision_park_id"), ["park_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("digital_assessment_revision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_digital_assessment_revision_park_id"))
        batch_op.drop_index(batch_op.f("ix_digital_assessment_revision_enterprise_id"))
        batch_op.drop_index(batch_op.f("ix_digital_assessment_revision_assessment_id"))
    op.drop_table("digital_assessment_revision")
    with op.batch_alter_table("digital_assessment_evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_digital_assessment_evidence_park_id"))
        batch_op.drop_index(batch_op.f("ix_digital_assessment_evidence_enterprise_id"))
        batch_op.drop_index(batch_op.f("ix_digital_assessment_evidence_assessment_id"))
    op.drop_table("digital_assessment_evidence")
    with op.batch_alter_table("provider_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_provider_request_status"))
        batch_op.drop_index(batch_op.f("ix_provider_request_park_id"))
        batch_op.drop_index(batch_op.f("ix_provider_request_entry_id"))
        batch_op.drop_index(batch_op.f("ix_provider_request_enterprise_id"))
    op.drop_table("provider_request")
    with op.batch_alter_table("maturity_certificate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_maturity_certificate_park_id"))
        batch_op.drop_index(batch_op.f("ix_maturity_certificate_enterprise_id"))
    op.drop_table("maturity_certificate")
    with op.batch_alter_table("digital_assessment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_digital_assessment_status"))
        batch_op.drop_index("ix_digital_assessment_park_id_year")
        batch_op.drop_index(batch_op.f("ix_digital_assessment_park_id"))
        batch_op.drop_index(batch_op.f("ix_digital_assessment_enterprise_id"))
    op.drop_table("digital_assessment")
    with op.batch_alter_table("adoption_record", schema=None) as batch_op:
        batch_op.drop_index("ix_adoption_record_park_id_kind")
        batch_op.drop_index(batch_op.f("ix_adoption_record_park_id"))
        batch_op.drop_index(batch_op.f("ix_adoption_record_enterprise_id"))
    op.drop_table("adoption_record")
    with op.batch_alter_table("digital_catalogue_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_digital_catalogue_entry_park_id"))
    op.drop_table("digital_catalogue_entry")
