"""Fixtures of the API tests (helpers live in ``tests_api_support``)."""

from tests_api_support import served  # noqa: F401
