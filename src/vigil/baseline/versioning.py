"""Versioned JSON state: every stored baseline carries ``version``; old versions are upgraded.

A state is a JSON object (``dict``) with an integer ``version``. :func:`upgrade` applies
``upgrades[v]`` (a function from a version-``v`` state to a version-``v + 1`` state) until the
state reaches the code's version. A state newer than the code, or one without a usable version,
raises :class:`StateVersionError`; detectors then start that profile afresh (learning again)
rather than guess at a format they do not know.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

State = dict[str, Any]
Upgrade = Callable[[State], State]


class StateVersionError(ValueError):
    """The state cannot be read by this code (missing, unknown or newer version)."""


def upgrade(
    state: Mapping[str, Any], kind: str, version: int, upgrades: Mapping[int, Upgrade]
) -> State:
    """``state`` brought to ``version`` (a new dict; ``state`` is not modified)."""
    found = state.get("version")
    if type(found) is not int:
        raise StateVersionError(f"{kind} state has no integer version: {found!r}")
    if found > version:
        raise StateVersionError(f"{kind} state version {found} is newer than this code's {version}")
    out: State = dict(state)
    while found < version:
        step = upgrades.get(found)
        if step is None:
            raise StateVersionError(f"{kind} state version {found} has no upgrade to {found + 1}")
        out = step(out)
        out["version"] = found = found + 1
    return out
