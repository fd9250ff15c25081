"""SQLite's one writer: taken before BEGIN IMMEDIATE, given back when the transaction ends."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from api.db import make_engine, writer_lock


def test_writers_of_several_engines_and_threads_take_turns(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'counter.db'}"
    engines = [make_engine(url), make_engine(url)]  # as two processes would
    with engines[0].begin() as connection:
        connection.execute(text("CREATE TABLE counter (n INTEGER)"))
        connection.execute(text("INSERT INTO counter VALUES (0)"))
    failures: list[BaseException] = []

    def bump(engine_index: int) -> None:
        try:
            for _ in range(40):
                with engines[engine_index].begin() as connection:
                    n = connection.execute(text("SELECT n FROM counter")).scalar_one()
                    connection.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=bump, args=(i % 2,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with engines[1].connect() as connection:
        assert connection.execute(text("SELECT n FROM counter")).scalar_one() == 240
    for engine in engines:
        engine.dispose()


def test_a_failed_transaction_gives_the_writer_back(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'failing.db'}"
    engine = make_engine(url)
    with pytest.raises(Exception, match="no such table"), engine.begin() as connection:
        connection.execute(text("INSERT INTO missing VALUES (1)"))
    lock = writer_lock(str(tmp_path / "failing.db"))
    lock.acquire()  # free again: would wait for ever otherwise
    lock.release()
    with engine.begin() as connection:  # and the engine writes again
        connection.execute(text("CREATE TABLE present (n INTEGER)"))
    engine.dispose()
