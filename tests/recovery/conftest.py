"""The recovery tests run against the same real servers as the API tests."""

from tests.api.conftest import ADMIN_KEY, api, bearer, make_api

__all__ = ["ADMIN_KEY", "api", "bearer", "make_api"]
