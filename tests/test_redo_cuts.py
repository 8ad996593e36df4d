"""The send-back cut-offs a run keeps as it writes equal those its units' histories set.

A send-back moves its unit's cut-offs forward without reading the history
(``Voids.sent_back``); a run opened from a store reads them from the log. Over
random runs (send-backs that redo evidence and plain ones, records, retracts,
batch fires, reopening the store), the cut-offs and the evidence that counts are
those derived here, independently, from ``store.history``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import campaignflow as cf
from campaignflow.values.records import Kind, Step
from conftest import reset_pg
from test_redo import OFFICE, Note, Plan, org  # the same evidence classes and org

PROVINCE = cf.Actor(id="province")
UNITS = ("zm", "hs")

# What a send-back to each stage redoes; rectify's rework is a plain one (it voids nothing).
REDO: dict[str, tuple[str, ...]] = {"study": ("Note",), "examine": ("Note", "Plan"), "rectify": ()}
STAGES = ("study", "examine", "rectify", "done")
EVENTS = {"study": "finish_study", "examine": "finish_examine", "rectify": "finish_rectify"}


def campaign() -> cf.Campaign:
    c = cf.Campaign("cuts")
    c.stages(*STAGES)
    c.transition("finish_study", "study", "examine", gate=cf.count_at_least(Note, 2))
    c.transition("finish_examine", "examine", "rectify", gate=cf.exists(Plan))
    c.transition("finish_rectify", "rectify", "done", gate=cf.exists(Note))
    c.rework("study", limit=3, redo=(Note,))
    c.rework("examine", limit=3, redo=(Note, Plan))
    c.rework("rectify", limit=3)
    return c


def expected_cuts(history: Sequence[Step]) -> dict[str, tuple[int, str, str]]:
    """Per voided kind, (seq, time, stage) of the unit's latest send-back to a stage redoing it."""
    cuts: dict[str, tuple[int, str, str]] = {}
    for step in history:
        if step.kind is Kind.SEND_BACK:
            for kind in REDO[step.target]:
                cuts[kind] = (step.seq, step.at, step.target)  # oldest first: the latest wins
    return cuts


def _check(run: cf.Run, unit: str) -> None:
    """The run's cut-offs and counted evidence for ``unit`` equal those its history sets."""
    cuts = expected_cuts(run.store.history(unit))
    voids: Any = run._voids
    assert voids.cuts(run, unit, run._units[unit].reworks) == cuts
    for kind in ("Note", "Plan"):
        seq = cuts[kind][0] if kind in cuts else 0
        live = [r.id for r in run.store.records(unit, kind) if r.seq > seq]
        assert [r.id for r in run.records_of(unit, kind)] == live, (unit, kind)


# Notes and fires weigh more: a unit must get past a stage before it can be sent back to it.
WEIGHTED = ("note",) * 3 + ("plan", "retract", "fire", "fire", "fire_many") + ("send_back",) * 3 + ("reopen",)
OPS = st.lists(
    st.tuples(
        st.sampled_from(WEIGHTED),
        st.sampled_from(UNITS),
        st.sampled_from(("study", "examine", "rectify")),
        st.booleans(),  # read the cut-offs after the step (else the next send-back finds none kept)
    ),
    min_size=10,
    max_size=60,
)


def _step(run: cf.Run, op: str, unit: str, stage: str) -> cf.Run:
    """Play one step of a plan (one that cannot apply is skipped); the run to go on with."""
    here = run.stage_of(unit)
    if op in ("note", "plan"):
        run.record(unit, Note() if op == "note" else Plan(), by=OFFICE)
    elif op == "retract":
        live = run.evidence(unit, Note) or run.evidence(unit, Plan)
        if live:
            run.retract(unit, live[0].id, reason="错录", by=OFFICE)
    elif op == "fire" and here in EVENTS:
        if run.check(unit, EVENTS[here]).passed:
            run.fire(unit, EVENTS[here], by=OFFICE)
    elif op == "fire_many" and here in EVENTS:
        run.fire_many([u for u in UNITS if run.stage_of(u) == here], EVENTS[here], by=OFFICE)
    elif op == "send_back" and STAGES.index(here) > STAGES.index(stage):
        # Past the limit a send-back escalates; the cut-offs move all the same: keep runs short.
        if (run._units[unit].reworks or {}).get(stage, 0) < 3:
            run.send_back(unit, stage, reason="返工", by=PROVINCE)
    elif op == "reopen":
        return campaign().open(org(), run.store, clock=cf.FixedClock())
    return run


