"""Stores on a web app's connections: many requests, one database, each in its own transaction."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

import campaignflow as cf
from campaignflow.presets import safety
from campaignflow.store import SQLStore

SEC = cf.Actor(id="sec", roles={"secretary", "inspector"})
CAMPAIGN = safety.campaign()
TYPES = CAMPAIGN.build().evidence_types


def _url(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'web.db'}"
    return str(request.getfixturevalue("pg_fresh"))


def _attendees(url: str, unit: str) -> list[int]:
    store = SQLStore(url, evidence_types=TYPES)
    return [s.evidence.value.attendees for s in store.history(unit) if s.evidence is not None]


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
class TestLostRace:
    def test_retry_on_the_callers_connection_leaves_the_winner_and_the_retry(
        self, kind: str, tmp_path: Path, request: pytest.FixtureRequest
    ) -> None:
        """Request A opens, B records and commits, A records through retry and commits: two steps."""
        url = _url(kind, tmp_path, request)
        engine = sa.create_engine(url)  # built by the app, not by campaignflow
        with engine.begin() as conn:
            CAMPAIGN.start(["s1"], store=SQLStore(conn, evidence_types=TYPES))
        with engine.begin() as a:
            run_a = CAMPAIGN.open(["s1"], SQLStore(a, evidence_types=TYPES))
            with engine.begin() as b:
                run_b = CAMPAIGN.open(["s1"], SQLStore(b, evidence_types=TYPES))
                run_b.record("s1", safety.Briefing(attendees=3), by=SEC)
            step = cf.retry(run_a, lambda: run_a.record("s1", safety.Briefing(attendees=4), by=SEC))
        engine.dispose()
        assert _attendees(url, "s1") == [3, 4]
        assert step.seq == SQLStore(url, evidence_types=TYPES).history("s1")[-1].seq
        assert CAMPAIGN.verify(["s1"], url).ok

    def test_concurrent_requests_never_collide(
        self, kind: str, tmp_path: Path, request: pytest.FixtureRequest
    ) -> None:
        """Threads, each request on its own connection of an app-built engine: every write lands once."""
        url = _url(kind, tmp_path, request)
        engine = sa.create_engine(url)
        units = ["s1", "s2"]
        with engine.begin() as conn:
            CAMPAIGN.start(units, store=SQLStore(conn, evidence_types=TYPES))
        acknowledged: list[int] = []
        failures: list[BaseException] = []
        lock = threading.Lock()

        def worker(n: int) -> None:
            for i in range(15):
                unit = units[(n + i) % 2]
                try:
                    with engine.begin() as conn:
                        run = CAMPAIGN.open(units, SQLStore(conn, evidence_types=TYPES))
                        note = safety.Briefing(attendees=n * 100 + i + 1)
                        step = cf.retry(
                            run, lambda r=run, u=unit, b=note: r.record(u, b, by=SEC), attempts=50
                        )
                except BaseException as exc:  # noqa: BLE001 - collected and asserted below
                    with lock:
                        failures.append(exc)
                else:
                    with lock:
                        acknowledged.append(step.seq)

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        engine.dispose()
        assert failures == []
        assert len(set(acknowledged)) == 60
        assert sorted(acknowledged) == sorted(s.seq for s in SQLStore(url, evidence_types=TYPES).steps())
        assert CAMPAIGN.verify(units, url).ok
