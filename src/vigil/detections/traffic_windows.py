"""A principal's Microsoft Graph traffic baseline and its running hour, for ``suspiciousAPITraffic``.

Traffic is cut into clock hours (``epoch seconds // 3600``; the cut depends on record times only).
The running hour counts requests, response bytes, 403s, the directory collections listed and
next-page requests, endpoints and sensitive endpoints never used before, and reconnaissance user
agents. When a later hour starts, the finished one is learned into the baseline unless it was
medium or high (protected learning):

* log2 histograms (:mod:`vigil.baseline.histogram`) of requests, bytes and 403s per active hour;
* the endpoints used (CRC-32 of their templates, the ``eps_cap`` most recent) and the directory
  collections listed;
* the collections first listed in the last ``long_hours`` (a week) in hours that began past the
  principal's learning (``fresh``, at most ``FRESH_CAP``), for enumeration spread over hours or
  days.

Signals of an hour and their points (levels: 1-2 low, 3-4 medium, 5+ high):

=============  ======  ===========================================================================
signal         points  when
=============  ======  ===========================================================================
recon          3       a user agent names a reconnaissance tool (also while learning)
enumeration    3 (+1)  ≥ ``enum_min`` directory collections listed in the hour, ≥ ``enum_new`` of
                       them never listed before (+1 with ≥ 3 next-page requests); while learning
                       ≥ ``learning_enum_min`` collections, ≥ ``enum_new`` new, and among them
                       a privileged listing, new or not
                       (:data:`~vigil.detections.graph_requests.PRIVILEGED_PREFIXES`); past
                       learning, also slow enumeration: a collection never listed before, with
                       those first listed in the ``span_hours`` before it ≥ ``span_new`` (5),
                       or in the ``long_hours`` (168) before it ≥ ``long_new`` (8)
requests       2 (3)   requests ≥ max(``req_floor``, ``req_factor`` × the baseline's p99 hour)
                       (3 points at four times that)
bytes          2 (3)   response bytes ≥ max(``bytes_floor``, ``bytes_factor`` × p99) (3 at 10×)
forbidden      2       403s ≥ max(``f403_floor``, ``f403_factor`` × p99) and ≥ 5 % of requests
sensitive      1 each  first use of a sensitive endpoint (at most 2 points)
=============  ======  ===========================================================================

While the principal learns only recon and the learning enumeration count, and with that
enumeration its 403s (forbidden, against the floor).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from vigil.baseline import DAY, LearningPeriod, Log2Histogram

VERSION = 1


@dataclass(frozen=True, slots=True)
class Thresholds:
    req_floor: int = 100
    req_factor: float = 5.0
    bytes_floor: int = 100_000_000
    bytes_factor: float = 10.0
    f403_floor: int = 10
    f403_factor: float = 5.0
    enum_min: int = 4
    enum_new: int = 3
    learning_enum_min: int = 5
    span_new: int = 5
    span_hours: int = 24
    long_new: int = 8
    long_hours: int = 168
    eps_cap: int = 64


#: Collections kept in ``TrafficBaseline.fresh``.
FRESH_CAP = 32


def new_window(hour: int) -> dict[str, Any]:
    return {"h": hour, "req": 0, "bytes": 0, "f403": 0, "dirs": [], "novel": 0, "pages": 0,
            "new": [], "sens": [], "priv": [], "recon": None, "level": None, "ua": None, "lim": None}


def limits(w: dict[str, Any], base: TrafficBaseline, th: Thresholds) -> list[int]:
    """The hour's limits (requests, bytes, 403s), from the baseline as it was when the hour
    began (it is only learned when the hour ends); computed when first needed, as every limit is
    at least its floor."""
    if w["lim"] is None:
        usual = [base.req.upper(0.99), base.bytes.upper(0.99), base.f403.upper(0.99)]
        w["usual"] = usual
        w["lim"] = [max(th.req_floor, int(th.req_factor * usual[0])),
                    max(th.bytes_floor, int(th.bytes_factor * usual[1])),
                    max(th.f403_floor, int(th.f403_factor * usual[2]))]
    return list(w["lim"])


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000:
            return f"{n:.0f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"


def _forbidden(w: Mapping[str, Any], th: Thresholds) -> tuple[int, str] | None:
    f403_lim = (w["lim"] or (th.req_floor, th.bytes_floor, th.f403_floor))[2]
    f403_usual = (w.get("usual") or (0, 0, 0))[2]
    if w["f403"] >= f403_lim and w["f403"] >= 0.05 * w["req"]:
        return (2, f"{w['f403']} of the hour's first {w['req']} requests refused with 403; "
                   f"usually fewer than {max(f403_usual, 1)}")
    return None


def _learning_signals(w: Mapping[str, Any], new: list[str], th: Thresholds,
                      out: dict[str, tuple[int, str]]) -> None:
    """While learning: enumeration by absolute floors (``learning_enum_min`` collections in the
    hour, ``enum_new`` of them never listed before, a privileged listing among them, new or not),
    then its 403s."""
    listed, priv = w["dirs"], w.get("priv") or ()
    if len(listed) < th.learning_enum_min or len(new) < th.enum_new or not priv:
        return
    out["enumeration"] = (4 if w["pages"] >= 3 else 3,
                          f"while learning, listed {len(listed)} directory collections in one "
                          f"hour (at least {th.learning_enum_min} with a privileged one), "
                          f"{len(new)} never before ({', '.join(new)}); privileged: "
                          f"{', '.join(priv)}; {w['pages']} next-page requests")
    forbidden = _forbidden(w, th)
    if forbidden is not None:
        out["forbidden"] = forbidden


def signals(w: Mapping[str, Any], known_dirs: set[str], th: Thresholds,
            learning: bool, fresh: list[list[Any]] | None = None) -> dict[str, tuple[int, str]]:
    """Signal name → (points, explanation) of a running hour (see the module table);
    ``fresh``: the baseline's recently first-listed collections (``[collection, hour]``)."""

    out: dict[str, tuple[int, str]] = {}
    if w["recon"]:
        out["recon"] = (3, f"user agent {w['ua']!r} is the reconnaissance tool {w['recon']}")
    listed = w["dirs"]
    new = sorted(d for d in listed if d not in known_dirs)
    if learning:
        _learning_signals(w, new, th, out)
        return out
    req_lim, bytes_lim, _ = w["lim"] or (th.req_floor, th.bytes_floor, th.f403_floor)
    req_usual, bytes_usual, _ = w.get("usual") or (0, 0, 0)
    if len(listed) >= th.enum_min and len(new) >= th.enum_new:
        paging = w["pages"] >= 3
        out["enumeration"] = (4 if paging else 3,
                              f"listed {len(listed)} directory collections in one hour, "
                              f"{len(new)} never before ({', '.join(new)}); "
                              f"{w['pages']} next-page requests")
    elif new and fresh:
        _slow_enumeration(w, new, fresh, th, out)
    if w["req"] >= req_lim:
        out["requests"] = (3 if w["req"] >= 4 * req_lim else 2,
                           f"at least {w['req']} requests in one hour; usually fewer than {req_usual}")
    if w["bytes"] >= bytes_lim:
        out["bytes"] = (3 if w["bytes"] >= 10 * bytes_lim else 2,
                        f"at least {_size(w['bytes'])} of responses in one hour; usually less than "
                        f"{_size(bytes_usual)}")
    forbidden = _forbidden(w, th)
    if forbidden is not None:
        out["forbidden"] = forbidden
    if w["sens"]:
        out["sensitive"] = (min(2, len(w["sens"])),
                            f"first use of sensitive endpoints: {', '.join(w['sens'])}")
    return out


