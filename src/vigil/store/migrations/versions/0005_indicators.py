"""threat-intelligence indicators and feeds, credential registry, leak findings

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 12:00:00
"""

import sqlalchemy as sa
from alembic import op

import vigil.store.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    ts = vigil.store.types.UtcTimestamp
    op.create_table(
        "intel_indicators",
        sa.Column("id", sa.String(length=256), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=1024), nullable=False),
        sa.Column("source", sa.String(length=512), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("valid_from", ts(), nullable=True),
        sa.Column("valid_until", ts(), nullable=True),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.Column("confidence", sa.Integer(), nullable=True),
        sa.Column("labels", vigil.store.types.JsonDoc(), nullable=False),
        sa.Column("added_at", ts(), nullable=False),
        sa.Column("updated_at", ts(), nullable=False),
        sa.PrimaryKeyConstraint("id", "kind", "value"),
    )
    op.create_index("ix_intel_indicators_source", "intel_indicators", ["source"])
    op.create_table(
        "intel_feeds",
        sa.Column("source", sa.String(length=512), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("location", sa.Text(), nullable=True),
        sa.Column("synced_at", ts(), nullable=False),
        sa.Column("indicators", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("source"),
    )
    op.create_table(
        "leak_credentials",
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("hint", sa.String(length=8), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("shape", sa.String(length=16), nullable=False),
        sa.Column("key_fingerprint", sa.String(length=16), nullable=False),
        sa.Column("service_principal_id", sa.String(length=64), nullable=True),
        sa.Column("app_id", sa.String(length=64), nullable=True),
        sa.Column("imported_at", ts(), nullable=False),
        sa.PrimaryKeyConstraint("key_id"),
    )
    op.create_index("ix_leak_credentials_hint", "leak_credentials", ["hint"])
    op.create_index("ix_leak_credentials_digest", "leak_credentials", ["digest"])
    op.create_table(
        "leak_findings",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("credential_type", sa.String(length=16), nullable=False),
        sa.Column("service_principal_id", sa.String(length=64), nullable=True),
        sa.Column("app_id", sa.String(length=64), nullable=True),
        sa.Column("leaked_at", ts(), nullable=False),
        sa.Column("location", vigil.store.types.JsonDoc(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("first_found_at", ts(), nullable=False),
        sa.Column("last_found_at", ts(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_leak_findings_key_id", "leak_findings", ["key_id"])


def downgrade() -> None:
    op.drop_table("leak_findings")
    op.drop_table("leak_credentials")
    op.drop_table("intel_feeds")
    op.drop_table("intel_indicators")
