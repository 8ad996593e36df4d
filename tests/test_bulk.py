"""Large batches: the COPY path on PostgreSQL (from store._bulk.BULK rows) writes what the others write."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest
import sqlalchemy as sa

import campaignflow as cf
from campaignflow.store import SQLStore, open_store
from campaignflow.store._bulk import BULK
from campaignflow.store.codec import step_to_dict
from test_keys import _target
from test_verify import _sql

ACTOR = cf.Actor(id="clerk")
COPIED = (  # a step copied in after the log's end
    "INSERT INTO cf_steps (seq, unit, kind, body, prev_hash, hash) "
    "SELECT 9999, unit, kind, body, prev_hash, hash FROM cf_steps WHERE seq = 1100"
)
N = BULK + 200  # over the threshold, so PostgreSQL takes the COPY path
UNITS = [f"u{i:05d}" for i in range(N)]


@attrs.frozen
class Doc:
    n: int


def _campaign() -> cf.Campaign:
    c = cf.Campaign("bulk")
    c.stages("a", "b", "c")
    c.evidence(Doc)
    c.transition("go", "a", "b", gate=cf.count_at_least(Doc, 1))
    c.transition("on", "b", "c")
    c.rework("a", limit=1)
    return c


CAMPAIGN = _campaign()


def _story(target: cf.Store | str) -> cf.Run:
    """Evidence for most units, a batch fire (some refused), a second batch, in batches over BULK."""
    run = CAMPAIGN.start(UNITS, store=target, clock=cf.FixedClock(), ids=cf.CountingIds())
    run.record_many([(u, Doc(i)) for i, u in enumerate(UNITS) if i % 10], by=ACTOR)
    run.fire_many(UNITS, "go", by=ACTOR)  # every tenth unit refused: no Doc
    run.fire_many([u for i, u in enumerate(UNITS) if i % 10], "on", by=ACTOR)
    return run


def _log(target: cf.Store | str) -> list[dict[str, object]]:
    store = open_store(target, evidence_types=CAMPAIGN.build().evidence_types)
    return [step_to_dict(s) | {"seq": s.seq, "prev": s.prev_hash, "hash": s.hash} for s in store.steps()]


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
class TestLargeBatches:
    def test_a_large_batch_stores_the_log_the_memory_store_hashes(
        self, kind: str, tmp_path: Path, request: pytest.FixtureRequest
    ) -> None:
        target = _target(kind, tmp_path, request)
        run = _story(target)
        memory = cf.MemoryStore()
        _story(memory)
        assert _log(target) == _log(memory)
        report = CAMPAIGN.verify(UNITS, target)
        assert (report.ok, report.steps) == (True, len(_log(memory)))
        assert run.progress().by_stage == {"a": -(-N // 10), "b": 0, "c": N - -(-N // 10)}  # i % 10 == 0 stay
        reopened = CAMPAIGN.open(UNITS, target)
        assert reopened.state("u00003").to_dict() == run.state("u00003").to_dict()
        assert len(reopened.evidence("u00003", Doc)) == 1
        # What the writing store kept of its own batch is what a new store decodes.
        kept = [r for u in UNITS[:60] for r in run.evidence(u, Doc)]
        assert kept == [r for u in UNITS[:60] for r in reopened.evidence(u, Doc)]
        assert len(kept) == 54

    def test_a_unit_moved_by_a_rival_refuses_the_whole_batch(
        self, kind: str, tmp_path: Path, request: pytest.FixtureRequest
    ) -> None:
        """A rival wrote one unit (a first row, then a later version): the batch writes nothing."""
        target = _target(kind, tmp_path, request)
        run = CAMPAIGN.start(UNITS, store=target)
        rival = CAMPAIGN.open(UNITS, target)
        rival.record("u00007", Doc(1), by=ACTOR)  # its first row: our batch expected none
        with pytest.raises(cf.ConcurrentUpdate) as lost:
            run.record_many([(u, Doc(1)) for u in UNITS], by=ACTOR)
        assert lost.value.unit == "u00007"
        assert len(_log(target)) == 1
        run.refresh("u00007")
        run.record_many([(u, Doc(1)) for u in UNITS], by=ACTOR)
        rival.refresh("u00011")
        rival.record("u00011", Doc(2), by=ACTOR)  # a later version: our next batch expected the one before
        with pytest.raises(cf.ConcurrentUpdate) as again:
            run.fire_many(UNITS, "go", by=ACTOR)
        assert again.value.unit == "u00011"
        assert len(_log(target)) == 1 + N + 1
        assert CAMPAIGN.verify(UNITS, target).ok

    @pytest.mark.parametrize(
        "tamper",
        [
            ("UPDATE cf_steps SET body = REPLACE(body, '\"n\":5', '\"n\":6') WHERE seq = 5", 5),
            ("UPDATE cf_steps SET kind = 'deny' WHERE seq = 1082", 1082),
            ("DELETE FROM cf_steps WHERE seq = 3360", 3360),  # the log's end: its checkpoint
            (COPIED, 9999),
            ("UPDATE cf_checkpoints SET heads = '[]' WHERE last_seq = 2280", 2280),
            ("DELETE FROM cf_evidence WHERE seq = 9", 9),
            ("UPDATE cf_units SET stage = 'a' WHERE unit = 'u00003'", None),
        ],
        ids=["body", "kind", "end", "copy", "checkpoint", "evidence", "projection"],
    )
    def test_tampering_with_a_large_batch_is_found(
        self, kind: str, tmp_path: Path, request: pytest.FixtureRequest, tamper: tuple[str, int | None]
    ) -> None:
        statement, seq = tamper
        target = str(_target(kind, tmp_path, request))
        _story(target)
        assert CAMPAIGN.verify(UNITS, target).ok
        _sql(target, statement)
        report = CAMPAIGN.verify(UNITS, target)
        assert not report.ok
        assert report.seq == seq
        if seq is None:
            assert report.unit == "u00003"

    def test_two_large_batches_in_one_caller_transaction(
        self, kind: str, tmp_path: Path, request: pytest.FixtureRequest
    ) -> None:
        """The staging table is emptied per batch: the second batch's rows are its own."""
        url = str(_target(kind, tmp_path, request))
        CAMPAIGN.start(UNITS, store=url)
        engine = sa.create_engine(url)
        types = CAMPAIGN.build().evidence_types
        with engine.begin() as conn:
            run = CAMPAIGN.open(UNITS, SQLStore(conn, evidence_types=types))
            run.record_many([(u, Doc(1)) for u in UNITS], by=ACTOR)
            run.fire_many(UNITS, "go", by=ACTOR)
        engine.dispose()
        assert CAMPAIGN.verify(UNITS, url).ok
        assert CAMPAIGN.open(UNITS, url).progress().by_stage["b"] == N
