"""Tokenizer of OData ``$filter`` text (see :mod:`vigil.api.odata_filter` for the grammar)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from vigil.api.odata_types import _INT64_MAX, _INT64_MIN, ODataQueryError, Value, _clip


@dataclass(frozen=True)
class _Token:
    kind: str  # "word" | "string" | "enum" | "int" | "datetime" | "(" | ")" | "," | "end"
    text: str
    pos: int
    value: Value = None


_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: The type name of a qualified enum literal (``microsoft.graph.riskLevel'high'``), up to its quote.
_ENUM_TYPE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+(?=')")
_NUMERIC_CHUNK = re.compile(r"-?[0-9][0-9A-Za-z:.+\-_]*")
_INT = re.compile(r"-?[0-9]+")
_DATETIME = re.compile(
    r"(?P<y>[0-9]{4})-(?P<mo>[0-9]{2})-(?P<d>[0-9]{2})"
    r"(?:[Tt](?P<h>[0-9]{2}):(?P<mi>[0-9]{2})(?::(?P<s>[0-9]{2})(?:\.(?P<f>[0-9]+))?)?"
    r"(?P<tz>[Zz]|[+-][0-9]{2}:[0-9]{2}))?"
)


def _error(message: str, position: int | None) -> ODataQueryError:
    return ODataQueryError("$filter", message, position)


def _parse_datetime(m: re.Match[str], text: str, pos: int) -> datetime:
    try:
        date = (int(m["y"]), int(m["mo"]), int(m["d"]))
        if m["h"] is None:
            return datetime(*date, tzinfo=UTC)
        micro = int((m["f"] or "")[:6].ljust(6, "0"))
        tz = m["tz"]
        offset = timedelta(0)
        if tz not in ("Z", "z"):
            hours, minutes = int(tz[1:3]), int(tz[4:6])
            if minutes > 59:
                raise ValueError("offset minutes must be in 0..59")
            offset = timedelta(hours=hours, minutes=minutes) * (-1 if tz[0] == "-" else 1)
        local = datetime(
            *date, int(m["h"]), int(m["mi"]), int(m["s"] or 0), micro, tzinfo=timezone(offset)
        )
        return local.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise _error(f"invalid datetime literal {_clip(text)!r} ({exc})", pos) from None


def _string(text: str, start: int) -> tuple[int, str]:
    """The quoted string at ``text[start]`` (``''`` is an escaped quote): its end and value."""
    parts: list[str] = []
    j = start + 1
    while True:
        close = text.find("'", j)
        if close < 0:
            raise _error("unterminated string literal (missing closing quote)", start)
        if (nul := text.find("\x00", j, close)) >= 0:
            raise _error("NUL characters are not allowed", nul)
        parts.append(text[j:close])
        if text.startswith("'", close + 1):
            parts.append("'")
            j = close + 2
        else:
            return close + 1, "".join(parts)


def _tokenize(text: str) -> Iterator[_Token]:
    """Yield the tokens of ``text`` lazily (so errors surface in source order), then ``end``."""
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if (m := _SPACE.match(text, i)) is not None:
            i = m.end()
        elif ch in "(),":
            yield _Token(ch, ch, i)
            i += 1
        elif ch == "'":
            end, value = _string(text, i)
            yield _Token("string", text[i:end], i, value)
            i = end
        elif (m := _ENUM_TYPE.match(text, i)) is not None:
            end, value = _string(text, m.end())
            yield _Token("enum", text[i:end], i, value)
            i = end
        elif (m := _WORD.match(text, i)) is not None:
            yield _Token("word", m.group(), i)
            i = m.end()
        elif (m := _NUMERIC_CHUNK.match(text, i)) is not None:
            chunk = m.group()
            if _INT.fullmatch(chunk):
                if len(chunk) > 20 or not _INT64_MIN <= int(chunk) <= _INT64_MAX:
                    raise _error(f"integer literal {_clip(chunk)} is outside the 64-bit range", i)
                yield _Token("int", chunk, i, int(chunk))
            elif (dm := _DATETIME.fullmatch(chunk)) is not None:
                yield _Token("datetime", chunk, i, _parse_datetime(dm, chunk, i))
            else:
                raise _error(
                    f"invalid literal {_clip(chunk)!r}; expected an integer or a datetime such as "
                    "2021-01-01T00:00:00Z (decimals and arithmetic are not supported)",
                    i,
                )
            i = m.end()
        else:
            hint = ""
            if ch == "/":
                hint = "; property paths and lambda operators (any/all) are not supported"
            elif ch in "+-*":
                hint = "; arithmetic is not supported"
            raise _error(f"unexpected character {ch!r}{hint}", i)
    yield _Token("end", "", n)
