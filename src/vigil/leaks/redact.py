"""Secret values out of what Vigil keeps of its input: raw records and rejected records.

Vigil keeps each record as read (the ``raw`` columns) and the text of each rejected record, for
inspection. An export can hold secret values: an application's
``passwordCredentials[].secretText`` (Graph returns it when a secret is added, and scripts that
dump applications keep it), a ``secrets.json`` handed to ``vigil ingest`` by mistake, or a client
secret pasted into any field. Before such text is stored or written to a rejects file:

* every string of the form of an Entra client secret (:data:`vigil.leaks.entra_secret.PATTERN`,
  ``xxx7Q~...`` / ``xxx8Q~...``) becomes its three-character hint (Graph's ``hint``) followed by
  ``[redacted]``;
* the value of every JSON member named ``secretText``, in any case (older secrets have no ``Q~``
  form), becomes ``"[redacted]"``; a CSV row that cannot become a record in a file with such a
  column is kept as ``[redacted]`` only (:mod:`vigil.ingest.csv_reader`).

Both keep the JSON valid and a block's line structure unchanged. The first costs one byte search
(``~``) on text without a tilde. The second cannot start with a cheap search for ``ecret``, which
every sign-in holds ("clientSecret"); :func:`names_member` finds the name by its ``x`` instead, a
byte that Graph sign-ins hold about once a record, if at all. The bulk path for JSON Lines pieces
(``vigil.ingest.parse.parse_jsonl``) runs :func:`redact_shaped`, and :func:`redact` instead on a
piece in which :func:`names_member` finds the name.

A name spelled with ``\\u`` escapes (``"secret\\u0054ext"``) hides from the byte patterns:
:func:`names_escaped_member` finds it, the record is then redacted decoded
(:func:`redact_members`) and a reject's text kept as ``[redacted]`` only.

A reject of one broken JSON line would miss a secret that a line break splits: the line readers
keep only ``[redacted]`` for the rejects after a broken line that holds one
(``vigil.ingest.secret_runs``), and :func:`redact_cut` redacts a client secret that a line's end
cuts.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from vigil.leaks.entra_secret import PATTERN

MARK = b"[redacted]"
#: A ``secretText`` member's value; one cut short (an excerpt's or a broken line's end, where a
#: JSON string, which holds no raw line break, stops at the line's end) counts to where it stops.
#: The name in any case: PowerShell's ``ConvertTo-Json`` of a credential object writes
#: ``SecretText``.
_MEMBER = re.compile(
    rb'("(?i:secretText)"\s*:\s*)"(?:[^"\\\r\n]|\\.)*(?:"|\\?(?=[\r\n]|\Z))'
)
#: More than a client secret's length (40): how far from an excerpt one that reaches it can start.
_SECRET_REACH = 64
#: How far before an excerpt a ``secretText`` member reaching into it may start: its name, the
#: colon and a value far longer than any secret.
_MEMBER_REACH = 8192


def _hint_only(match: re.Match[bytes]) -> bytes:
    return match.group(1)[:3] + MARK


def redact_shaped(data: bytes) -> bytes:
    """``data`` with every client-secret-shaped string cut to its hint (module doc)."""
    if b"~" not in data:
        return data
    return PATTERN.sub(_hint_only, data)


def _may_name_member(data: bytes, start: int = 0, end: int | None = None) -> bool:
    """A cheap test before the member search: ``ecret`` in either case (``secretText``,
    ``SecretText``, ``SECRETTEXT``)."""
    return data.find(b"ecret", start, end) != -1 or data.find(b"ECRET", start, end) != -1


def names_member(data: bytes) -> bool:
    """Whether ``data`` holds ``secretText`` in any case, found by its ``x``: the test for running
    the member search on a bulk piece, where ``_may_name_member`` is always true (module doc).

    Two byte searches (``x``, ``X``: about 0.05 µs a 2 KB sign-in) and a look at each one found
    (about 0.15 µs; a Windows user agent holds one, "x64")."""
    for x in (b"x", b"X"):
        at = data.find(x, 8)
        while at != -1:  # an e before it (``| 0x20``: either case), then the whole name
            if data[at - 1] | 0x20 == 0x65 and data[at - 8 : at + 2].lower() == b"secrettext":
                return True
            at = data.find(x, at + 1)
    return False


def redact(data: bytes) -> bytes:
    """``data`` with secret-shaped strings and ``secretText`` values redacted (module doc)."""
    data = redact_shaped(data)
    if _may_name_member(data):
        data = _MEMBER.sub(rb'\1"' + MARK + rb'"', data)
    return data


#: A string spelled with ``\u`` escapes (``"secret\u0054ext"``), which the byte patterns
#: above do not see: ``length`` characters, each plain or escaped (:func:`names_escaped`); a
#: member's name when :data:`_COLON` follows it.
def _escaped_name(length: int) -> re.Pattern[bytes]:
    return re.compile(rb'"((?:[@.A-Za-z]|\\u[0-9A-Fa-f]{4}){%d})"' % length)


_COLON = re.compile(rb"\s*:")


_ESCAPED_NAMES = {10: _escaped_name(10), 14: _escaped_name(14)}  # secretText, @odata.context
_ESCAPE_U = re.compile(rb"\\u")  # twice as fast as bytes.find for two bytes


def names_escaped(data: bytes, name: str) -> bool:
    """Whether ``data`` names the member ``name`` (ASCII; any case) with ``\\u`` escapes in its
    name, searched in a window about each escape (linear in ``data``). Costs one byte search
    (0.05 ns a byte) on text without a backslash; a two-byte ``find`` of ``\\u`` costs 1.4 ns a
    byte, 3 µs a 2 KB sign-in, which on the bulk path was a fifth of the parse."""
    if b"\\" not in data:
        return False
    pattern, reach, wanted = _ESCAPED_NAMES[len(name)], 6 * len(name) + 4, name.lower()
    escape = _ESCAPE_U.search(data)
    while escape is not None:
        at = escape.start()
        for m in pattern.finditer(data, max(0, at - reach + 2), at + reach):
            found = member_name(m.group(1))
            # the colon is looked for past the window: any run of whitespace may precede it
            if (
                found is not None
                and found.isascii()
                and found.lower() == wanted
                and _COLON.match(data, m.end())
            ):
                return True
        escape = _ESCAPE_U.search(data, at + 2)
    return False


def names_escaped_member(data: bytes) -> bool:
    """Whether ``data`` names a ``secretText`` member (any case) with ``\\u`` escapes in its name:
    valid JSON that :func:`redact` leaves as it is, so the record is redacted decoded
    (:func:`redact_members`) and a reject's text is kept as ``[redacted]`` only."""
    return names_escaped(data, "secretText")