def _drive(store: Any, plan: list[tuple[str, str, str, bool]]) -> None:
    run = campaign().start(org(), store=store, clock=cf.FixedClock())
    for op, unit, stage, look in plan:
        run = _step(run, op, unit, stage)
        if look:
            for u in UNITS:
                _check(run, u)
    for u in UNITS:
        _check(run, u)
    for u in UNITS:  # a fresh run reads the same cut-offs from the log
        _check(campaign().open(org(), run.store, clock=cf.FixedClock()), u)


@contextmanager
def _sqlite() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as tmp:
        yield f"sqlite:///{Path(tmp) / 'c.db'}"


class TestCutsKeptEqualCutsRead:
    @settings(max_examples=150)
    @given(OPS)
    def test_memory(self, plan: list[tuple[str, str, str, bool]]) -> None:
        """Memory store: the kept cut-offs equal the history's over any run."""
        _drive(cf.MemoryStore(), plan)

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(OPS)
    def test_sqlite(self, plan: list[tuple[str, str, str, bool]]) -> None:
        """SQLite: the same, reopening the database."""
        with _sqlite() as url:
            _drive(url, plan)

    @settings(
        max_examples=10,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(OPS)
    def test_postgresql(self, pg_url: str, plan: list[tuple[str, str, str, bool]]) -> None:
        """PostgreSQL: the same, on the server the suite starts (scripts/pg.sh)."""
        reset_pg(pg_url)
        _drive(pg_url, plan)

    def test_a_send_back_after_a_read_reads_no_history(self) -> None:
        """The send-back moves the kept cut-offs: the next read does not go to the store's history."""
        run = campaign().start(org(), clock=cf.FixedClock())
        run.record_many([("hs", Note()), ("hs", Note()), ("hs", Plan())], by=OFFICE)
        run.fire("hs", "finish_study", by=OFFICE)
        run.fire("hs", "finish_examine", by=OFFICE)
        first = run.send_back("hs", "study", reason="返工", by=PROVINCE)
        reads: list[str] = []
        history = run.store.history
        run.store.history = lambda unit: reads.append(unit) or history(unit)  # type: ignore[method-assign]
        assert run.records_of("hs", "Note") == ()
        run.record("hs", Note(), by=OFFICE)
        run.record("hs", Note(), by=OFFICE)
        run.fire("hs", "finish_study", by=OFFICE)
        run.fire("hs", "finish_examine", by=OFFICE)
        second = run.send_back("hs", "examine", reason="返工", by=PROVINCE)
        assert run.records_of("hs", "Plan") == ()
        voids: Any = run._voids
        assert voids.cuts(run, "hs", run._units["hs"].reworks) == {
            "Note": (second.seq, second.at, "examine"),
            "Plan": (second.seq, second.at, "examine"),
        }
        run.record_many([("hs", Note()), ("hs", Note()), ("hs", Plan())], by=OFFICE)
        for event in ("finish_examine", "finish_rectify"):
            run.fire("hs", event, by=OFFICE)
        run.send_back("hs", "rectify", reason="返工", by=PROVINCE)  # a plain one: nothing moves
        run.fire("hs", "finish_rectify", by=OFFICE)
        third = run.send_back("hs", "study", reason="返工", by=PROVINCE)  # Plan's cut-off stays
        assert voids.cuts(run, "hs", run._units["hs"].reworks) == {
            "Note": (third.seq, third.at, "study"),
            "Plan": (second.seq, second.at, "examine"),
        }
        assert first.seq < second.seq < third.seq
        assert reads == []
