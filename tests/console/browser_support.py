"""Playwright over Debian's chromium (never a downloaded browser), and where screenshots go.

Without ``/usr/bin/chromium`` the browser tests skip with the reason, or fail when ``CI`` is set
(``scripts/ensure-chromium`` installs it; ``make test`` runs that first). Screenshots of every page
are written to ``tests/console/screenshots/`` (git-ignored), or to ``$VIGIL_CONSOLE_SCREENSHOTS``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = Path(os.environ.get("VIGIL_CONSOLE_SCREENSHOTS", Path(__file__).parent / "screenshots"))


def require_chromium() -> None:
    if CHROMIUM.exists():
        return
    reason = (
        f"{CHROMIUM} is missing: install Debian's chromium (scripts/ensure-chromium, as root); "
        "never a downloaded browser"
    )
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


# Module scope: a running sync Playwright keeps an event loop in this thread, which would break
# later tests that call asyncio.run().
@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def shot(page: Any, name: str, *, tall: bool = False) -> Path:
    """Save ``name.png``; ``tall`` makes the window tall enough to show a whole detail pane."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    size = page.viewport_size
    if tall and size:
        height = page.evaluate("document.getElementById('pane')?.scrollHeight ?? 0")
        page.set_viewport_size({"width": size["width"], "height": max(size["height"], height)})
    try:
        page.screenshot(path=str(path), full_page=True)
    finally:
        if tall and size:
            page.set_viewport_size(size)
    return path
