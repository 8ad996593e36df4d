"""Replay equals live after any generated sequence of operations, on every backend."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import campaignflow as cf
from campaignflow.presets import safety
from conftest import reset_pg

UNITS = ("s1", "s2", "s3")
ACTOR = cf.Actor(id="op", roles={"secretary", "inspector"})
OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(UNITS),
        st.sampled_from(["brief", "inspect", "exit", "sign", "hazard", "retract", "fire", "back", "many"]),
        st.sampled_from(["start", "approve", "close"]),
    ),
    max_size=25,
)


def _apply(run: cf.Run, unit: str, op: str, event: str) -> None:
    """One operation; refusals and impossible moves are part of the story, not failures."""
    try:
        if op == "brief":
            run.record(unit, safety.Briefing(attendees=5), by=ACTOR)
        elif op == "inspect":
            run.record(unit, safety.Inspection(hours=2.5), by=ACTOR)
        elif op == "exit":
            run.record(unit, safety.Exit(location="东门", blocked=len(run.history(unit)) % 2 == 0), by=ACTOR)
        elif op == "sign":
            run.record(unit, safety.SignOff(note="签字"), by=ACTOR)
        elif op == "hazard":
            run.record(unit, safety.Hazard(description="隐患", fixed=True), by=ACTOR)
        elif op == "retract":
            live = run.evidence(unit, safety.Inspection)
            if live:
                run.retract(unit, live[0].id, reason="duplicate", by=ACTOR)
        elif op == "back":
            run.send_back(unit, "inspect", reason="返工", by=ACTOR)
        elif op == "many":
            run.fire_many([u for u in UNITS if run.engine.dest(event, run.stage_of(u))], event, by=ACTOR)
        else:
            run.fire(unit, event, by=ACTOR)
    except (cf.GateClosed, cf.InvalidTransition):
        pass


def _check(target: object, plan: list[tuple[str, str, str]]) -> None:
    c = safety.campaign()
    run = c.start(list(UNITS), store=target, clock=cf.FixedClock(), ids=cf.CountingIds())
    for unit, op, event in plan:
        _apply(run, unit, op, event)
    again = c.open(list(UNITS), target)
    for unit in UNITS:
        assert again.state(unit) == run.state(unit)
        assert again.history(unit) == run.history(unit)
    assert again.progress().counts() == run.progress().counts()
    report = c.verify(list(UNITS), target)
    assert report.ok, report.problem


SETTINGS = settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


class TestReplayEqualsLive:
    @given(OPERATIONS)
    def test_memory(self, plan: list[tuple[str, str, str]]) -> None:
        """In memory: the reopened run equals the live one after any sequence."""
        _check(cf.MemoryStore(), plan)

    @SETTINGS
    @given(OPERATIONS)
    def test_sqlite(self, plan: list[tuple[str, str, str]]) -> None:
        """On SQLite: the reopened run equals the live one after any sequence."""
        with tempfile.TemporaryDirectory() as tmp:
            _check(f"sqlite:///{Path(tmp) / 'p.db'}", plan)

    @SETTINGS
    @given(OPERATIONS)
    def test_postgresql(self, pg_url: str, plan: list[tuple[str, str, str]]) -> None:
        """On PostgreSQL: the reopened run equals the live one after any sequence."""
        reset_pg(pg_url)
        _check(pg_url, plan)


@attrs.frozen
class Reading:
    value: float
    taken: datetime | None = None
    text: str = ""


class TestHostileEvidence:
    def _run(self) -> cf.Run:
        c = cf.Campaign("hostile")
        c.stages("a", "b")
        c.evidence(Reading)
        c.transition("go", "a", "b")
        return c.start(["u"], clock=cf.FixedClock(start=datetime(2014, 3, 1, tzinfo=UTC)))

    @pytest.mark.parametrize(
        ("value", "message"),
        [
            (Reading(value=float("nan")), "record a finite number"),
            (Reading(value=float("inf")), "record a finite number"),
            (Reading(value="12"), "expected float"),  # type: ignore[arg-type]
            (Reading(value=1, text="x" * 200_000), "keep it under"),
            (Reading(value=1, text="a\x00b"), "control characters"),
            (Reading(value=1, taken=datetime(2014, 3, 1)), "naive datetime"),  # noqa: DTZ001
            (Reading(value=1, taken=datetime(2015, 1, 1, tzinfo=UTC)), "in the future"),
        ],
    )
    def test_refused_and_nothing_written(self, value: Reading, message: str) -> None:
        """Each kind of hostile value is an EvidenceError naming the field, and nothing is written."""
        run = self._run()
        with pytest.raises(cf.EvidenceError, match=message):
            run.record("u", value, by=ACTOR)
        with pytest.raises(cf.EvidenceError, match=message):
            run.record_many([("u", Reading(value=1)), ("u", value)], by=ACTOR)
        assert run.history("u") == ()

    @given(st.builds(Reading, value=st.floats(), text=st.text(max_size=50)))
    def test_any_generated_value_is_stored_or_refused_cleanly(self, value: Reading) -> None:
        """Fuzzed evidence is either recorded and replays, or refused with an EvidenceError."""
        run = self._run()
        try:
            run.record("u", value, by=ACTOR)
        except cf.EvidenceError:
            assert run.history("u") == ()
        else:
            assert run.history("u")[0].evidence.value == value  # type: ignore[union-attr]
