"""Vigil's tables (SQLAlchemy Core). The Alembic migrations under ``migrations/`` create them.

Sizing: sign-ins are the big table (designed for 10^8 rows): a surrogate integer key keeps inserts
appending, the source id has a unique index for idempotent upserts, and ``(service_principal_id,
created_at)`` serves per-principal time-range reads. Each activity row keeps its raw source record,
zlib-compressed, for investigation. Risk tables are small (10^5 principals) and indexed for the
API's filters and orderings. ``risk_history`` is append-only (enforced by triggers).

Changing anything here needs a new Alembic revision; ``tests/store/test_migrations.py`` fails
when the two disagree.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    text,
)

from vigil.store.types import Compressed, JsonDoc, UtcTimestamp

metadata = MetaData()

ID = String(64)
GUID = String(36)

service_principals = Table(
    "service_principals",
    metadata,
    Column("id", ID, primary_key=True),
    Column("app_id", ID, nullable=False, index=True),
    Column("display_name", Text, nullable=False),
    Column("service_principal_type", String(32), nullable=False),
    Column("app_owner_organization_id", GUID),
    Column("account_enabled", Boolean, nullable=False),
    Column("disabled_by_microsoft_status", String(128)),
    Column("data", JsonDoc, nullable=False),
    Column("raw", Compressed),
    Column("updated_at", UtcTimestamp, nullable=False),
)

applications = Table(
    "applications",
    metadata,
    Column("id", ID, primary_key=True),
    Column("app_id", ID, nullable=False, index=True),
    Column("display_name", Text, nullable=False),
    Column("disabled_by_microsoft_status", String(128)),
    Column("data", JsonDoc, nullable=False),
    Column("raw", Compressed),
    Column("updated_at", UtcTimestamp, nullable=False),
)

sign_ins = Table(
    "sign_ins",
    metadata,
    Column(
        "pk", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("id", ID, nullable=False),
    Column("kind", String(24), nullable=False),
    Column("service_principal_id", ID, nullable=False),
    Column("created_at", UtcTimestamp, nullable=False),
    Column("app_id", ID),
    Column("ip_address", String(45)),
    Column("country", String(8)),
    Column("asn", Integer),
    Column("is_hosting", Boolean),
    Column("resource_id", ID),
    Column("client_credential_type", String(32)),
    Column("credential_key_id", GUID),
    Column("error_code", Integer, nullable=False),
    Column("user_agent", Text),
    Column("correlation_id", ID),
    Column("data", JsonDoc, nullable=False),
    Column("raw", Compressed),
    #: Or the raw record is line ``raw_line`` of block ``raw_block`` (see ``raw_blocks``).
    Column("raw_block", BigInteger),
    Column("raw_line", Integer),
    # unique: re-ingest adds nothing; an index, not a constraint, so that a bulk load into the
    # empty table may drop it and build it at its end (vigil.store.deferred_indexes)
    Index("uq_sign_ins_id", "id", unique=True),
    Index("ix_sign_ins_sp_time", "service_principal_id", "created_at"),
    Index("ix_sign_ins_time", "created_at"),
    Index("ix_sign_ins_ip", "ip_address"),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column(
        "pk", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("id", ID, nullable=False, unique=True),
    Column("activity_at", UtcTimestamp, nullable=False),
    Column("activity_display_name", Text, nullable=False),
    Column("category", String(64)),
    Column("result", String(32)),
    Column("initiator_service_principal_id", ID),
    Column("initiator_user_id", ID),
    Column("correlation_id", ID),
    Column("data", JsonDoc, nullable=False),
    Column("raw", Compressed),
    Index("ix_audit_actor_time", "initiator_service_principal_id", "activity_at"),
    Index("ix_audit_time", "activity_at"),
)

audit_targets = Table(
    "audit_targets",
    metadata,
    Column("audit_pk", BigInteger, nullable=False),
    Column("target_id", ID, nullable=False),
    Column("target_type", String(64)),
    Column("activity_at", UtcTimestamp, nullable=False),
    Index("ix_audit_targets_target_time", "target_id", "activity_at"),
    Index("uq_audit_targets", "audit_pk", "target_id", unique=True),
)

#: Raw records of bulk ingest, many to a zstd frame (``vigil.store.rawcodec.compress_block``):
#: compressing 2,000 sign-ins together is about 3x cheaper than one at a time and 2x smaller.
raw_blocks = Table(
    "raw_blocks",
    metadata,
    Column(
        "pk", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("data", LargeBinary, nullable=False),
)

graph_activities = Table(
    "graph_activities",
    metadata,
    Column(
        "pk", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("id", ID, nullable=False),
    Column("service_principal_id", ID),
    Column("time", UtcTimestamp, nullable=False),
    Column("request_method", String(16), nullable=False),
    Column("request_uri", Text, nullable=False),
    Column("response_status_code", Integer, nullable=False),
    Column("ip_address", String(45)),
    Column("data", JsonDoc, nullable=False),
    Column("raw", Compressed),
    Column("raw_block", BigInteger),
    Column("raw_line", Integer),
    Index("uq_graph_activities_id", "id", unique=True),  # as uq_sign_ins_id
    Index("ix_graph_sp_time", "service_principal_id", "time"),
    Index("ix_graph_time", "time"),
)

risky_service_principals = Table(
    "risky_service_principals",
    metadata,
    Column("id", ID, primary_key=True),
    Column("app_id", ID),
    Column("display_name", Text),
    Column("service_principal_type", String(32)),
    Column("is_enabled", Boolean, nullable=False),
    Column("is_processing", Boolean, nullable=False),
    Column("risk_level", String(24), nullable=False),
    Column("risk_state", String(32), nullable=False),
    Column("risk_detail", String(64), nullable=False),
    Column("risk_last_updated_at", UtcTimestamp, nullable=False),
    Column("sequence", Integer, nullable=False),
    Index("ix_risky_level_updated", "risk_level", "risk_last_updated_at"),
    Index("ix_risky_state", "risk_state"),
    Index("ix_risky_updated", "risk_last_updated_at"),
    Index("ix_risky_display_name", "display_name"),
    Index("ix_risky_app_id", "app_id"),
)

risk_detections = Table(
    "risk_detections",
    metadata,
    Column("id", ID, primary_key=True),
    Column("service_principal_id", ID, nullable=False),
    Column("risk_event_type", String(64), nullable=False),
    Column("risk_level", String(24), nullable=False),
    Column("risk_state", String(32), nullable=False),
    Column("risk_detail", String(64), nullable=False),
    Column("activity", String(32), nullable=False),
    Column("activity_at", UtcTimestamp, nullable=False),
    Column("detected_at", UtcTimestamp, nullable=False),
    Column("last_updated_at", UtcTimestamp, nullable=False),
    Column("detection_timing_type", String(32), nullable=False),
    Column("source", String(64), nullable=False),
    Column("token_issuer_type", String(64), nullable=False),
    Column("app_id", ID),
    Column("service_principal_display_name", Text),
    Column("ip_address", String(45)),
    Column("request_id", ID),
    Column("correlation_id", ID),
    Column("mitre_technique_id", String(32)),
    Column("location", JsonDoc),
    Column("key_ids", JsonDoc, nullable=False),
    Column("additional_info", JsonDoc, nullable=False),
    Index("ix_detections_sp_activity", "service_principal_id", "activity_at"),
    Index("ix_detections_type_activity", "risk_event_type", "activity_at"),
    Index("ix_detections_detected", "detected_at"),
    Index("ix_detections_request", "request_id"),
)

risk_history = Table(
    "risk_history",
    metadata,
    Column(
        "pk", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("id", ID, nullable=False, unique=True),
    Column("service_principal_id", ID, nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("recorded_at", UtcTimestamp, nullable=False),
    Column("initiated_by", Text),
    Column("activity_detail", String(64), nullable=False),
    Column("activity_risk_event_types", JsonDoc, nullable=False),
    Column("principal", JsonDoc, nullable=False),
    Index("uq_history_sp_seq", "service_principal_id", "sequence", unique=True),
)

rejected_records = Table(
    "rejected_records",
    metadata,
    Column(
        "pk", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("fingerprint", String(64), nullable=False, unique=True),
    Column("source", Text, nullable=False),
    Column("line", Integer, nullable=False),
    Column("kind", String(24)),
    Column("reason", Text, nullable=False),
    Column("raw", Compressed),
    Column("rejected_at", UtcTimestamp, nullable=False),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", GUID, primary_key=True),
    Column("name", Text, nullable=False),
    Column("role", String(64), nullable=False),
    #: Hex SHA-256 of the token; the token itself is never stored.
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("hint", String(16), nullable=False),
    Column("created_at", UtcTimestamp, nullable=False),
    Column("revoked_at", UtcTimestamp),
)

ingest_checkpoints = Table(
    "ingest_checkpoints",
    metadata,
    Column("path", Text, primary_key=True),
    Column("offset", BigInteger, nullable=False),
    Column("line", BigInteger, nullable=False),
    #: Size and modification time when the file was last read whole (non-appendable shapes).
    Column("size", BigInteger, nullable=False),
    Column("mtime_ns", BigInteger, nullable=False),
    Column("updated_at", UtcTimestamp, nullable=False),
    #: Bytes of an unterminated last line read past ``offset`` (revision 0007).
    Column("tail", BigInteger, nullable=False, server_default=text("0")),
    #: ``lines`` (tailed) or ``whole``, decided once from the file's start; NULL: not yet known.
    Column("format", Text, nullable=True),
    #: The file's identity when checkpointed: device, inode and the SHA-256 of its first
    #: ``head_length`` bytes. NULL in checkpoints written before revision 0007.
    Column("device", BigInteger, nullable=True),
    Column("inode", BigInteger, nullable=True),
    Column("head_length", Integer, nullable=True),
    Column("head_sha256", Text, nullable=True),
)

# The API's default order is by id: with these, a page of ``riskLevel eq`` / ``riskState eq`` is an
# index range scan that stops after one page instead of sorting every match (revision 0002).
Index("ix_risky_level_id", risky_service_principals.c.risk_level, risky_service_principals.c.id)
Index("ix_risky_state_id", risky_service_principals.c.risk_state, risky_service_principals.c.id)

detector_state = Table(
    "detector_state",
    metadata,
    Column("detector", String(64), primary_key=True),
    Column("key", String(128), primary_key=True),
    Column("state", JsonDoc, nullable=False),
    Column("updated_at", UtcTimestamp, nullable=False),
)

# Threat intelligence and leaked credentials (revision 0005). One row per indicator value (a STIX
# indicator whose pattern names several values has several rows under its id). The credential
# registry keeps HMAC-SHA256 digests under the server key and Entra's 3-character hint, never a
# secret; leak findings name a keyId and where it was found.
intel_indicators = Table(
    "intel_indicators",
    metadata,
    Column("id", String(256), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("value", String(1024), primary_key=True),
    #: One row per feed: the same indicator in two feeds stays when either is removed.
    Column("source", String(512), primary_key=True, index=True),
    Column("name", Text),
    Column("valid_from", UtcTimestamp),
    Column("valid_until", UtcTimestamp),
    Column("revoked", Boolean, nullable=False),
    Column("confidence", Integer),
    Column("labels", JsonDoc, nullable=False),
    Column("added_at", UtcTimestamp, nullable=False),
    Column("updated_at", UtcTimestamp, nullable=False),
    #: The version's time (STIX ``modified``): an older version read later does not replace it.
    Column("modified", UtcTimestamp),
)

intel_feeds = Table(
    "intel_feeds",
    metadata,
    Column("source", String(512), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("location", Text),
    Column("synced_at", UtcTimestamp, nullable=False),
    Column("indicators", Integer, nullable=False),
)

leak_credentials = Table(
    "leak_credentials",
    metadata,
    Column("key_id", ID, primary_key=True),
    Column("hint", String(8), nullable=False, index=True),
    #: Hex HMAC-SHA256 of the secret under the server key.
    Column("digest", String(64), nullable=False, index=True),
    Column("shape", String(16), nullable=False),
    Column("key_fingerprint", String(16), nullable=False),
    Column("service_principal_id", ID),
    Column("app_id", ID),
    Column("imported_at", UtcTimestamp, nullable=False),
)

leak_findings = Table(
    "leak_findings",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("key_id", ID, nullable=False, index=True),
    Column("credential_type", String(16), nullable=False),
    Column("service_principal_id", ID),
    Column("app_id", ID),
    Column("leaked_at", UtcTimestamp, nullable=False),
    Column("location", JsonDoc, nullable=False),
    Column("source", String(32), nullable=False),
    Column("first_found_at", UtcTimestamp, nullable=False),
    Column("last_found_at", UtcTimestamp, nullable=False),
)
