"""Column types shared by Vigil's tables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import BigInteger, LargeBinary, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from vigil.store import rawcodec

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_micros(value: datetime) -> int:
    """Microseconds since the Unix epoch of an aware datetime (naive values are taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(value: int) -> datetime:
    return _EPOCH + timedelta(0, 0, value)  # positional: a third cheaper than microseconds=value


class UtcTimestamp(TypeDecorator[datetime]):
    """An aware UTC datetime stored as microseconds since the epoch (BIGINT).

    Integers compare and index the same on SQLite and PostgreSQL, keep microsecond precision and make
    per-principal time-range scans cheap. Comparisons with ``datetime`` literals go through this type.
    """

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> int | None:
        return None if value is None else to_micros(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return None if value is None else from_micros(int(value))


class Compressed(TypeDecorator[bytes]):
    """Raw source bytes, zstd-compressed at rest with Vigil's dictionary (``rawcodec``)."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: bytes | None, dialect: Dialect) -> bytes | None:
        return None if value is None else rawcodec.compress(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> bytes | None:
        return None if value is None else rawcodec.decompress(bytes(value))


class JsonDoc(TypeDecorator[Any]):
    """A JSON document stored as text, encoded with orjson (fast on hot ingest paths)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else orjson.dumps(value).decode()

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else orjson.loads(value)