def member_name(escaped: bytes) -> str | None:
    """A member name's text from its JSON spelling; None for one JSON cannot hold (a lone
    surrogate such as ``\\ud800``: the record is refused by the JSON reader anyway)."""
    try:
        name: str = orjson.loads(b'"' + escaped + b'"')
    except orjson.JSONDecodeError:
        return None
    return name


def hides_shaped(data: bytes) -> bool:
    """Whether ``data`` may spell a client secret with ``\\u`` escapes (``zzz8Q\\u007e...``),
    which :func:`redact_shaped` does not see: a ``\\u`` escape and a tilde, plain or escaped.
    Such a record is redacted decoded (``vigil.ingest.parse``) and never takes a fast path."""
    if b"\\u" not in data:
        return False
    return b"~" in data or b"\\u007e" in data or b"\\u007E" in data


_U_ESCAPE = re.compile(rb"\\u([0-9A-Fa-f]{4})")


def shaped_behind_escapes(data: bytes) -> bool:
    """Whether ``data``, not necessarily valid JSON (a broken line a reject keeps), spells a
    client secret with ``\\u`` escapes: its escapes replaced by what they stand for, the secret
    pattern matches where it did not before."""
    if not hides_shaped(data):
        return False
    plain = _U_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)).encode("utf-8", "replace"), data)
    return PATTERN.search(plain) is not None and PATTERN.search(data) is None


def redact_members(value: Any) -> Any:
    """``value``, decoded JSON, with the string value of every ``secretText`` member (its name in
    any case, however it was escaped) ``"[redacted]"``."""
    if isinstance(value, dict):
        return {
            k: "[redacted]" if type(v) is str and k.isascii() and k.lower() == "secrettext"
            else redact_members(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact_members(v) for v in value]
    return value


#: The start of a client secret that a line's end cuts: its hint is kept, the rest redacted.
_CUT_SECRET = re.compile(rb"([0-9A-Za-z_~.\-]{3})[78]Q~[0-9A-Za-z_~.\-]*(?=[\r\n]*\Z)")


def redact_cut(text: bytes) -> bytes:
    """``text``, a broken line's reject text, with a client secret that runs to its end, cut
    short by the line break, redacted to its hint (:func:`redact` wants the whole secret; the
    next line's reject keeps only ``[redacted]``: ``vigil.ingest.secret_runs``)."""
    if b"Q~" not in text:
        return text
    return _CUT_SECRET.sub(rb"\1" + MARK, text)


def redact_slice(data: bytes, start: int, end: int) -> bytes:
    """``data[start:end]`` (an excerpt of input for a reject) with every secret of ``data`` that
    reaches into it redacted, the parts of one the cut splits included: the slice alone may hold
    a ``secretText`` value without its member name, or too little of a client secret to show its
    form, and :func:`redact` would leave them.
    """
    start, end = max(0, start), min(len(data), max(start, end))
    spans: list[tuple[int, int]] = []
    lo, hi = max(0, start - _SECRET_REACH), end + _SECRET_REACH
    if data.find(b"~", lo, hi) != -1:
        spans += [(m.start(1) + 3, m.end(1)) for m in PATTERN.finditer(data, lo, hi)]
    # a member whose value reaches the excerpt starts at most _MEMBER_REACH before it (scanning
    # from the data's start made every reject of a large document cost the whole document)
    back = max(0, start - _MEMBER_REACH)
    if _may_name_member(data, back, hi):
        spans += [(m.end(1), m.end()) for m in _MEMBER.finditer(data, back, hi)]
    out, at = [], start
    for s, e in sorted(spans):
        s, e = max(s, at), min(e, end)
        if s < e:
            out += [data[at:s], MARK]
            at = e
    out.append(data[at:end])
    return b"".join(out)


def redact_text(text: str) -> str:
    """:func:`redact` for text (a reject's reason may quote a value)."""
    if "~" not in text and "ecret" not in text and "ECRET" not in text:
        return text
    return redact(text.encode("utf-8", "surrogateescape")).decode("utf-8", "surrogateescape")
