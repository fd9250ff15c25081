"""The recovery tests run against the same real servers as the API tests."""

from tests.api.conftest import api, make_api

__all__ = ["api", "make_api"]
