"""One conformance suite for every store: memory, SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import sqlalchemy as sa

import campaignflow as cf
from campaignflow.presets import safety
from campaignflow.store import SQLStore

SEC = cf.Actor(id="sec", roles={"secretary", "inspector"})


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> object:
    """A fresh store target of each kind."""
    if request.param == "memory":
        return cf.MemoryStore()
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return request.getfixturevalue("pg_fresh")


def _work(run: cf.Run) -> None:
    run.record("s1", safety.Briefing(attendees=3), by=SEC)
    run.fire("s1", "start", by=SEC)
    step = run.record("s1", safety.Inspection(hours=1.5, inspector="王"), by=SEC)
    assert step.evidence is not None
    run.retract("s1", step.evidence.id, reason="wrong site", by=SEC)
    run.record_many([("s1", safety.Inspection(hours=2)), ("s2", safety.Briefing(attendees=9))], by=SEC)
    with pytest.raises(cf.GateClosed):
        run.fire("s1", "approve", by=SEC)


class TestConformance:
    def test_replay_equals_live(self, target: object) -> None:
        """A run reopened from the store equals the live run, and verify() agrees."""
        c = safety.campaign()
        run = c.start(["s1", "s2"], store=target, clock=cf.FixedClock(), ids=cf.CountingIds())
        _work(run)
        again = c.open(["s1", "s2"], target)
        for unit in ("s1", "s2"):
            assert again.state(unit) == run.state(unit)
            assert again.history(unit) == run.history(unit)
        assert [r.value for r in again.evidence("s1", safety.Inspection)] == [safety.Inspection(hours=2)]
        report = c.verify(["s1", "s2"], target)
        assert report.ok, report.problem

    def test_lost_race_writes_nothing(self, target: object) -> None:
        """A stale writer gets ConcurrentUpdate and the store is unchanged."""
        c = safety.campaign()
        first = c.start(["s1"], store=target, ids=cf.CountingIds("a"))
        second = c.open(["s1"], target, ids=cf.CountingIds("b"))
        first.record("s1", safety.Briefing(attendees=3), by=SEC)
        before = first.history("s1")
        with pytest.raises(cf.ConcurrentUpdate):
            second.record("s1", safety.Briefing(attendees=4), by=SEC)
        assert second.history("s1") == before
        cf.retry(second, lambda: second.fire("s1", "start", by=SEC))
        assert c.verify(["s1"], target).ok

    def test_hash_chain(self, target: object) -> None:
        """Each step's prev_hash is its unit's previous hash."""
        run = safety.campaign().start(["s1", "s2"], store=target)
        _work(run)
        history = run.history("s1")
        assert history[0].prev_hash == ""
        for a, b in itertools.pairwise(history):
            assert b.prev_hash == a.hash


class TestUserTransaction:
    @pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
    def test_step_commits_or_rolls_back_with_the_apps_own_rows(
        self, kind: str, tmp_path: Path, request: pytest.FixtureRequest
    ) -> None:
        """Given the app's connection, a step lands only if the app's transaction commits."""
        url = f"sqlite:///{tmp_path / 'app.db'}" if kind == "sqlite" else request.getfixturevalue("pg_fresh")
        engine = sa.create_engine(url)
        notes = sa.Table("app_notes", sa.MetaData(), sa.Column("text", sa.Text))
        notes.metadata.create_all(engine)
        c = safety.campaign()
        with engine.connect() as conn:
            run = c.start(["s1"], store=SQLStore(conn))
            conn.commit()
            with conn.begin():
                run.record("s1", safety.Briefing(attendees=3), by=SEC)
                conn.execute(notes.insert().values(text="briefing held"))
            trans = conn.begin()
            run.record("s1", safety.Briefing(attendees=5), by=SEC)
            conn.execute(notes.insert().values(text="rolled back"))
            trans.rollback()
        with engine.connect() as conn:
            assert conn.execute(sa.select(notes.c.text)).scalars().all() == ["briefing held"]
        store = SQLStore(url, evidence_types=c.build().evidence_types)
        assert [s.evidence.value.attendees for s in store.history("s1") if s.evidence] == [3]
        engine.dispose()


class TestDecodedEvidence:
    def test_reads_see_retractions_and_other_writers(self, tmp_path: Path) -> None:
        """Evidence a store decoded before is still filtered by liveness, and another writer's rows show."""
        url = f"sqlite:///{tmp_path / 'decoded.db'}"
        c = safety.campaign()
        run = c.start(["s1", "s2"], store=url)
        first = run.record("s1", safety.Inspection(hours=1.5, inspector="王"), by=SEC).evidence
        assert first is not None
        assert [r.value.hours for r in run.evidence("s1", safety.Inspection)] == [1.5]
        run.retract("s1", first.id, reason="wrong site", by=SEC)
        assert run.evidence("s1", safety.Inspection) == ()
        other = c.open(run.org, store=url)
        other.record("s1", safety.Inspection(hours=2.0), by=SEC)
        assert [r.value.hours for r in run.evidence("s1", safety.Inspection)] == [2.0]
        assert run.store.records_many(["s1", "s2"], ["Inspection"])[("s1", "Inspection")] == tuple(
            run.evidence("s1", safety.Inspection)
        )

    def test_rolled_back_rows_are_not_remembered_in_the_callers_transaction(self, tmp_path: Path) -> None:
        """On the caller's connection, a row read inside a transaction that rolls back is forgotten."""
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'app.db'}")
        c = safety.campaign()
        with engine.connect() as conn:
            store = SQLStore(conn)
            run = c.start(["s1"], store=store)
            conn.commit()
            trans = conn.begin()
            run.record("s1", safety.Briefing(attendees=5), by=SEC)
            assert [r.value.attendees for r in store.records("s1", "Briefing")] == [5]
            trans.rollback()
            # Another run writes the next row: it takes the sequence number the rolled-back row had.
            again = c.open(run.org, store=SQLStore(conn))
            again.record("s1", safety.Briefing(attendees=7), by=SEC)
            conn.commit()
            assert [r.value.attendees for r in store.records("s1", "Briefing")] == [7]


