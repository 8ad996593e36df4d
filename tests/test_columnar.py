"""A batch written as columns says what the eagerly built steps said.

``fire_many`` hands the store its batch as columns (``store._base.Fires``): the
memory store keeps them and builds each step when the log is read, and
``BatchResult.fired`` builds its steps when read. Every observable must be what
a store without ``append_fires`` (given built steps through ``append``, as the
SQL stores are) records and returns: the results, the log with its hashes, the
checkpoints, what hooks see, and the replay.
"""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import campaignflow as cf
from campaignflow.store import MemoryStore, UnitRow
from campaignflow.store._base import Fires
from campaignflow.values.records import Step

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
UNITS = [f"u{i}" for i in range(6)]
ACTOR = cf.Actor(id="office")


@attrs.frozen
class Doc:
    n: int


class EagerStore(MemoryStore):
    """The memory store as it was: every batch given as built steps, through ``append``."""

    append_fires = None


def _campaign(seen: list[tuple[str, Step]]) -> cf.Campaign:
    c = cf.Campaign("columns")
    c.stages("a", "b", "c")
    c.evidence(Doc)
    gate = cf.all_of(cf.count_at_least(Doc, 2), cf.sum_at_least(Doc, "n", 3))
    c.transition("go", "a", "b", gate=gate)
    c.transition("on", "b", "c", gate=cf.exists(Doc))
    c.on_fire("go", lambda _run, step: seen.append(("go", step)))
    return c


# One step of a plan: record Docs, fire a batch, fire one unit, or read the log.
_ops = st.one_of(
    st.tuples(st.just("record"), st.sampled_from(UNITS), st.integers(0, 3)),
    st.tuples(st.just("records"), st.lists(st.sampled_from(UNITS), max_size=6), st.integers(1, 3)),
    st.tuples(st.just("many"), st.lists(st.sampled_from(UNITS), max_size=6), st.sampled_from(["go", "on"])),
    st.tuples(st.just("one"), st.sampled_from(UNITS), st.sampled_from(["go", "on"])),
    st.tuples(st.just("read"), st.sampled_from(UNITS), st.just(0)),
)


def _play(store: MemoryStore, plan: list[tuple[Any, ...]]) -> tuple[list[object], list[tuple[str, Step]]]:
    """Run ``plan`` on ``store``; what each step returned or raised, and what the hooks saw."""
    seen: list[tuple[str, Step]] = []
    run = _campaign(seen).start(UNITS, store=store, clock=cf.FixedClock(), ids=cf.CountingIds())
    out: list[object] = []
    # Most units can pass the first gate from the start, so that batches move units.
    for op, arg, extra in [("records", UNITS[:4], 2), *plan]:
        try:
            if op == "record":
                out.append(run.record(arg, Doc(extra), by=ACTOR))
            elif op == "records":
                out.append(run.record_many([(u, Doc(extra)) for u in arg for _ in range(2)], by=ACTOR))
            elif op == "many":
                result = run.fire_many(arg, extra, by=ACTOR)
                out.append((tuple(result.fired), result.refused, len(result.fired)))
            elif op == "one":
                out.append(run.fire(arg, extra, by=ACTOR))
            else:
                out.append(run.history(arg))
        except cf.CampaignflowError as exc:
            out.append(type(exc).__name__)
    return out, seen


@SETTINGS
@given(plan=st.lists(_ops, max_size=16))
def test_columns_record_and_return_what_built_steps_do(plan: list[tuple[Any, ...]]) -> None:
    """Results, hooks, the whole log with its hashes, the checkpoints and the replay are the same."""
    columns, eager = MemoryStore(), EagerStore()
    got, got_seen = _play(columns, plan)
    want, want_seen = _play(eager, plan)
    assert got == want
    assert got_seen == want_seen
    assert list(columns.steps()) == list(eager.steps())
    assert list(columns.checkpoints()) == list(eager.checkpoints())
    assert list(columns.rows()) == list(eager.rows())
    assert columns.units_since(0) == eager.units_since(0)
    report = _campaign([]).verify(UNITS, columns)
    assert report.ok, report.problem


def test_fired_is_a_sequence_of_the_stored_steps() -> None:
    """``fired`` indexes, slices, compares equal to a tuple of its steps, and holds the store's."""
    run = _campaign([]).start(UNITS, ids=cf.CountingIds())
    for unit in UNITS[:4]:
        run.record_many([(unit, Doc(2)), (unit, Doc(2))], by=ACTOR)
    result = run.fire_many(UNITS, "go", by=ACTOR)
    fired = result.fired
    assert len(fired) == 4
    assert [s.unit for s in fired] == UNITS[:4]
    assert fired[1:3] == (fired[1], fired[2])
    assert fired == tuple(fired)
    assert fired[0] is fired[0]  # built once
    assert hash(fired) == hash(tuple(fired))
    assert [s.seq for s in fired] == [9, 10, 11, 12]  # after 8 records; the refusals follow
    assert [s.kind for s in fired] == [cf.Kind.FIRE] * 4
    assert [v.unit for v in result.refused] == UNITS[4:]
    stored = {s.seq: s for s in run.store.steps()}
    assert all(attrs.evolve(stored[s.seq], prev_hash="", hash="") == s for s in fired)
    assert fired[0].verdict is not None
    assert fired[0].verdict.passed
    assert fired[0].verdict.root.rule.startswith("all_of(")


def test_an_empty_batch_fires_nothing() -> None:
    run = _campaign([]).start(UNITS)
    result = run.fire_many([], "go", by=ACTOR)
    assert (result.fired, result.refused) == ((), ())
    assert not list(run.store.steps())


def test_a_lost_race_writes_nothing_and_numbers_nothing() -> None:
    """A columnar write refused on a version leaves store and batch as they were."""
    store = MemoryStore()
    store.bind("x", fresh=True)
    fires = Fires("go", "office", "2026-01-01T00:00:00")
    fires.units.append("u0")
    fires.kinds.append(cf.Kind.DENY)
    fires.sources.append("a")
    fires.dests.append("a")
    fires.reasons.append("gate closed")
    verdict = cf.Verdict(unit="u0", event="go", stage="a", root=cf.Finding(rule="r", label="r"))
    fires.verdicts.append(verdict)
    fires.versions.append(4)
    fires.names.append(())
    fires.reworks.append(None)
    fires.blocked.append(None)
    with pytest.raises(cf.ConcurrentUpdate):
        store.append_fires(fires, {"u0": 3})
    assert (list(store.steps()), fires.seqs, store.row("u0")) == ([], (), None)
    store.append_fires(fires, {"u0": 0})
    assert store.row("u0") == UnitRow(unit="u0", stage="a", version=4, head=store.history("u0")[0].hash)


def test_a_read_builds_the_whole_batch_and_lets_it_go() -> None:
    """Once anything reads the log, the store holds steps and rows, not the batch's columns."""
    store = MemoryStore()
    run = _campaign([]).start(UNITS, store=store)
    run.record_many([(u, Doc(2)) for u in UNITS for _ in range(2)], by=ACTOR)
    run.fire_many(UNITS, "go", by=ACTOR)
    held = [*store._log, *store._rows.values(), *(e for h in store._by_unit.values() for e in h)]
    assert any(isinstance(x, Fires) for x in held)
    run.history(UNITS[0])
    held = [*store._log, *store._rows.values(), *(e for h in store._by_unit.values() for e in h)]
    assert not any(isinstance(x, Fires) for x in held)
    assert [r.stage for r in store.rows()] == ["b"] * len(UNITS)