def _slow_enumeration(w: Mapping[str, Any], new: list[str], fresh: list[list[Any]],
                      th: Thresholds, out: dict[str, tuple[int, str]]) -> None:
    """Enumeration spread over hours: the hour lists collections never listed before, and with
    those first listed in the ``span_hours`` before it they are ``span_new`` or more, or with
    those of the ``long_hours`` before it ``long_new`` or more (a few a day, for days)."""
    hour = int(w["h"])
    for hours, least in ((th.span_hours, th.span_new), (th.long_hours, th.long_new)):
        earlier = {str(d): int(h) for d, h in fresh if 0 < hour - int(h) < hours}
        names = sorted(earlier.keys() - set(new))
        if len(new) + len(names) < least:
            continue
        ago = hour - min(earlier.values(), default=hour)
        span = f"{ago} hours" if ago < 48 else f"{ago / 24:.1f} days"
        out["enumeration"] = (3, f"listed {len(new)} directory collections never listed before "
                                 f"({', '.join(new)}), after {len(names)} first listed in the "
                                 f"{span} before ({', '.join(names)})")
        return


def level_of(points: int) -> str | None:
    return "high" if points >= 5 else "medium" if points >= 3 else "low" if points >= 1 else None


class TrafficBaseline:
    """State: ``{"version", "first", "last", "n", "hours", "halved", "req", "bytes", "f403",
    "eps", "dirs", "win", "ep"}`` (histograms as bucket lists, ``eps`` a list of CRC-32s)."""

    __slots__ = ("bytes", "dirs", "ep", "eps", "eps_set", "f403", "first", "fresh", "halved",
                 "held", "hours", "last", "n", "req", "win")

    def __init__(self, state: Mapping[str, Any] | None = None) -> None:
        s = state if state and state.get("version") == VERSION else {}
        self.first: int | None = s.get("first")
        self.last: int | None = s.get("last")
        self.n = int(s.get("n", 0))
        self.hours = int(s.get("hours", 0))
        self.halved: int | None = s.get("halved")
        self.req = Log2Histogram.from_state(s.get("req"))
        self.bytes = Log2Histogram.from_state(s.get("bytes"))
        self.f403 = Log2Histogram.from_state(s.get("f403"))
        self.eps: list[int] = [int(x) for x in s.get("eps") or ()]
        self.eps_set = set(self.eps)
        self.dirs: set[str] = set(s.get("dirs") or ())
        self.fresh: list[list[Any]] = [list(e) for e in s.get("fresh") or ()]
        #: Flagged hours, unlearned, until an admin's verdict: ``[episode id, hour summary]``.
        self.held: list[list[Any]] = [list(e) for e in s.get("held") or ()]
        self.win: dict[str, Any] | None = s.get("win")
        self.ep: dict[str, Any] | None = s.get("ep")

    def learning(self, t: int, period: LearningPeriod) -> str | None:
        return period.reason(self.first, t, self.n, "requests")

    def seen(self, t: int) -> None:
        if self.first is None:
            self.first = self.halved = t
        self.last = t if self.last is None else max(self.last, t)

    def learn_window(self, w: Mapping[str, Any], th: Thresholds, halve_days: int,
                     settled: bool = True) -> None:
        """Learn a finished hour (callers skip medium and high ones); ``settled``: the principal
        is past learning, so the collections it first listed go to ``fresh``."""
        end = (int(w["h"]) + 1) * 3600
        if self.halved is not None and end - self.halved >= halve_days * DAY:
            for h in (self.req, self.bytes, self.f403):
                h.halve()
            self.halved = end
        self.n += int(w["req"])
        self.hours += 1
        self.req.learn_one(int(w["req"]))
        self.bytes.learn_one(int(w["bytes"]))
        self.f403.learn_one(int(w["f403"]))
        for key in w["new"]:
            if key not in self.eps_set:
                self.eps.append(key)
                self.eps_set.add(key)
        while len(self.eps) > th.eps_cap:
            self.eps_set.discard(self.eps.pop(0))
        hour = int(w["h"])
        fresh = [e for e in self.fresh if hour - int(e[1]) < max(th.span_hours, th.long_hours)]
        if settled:
            fresh += [[d, hour] for d in w["dirs"] if d not in self.dirs]
        self.fresh = fresh[-FRESH_CAP:]
        self.dirs.update(w["dirs"])

    def to_state(self) -> dict[str, Any]:
        return {"version": VERSION, "first": self.first, "last": self.last, "n": self.n,
                "hours": self.hours, "halved": self.halved, "req": self.req.to_state(),
                "bytes": self.bytes.to_state(), "f403": self.f403.to_state(),
                "eps": list(self.eps), "dirs": sorted(self.dirs), "win": self.win, "ep": self.ep,
                **({"fresh": self.fresh} if self.fresh else {}),
                **({"held": self.held} if self.held else {})}
