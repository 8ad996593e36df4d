"""Stores on a web app's connections: many requests, one database, each in its own transaction."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

import campaignflow as cf
from campaignflow.presets import safety
from campaignflow.store import SQLStore
from campaignflow.store._engines import engine_for

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


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
class TestFork:
    def test_a_forked_child_opens_its_own_connections(
        self, kind: str, tmp_path: Path, request: pytest.FixtureRequest
    ) -> None:
        """After fork (gunicorn --preload), the child drops the pool it inherited and writes on its own."""
        url = _url(kind, tmp_path, request)
        run = CAMPAIGN.start(["s1", "s2"], store=url)
        run.record("s1", safety.Briefing(attendees=1), by=SEC)  # the parent's pool holds a connection
        engine = engine_for(url)  # the library's cached engine for the URL
        assert engine.pool.checkedin() >= 1
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child reports through the pipe
            try:
                inherited = engine.pool.checkedin()
                child = CAMPAIGN.open(["s1", "s2"], url)
                step = child.record("s2", safety.Briefing(attendees=2), by=SEC)
                os.write(write, f"{inherited} {step.seq}".encode())
            finally:
                os._exit(0)
        os.close(write)
        with os.fdopen(read) as pipe:
            inherited, seq = pipe.read().split()
        os.waitpid(pid, 0)
        assert inherited == "0"
        again = CAMPAIGN.open(["s1", "s2"], url)
        last = again.record("s1", safety.Briefing(attendees=3), by=SEC)  # the parent's pool still works
        assert [s.seq for s in again.history("s2")] == [int(seq)]
        assert last.seq > int(seq)
        assert CAMPAIGN.verify(["s1", "s2"], url).ok


class TestOpenOnAConnection:
    def test_an_empty_database_is_refused_and_left_empty(self, tmp_path: Path) -> None:
        """open() on the app's connection to a database with no campaign refuses; only start() creates."""
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'empty.db'}")
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE app_notes (text TEXT)")
        with engine.begin() as conn, pytest.raises(cf.StoreError, match=r"holds no campaign: start one"):
            CAMPAIGN.open(["s1"], SQLStore(conn, evidence_types=TYPES))
        assert sa.inspect(engine).get_table_names() == ["app_notes"]
        with engine.begin() as conn:
            CAMPAIGN.start(["s1"], store=SQLStore(conn, evidence_types=TYPES))
        with engine.connect() as conn:
            assert CAMPAIGN.open(["s1"], SQLStore(conn, evidence_types=TYPES)).stage_of("s1") == "mobilise"
        engine.dispose()


def _request(engine: sa.Engine, units: list[str], work: Callable[[cf.Run], object]) -> None:
    """One web request: open the run on the request's own transaction, do ``work``, commit."""
    with engine.begin() as conn:
        work(CAMPAIGN.open(units, SQLStore(conn, evidence_types=TYPES)))


def _kinds(url: str, unit: str) -> list[str]:
    return [s.kind.value for s in SQLStore(url, evidence_types=TYPES).history(unit)]


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
class TestRefusalsKept:
    def test_a_closed_gate_is_logged_though_the_request_rolls_back(
        self, kind: str, tmp_path: Path, request: pytest.FixtureRequest
    ) -> None:
        """GateClosed escaping `with engine.begin()` leaves its deny step committed, and says where."""
        url = _url(kind, tmp_path, request)
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            CAMPAIGN.start(["s1"], store=SQLStore(conn, evidence_types=TYPES))
        with pytest.raises(cf.GateClosed) as refused:
            _request(engine, ["s1"], lambda run: run.fire("s1", "start", by=SEC))
        engine.dispose()
        error = refused.value
        (step,) = SQLStore(url, evidence_types=TYPES).history("s1")
        assert (step.kind, step.seq, step.actor, step.at) == (cf.Kind.DENY, error.seq, "sec", error.at)
        assert error.kept
        assert step.verdict == error.verdict
        assert CAMPAIGN.verify(["s1"], url).ok

    def test_a_permission_refusal_is_logged_though_the_request_rolls_back(
        self, kind: str, tmp_path: Path, request: pytest.FixtureRequest
    ) -> None:
        """A PermissionDenied escaping the request's rollback leaves its denial kept, the unit untouched."""
        url = _url(kind, tmp_path, request)
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            CAMPAIGN.start(["s1", "s2"], store=SQLStore(conn, evidence_types=TYPES))
        outsider = cf.Actor(id="out", roles={"secretary"}, scope={"s2"})
        with pytest.raises(cf.PermissionDenied) as refused:
            _request(
                engine, ["s1", "s2"], lambda run: run.record("s1", safety.Briefing(attendees=3), by=outsider)
            )
        engine.dispose()
        error = refused.value
        store = SQLStore(url, evidence_types=TYPES)
        assert store.history("s1") == ()
        assert store.row("s1") is None  # no version bumped: the unit's writers never conflict with it
        (denial,) = store.denials()
        assert (denial.seq, denial.unit, denial.actor, denial.at, error.kept) == (
            error.seq,
            "s1",
            "out",
            error.at,
            True,
        )
        report = CAMPAIGN.verify(["s1", "s2"], url)
        assert (report.ok, report.denials) == (True, 1)

    def test_after_the_request_wrote_the_refusal_goes_with_its_transaction(
        self, kind: str, tmp_path: Path, request: pytest.FixtureRequest
    ) -> None:
        """A refusal after a write in the same request joins that transaction: kept=False, seq given."""
        url = _url(kind, tmp_path, request)
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            CAMPAIGN.start(["s1"], store=SQLStore(conn, evidence_types=TYPES))

        def record_then_fire(run: cf.Run) -> None:
            run.record("s1", safety.Exit(location="east", blocked=True), by=SEC)
            run.fire("s1", "start", by=SEC)

        with pytest.raises(cf.GateClosed) as refused:
            _request(engine, ["s1"], record_then_fire)
        engine.dispose()
        assert not refused.value.kept
        assert refused.value.seq is not None
        assert _kinds(url, "s1") == []
        assert CAMPAIGN.verify(["s1"], url).ok