class TestBadFiles:
    def test_garbage_file(self, tmp_path: Path) -> None:
        """A file that is not a database gets a StoreError naming it."""
        db = tmp_path / "garbage.db"
        db.write_bytes(b"this is not sqlite" * 100)
        with pytest.raises(cf.StoreError, match="not a readable SQLite database"):
            safety.campaign().start(["s1"], store=f"sqlite:///{db}")

    def test_truncated_file(self, tmp_path: Path) -> None:
        """A store file cut in half gets a StoreError, not a traceback."""
        db = tmp_path / "cut.db"
        run = safety.campaign().start(["s1"], store=f"sqlite:///{db}")
        for n in range(200):
            run.record("s1", safety.Briefing(attendees=n + 1), by=SEC)
        run.store.close()  # type: ignore[attr-defined]
        for suffix in ("-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        data = db.read_bytes()
        db.write_bytes(data[: len(data) // 2])
        c = safety.campaign()
        with pytest.raises(cf.StoreError):
            c.verify(["s1"], f"sqlite:///{db}")

    def test_foreign_database(self, tmp_path: Path) -> None:
        """An SQLite file holding other tables is not taken over."""
        db = tmp_path / "other.db"
        engine = sa.create_engine(f"sqlite:///{db}")
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE invoices (id INTEGER)")
        engine.dispose()
        with pytest.raises(cf.StoreError, match="not a campaignflow store"):
            safety.campaign().start(["s1"], store=f"sqlite:///{db}")

    def test_newer_schema(self, tmp_path: Path) -> None:
        """A store written by a newer schema version is refused with the fix."""
        db = tmp_path / "new.db"
        safety.campaign().start(["s1"], store=f"sqlite:///{db}")
        engine = sa.create_engine(f"sqlite:///{db}")
        with engine.begin() as conn:
            conn.exec_driver_sql("UPDATE cf_meta SET value = '99' WHERE key = 'schema_version'")
        engine.dispose()
        with pytest.raises(cf.StoreError, match="schema 99"):
            safety.campaign().open(["s1"], f"sqlite:///{db}")

    def test_other_campaign(self, tmp_path: Path) -> None:
        """Opening a store with another campaign is refused."""
        db = f"sqlite:///{tmp_path / 'c.db'}"
        safety.campaign().start(["s1"], store=db)
        other = cf.Campaign("other")
        other.stages("a")
        with pytest.raises(cf.StoreError, match=r"holds no campaign 'other' \(it holds 'safety-2026'\)"):
            other.open(["s1"], db)


class TestNumbering:
    def test_fresh_steps_are_numbered_in_place_and_others_copied(self) -> None:
        """A step the run just built takes its seq (and its evidence's) in place; a numbered one is copied."""
        from campaignflow.store._base import numbered  # noqa: PLC0415 - internals under test

        run = safety.campaign().start(["s1"])
        fresh = run._record_step(
            "s1",
            run._unit("s1"),
            safety.Briefing(attendees=3),
            kind="Briefing",
            actor=SEC,
            now="t",
        )
        same = numbered(fresh, 7, ("p", "h"))
        assert same is fresh
        assert (same.seq, same.prev_hash, same.hash) == (7, "p", "h")
        assert same.evidence is not None
        assert same.evidence.seq == 7
        again = numbered(same, 9)
        assert again is not same
        assert (again.seq, again.hash, same.seq) == (9, "h", 7)
        assert again.evidence is not None
        assert (again.evidence.seq, same.evidence.seq) == (9, 7)
