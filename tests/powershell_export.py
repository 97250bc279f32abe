"""What PowerShell writes for a Graph object: ``Get-Mg... | ConvertTo-Json -Depth 10``.

:func:`to_powershell` turns a Graph JSON object (a golden record) into the SDK model object that
ConvertTo-Json writes (see :mod:`vigil.normalize.powershell` for what is verified and what is
assumed): PascalCase keys (``ipAddress`` → ``IPAddress``, as AutoRest names acronyms), Graph's
``@odata.*`` members in ``AdditionalProperties`` (every object has one, empty when nothing is left
over), ``Binary`` values as arrays of numbers, and dates as PowerShell 7 (``ps7``: UTC, 7 fraction
digits) or Windows PowerShell 5.1 (``ps51``: ``/Date(ms)/``) write them. ``extra`` moves members
into ``AdditionalProperties`` as if the SDK's model lacked them.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"
POWERSHELL = DATA / "powershell"

#: Golden file → (its Graph source files, style, members the SDK model is made to lack).
GOLDEN_FILES: dict[str, tuple[tuple[str, ...], str, tuple[str, ...]]] = {
    "signins.json": (
        ("graph/signins_sp.page.json", "graph/signins_mi.page.json"),
        "ps7",
        ("servicePrincipalCredentialThumbprint",),
    ),
    "directory_audits.ps51.json": (("graph/directory_audits.page.json",), "ps51", ()),
    "service_principals.json": (("graph/service_principals.page.json",), "ps7", ()),
    "applications.json": (("graph/applications.page.json",), "ps7", ("publisherDomain",)),
}
_ACRONYMS = {"ipAddress": "IPAddress"}
_BINARY = ("customKeyIdentifier", "key")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def graph_items(path: str) -> list[dict[str, Any]]:
    page = json.loads((DATA / path).read_text())
    return page["value"] if isinstance(page, dict) else page


def pascal(key: str) -> str:
    return _ACRONYMS.get(key) or key[:1].upper() + key[1:]


def to_powershell(graph: Any, style: str = "ps7", extra: tuple[str, ...] = ()) -> Any:
    """The object ConvertTo-Json writes for ``graph`` (module docstring)."""
    if isinstance(graph, list):
        return [to_powershell(item, style, extra) for item in graph]
    if not isinstance(graph, dict):
        return graph
    out: dict[str, Any] = {}
    additional: dict[str, Any] = {}
    for key, value in graph.items():
        if key.startswith("@") or key in extra:
            additional[key] = value  # Graph's own JSON, as the SDK keeps it
        elif key.endswith("DateTime") and isinstance(value, str):
            out[pascal(key)] = _date(value, style)
        elif key in _BINARY and isinstance(value, str):
            out[pascal(key)] = _bytes(value)
        else:
            out[pascal(key)] = to_powershell(value, style, extra)
    out["AdditionalProperties"] = additional
    return out


def ms_precision(graph: Any) -> Any:
    """``graph`` with its times cut to the milliseconds ``/Date(ms)/`` keeps."""
    if isinstance(graph, list):
        return [ms_precision(item) for item in graph]
    if not isinstance(graph, dict):
        return graph
    return {
        key: _utc(value).isoformat(timespec="milliseconds")
        if key.endswith("DateTime") and isinstance(value, str)
        else ms_precision(value)
        for key, value in graph.items()
    }


def golden_file(name: str) -> list[dict[str, Any]]:
    """The records of ``tests/data/powershell/<name>``, built from their Graph sources."""
    sources, style, extra = GOLDEN_FILES[name]
    return [to_powershell(item, style, extra) for path in sources for item in graph_items(path)]


def dumps(records: list[dict[str, Any]], style: str) -> str:
    """As ConvertTo-Json lays it out. PowerShell 7: 2-space indent, text as it is. Windows
    PowerShell 5.1: 4-space indent, two spaces after a colon, ``/`` of its dates as ``\\/``, and
    non-ASCII, ``'``, ``<``, ``>``, ``&`` as ``\\uXXXX`` (its JavaScriptSerializer)."""
    if style == "ps7":
        return json.dumps(records, indent=2, ensure_ascii=False) + "\n"
    text = json.dumps(records, indent=4)
    text = text.replace('"/Date(', '"\\/Date(').replace(')/"', ')\\/"')
    for char in "'<>&":
        text = text.replace(char, f"\\u{ord(char):04x}")
    return re.sub(r'^( *"(?:[^"\\]|\\.)*"): ', r"\1:  ", text, flags=re.MULTILINE) + "\n"


def _fraction(text: str) -> str:
    """The fraction digits of an ISO time (``"1234567"`` of ``09:21:07.1234567Z``)."""
    rest = text.partition(".")[2] if "." in text[19:20] else ""
    return rest[: len(rest) - len(rest.lstrip("0123456789"))]


def _utc(text: str) -> datetime:
    fraction = _fraction(text)
    whole = text[:19] + text[20 + len(fraction) :] if fraction else text
    parsed = datetime.fromisoformat(whole.replace("Z", "+00:00"))
    micro = int((fraction + "000000")[:6]) if fraction else 0
    return parsed.replace(microsecond=micro, tzinfo=parsed.tzinfo or UTC).astimezone(UTC)


def _date(text: str, style: str) -> str:
    """PowerShell 7: Newtonsoft's ``yyyy-MM-ddTHH:mm:ss.FFFFFFFK`` of the UTC time (100 ns ticks,
    trailing zeros dropped); 5.1: ``/Date(ms)/``."""
    moment = _utc(text)
    if style == "ps51":
        return f"/Date({(moment - _EPOCH) // timedelta(milliseconds=1)})/"
    digits = _fraction(text)[:7].rstrip("0")
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + (f".{digits}" if digits else "") + "Z"


def _bytes(text: str) -> Any:
    """``byte[]`` as ConvertTo-Json writes it; a value that is not base64 stays a string."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return text
    return list(raw) if base64.b64encode(raw).decode() == text else text


def write_golden_files() -> None:
    """Regenerate ``tests/data/powershell``: ``python -m tests.powershell_export``."""
    for name, (_, style, _) in GOLDEN_FILES.items():
        (POWERSHELL / name).write_text(dumps(golden_file(name), style))


if __name__ == "__main__":
    write_golden_files()
