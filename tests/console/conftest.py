"""Fixtures of the console tests (helpers live in ``console_support`` and ``browser_support``)."""

from tests.console.browser_support import chromium  # noqa: F401
from tests.console.console_support import console, console_db, console_oidc  # noqa: F401
