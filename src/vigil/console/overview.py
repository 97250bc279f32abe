"""The overview's document: risky principals by level and by state, detections by type, and
detections per UTC day and type over the last :data:`DAYS` days (today included).

Every figure is an index-only scan (see :mod:`vigil.store.console_queries`), so the page stays fast
with 10^5 principals; counts that would need a full table scan (levels per detection type) are left
to the detections page's filters.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from vigil.store.console_queries import ConsoleQueries

DAYS = 30


def overview_document(queries: ConsoleQueries, now: datetime) -> dict[str, Any]:
    by_level = queries.risky_counts("risk_level")
    by_state = queries.risky_counts("risk_state")
    by_type = queries.detections_by_type()
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start = today - timedelta(days=DAYS - 1)
    days = [(start + timedelta(days=i)).date().isoformat() for i in range(DAYS)]
    series = queries.detections_per_day(sorted(by_type), start, DAYS)
    return {
        "generatedDateTime": now.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "riskyServicePrincipals": {
            "total": sum(by_level.values()),
            "byLevel": by_level,
            "byState": by_state,
        },
        "detections": {"total": sum(by_type.values()), "byType": dict(sorted(by_type.items()))},
        "perDay": {
            "days": days,
            "series": dict(sorted(series.items())),
            "totals": {k: sum(v) for k, v in sorted(series.items())},
        },
    }
