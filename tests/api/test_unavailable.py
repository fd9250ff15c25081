"""While the database cannot be reached the server says 503, files nothing, and recovers.

The database is PostgreSQL behind a relay the test cuts: real refused connections.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy.engine import make_url

from tests.api.conftest import RunningApi
from tests.api.factories import assert_problem, extract, model_with_zones, picture_bytes
from tests.conftest import PostgresDatabases
from tests.relay import Relay


@pytest.fixture
def relayed_database(
    postgres: PostgresDatabases | None, database_url: str
) -> Iterator[tuple[str, Relay]]:
    if postgres is None or not database_url.startswith("postgresql"):
        pytest.skip("the relay stands in front of PostgreSQL (ZONECUT_TEST_DATABASE_URL)")
    url = postgres.create_migrated()
    parsed = make_url(url)
    relay = Relay(parsed.host or "127.0.0.1", parsed.port or 5432)
    try:
        yield parsed.set(host="127.0.0.1", port=relay.port).render_as_string(False), relay
    finally:
        relay.close()
        postgres.drop(url)


def test_a_lost_database_means_503_and_nothing_filed_until_it_returns(
    make_api: Callable[..., RunningApi], relayed_database: tuple[str, Relay]
) -> None:
    url, relay = relayed_database
    api = make_api(database_url=url)
    model = model_with_zones(api.client)
    assert extract(api.client, model["id"], picture_bytes()).status_code == 201
    filed = api.output_files()

    relay.cut()
    assert_problem(api.client.get("/ready"), 503, "database")
    refused = extract(api.client, model["id"], picture_bytes())
    assert_problem(refused, 503)
    assert int(refused.headers["retry-after"]) > 0
    assert api.output_files() == filed
    assert api.client.get("/health").status_code == 200  # the process itself is fine

    relay.restore()
    assert api.client.get("/ready").status_code == 200
    assert extract(api.client, model["id"], picture_bytes()).status_code == 201
    assert len(api.output_files()) == len(filed) + len(model["zones"])
