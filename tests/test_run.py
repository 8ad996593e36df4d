"""The in-memory run: record, check, fire, send back, and what each refuses."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import attrs
import pytest
from structlog.testing import capture_logs

import campaignflow as cf
from campaignflow.presets import safety

SEC = cf.Actor(id="sec", roles={"secretary"})


@attrs.frozen
class Stray:
    note: str


INS = cf.Actor(id="ins", roles={"inspector"})


def _run(units: tuple[str, ...] = ("s1", "s2"), **kw: object) -> cf.Run:
    return safety.campaign(**kw).start(list(units), clock=cf.FixedClock(), ids=cf.CountingIds())  # type: ignore[arg-type]


def _ready(run: cf.Run, unit: str) -> None:
    run.record(unit, safety.Briefing(attendees=10), by=SEC)
    run.fire(unit, "start", by=SEC)
    for _ in range(2):
        run.record(unit, safety.Inspection(hours=2), by=INS)
    run.record(unit, safety.Exit(location="东门", blocked=False), by=INS)
    run.record(unit, safety.SignOff(), by=INS)


class TestFire:
    def test_moves_when_gate_holds(self) -> None:
        """A unit whose gate holds moves, and the step carries the passing verdict."""
        run = _run()
        _ready(run, "s1")
        step = run.fire("s1", "approve", by=INS)
        assert (step.source, step.dest, step.kind) == ("inspect", "rectify", cf.Kind.FIRE)
        assert step.verdict is not None
        assert step.verdict.passed
        assert run.stage_of("s1") == "rectify"
        assert run.state("s1").version == len(run.history("s1"))

    def test_gate_closed_explains_and_is_logged(self) -> None:
        """A closed gate raises GateClosed with every failing rule, and logs a denial."""
        run = _run()
        run.record("s1", safety.Briefing(attendees=3), by=SEC)
        run.fire("s1", "start", by=SEC)
        run.record("s1", safety.Inspection(hours=1), by=INS)
        run.record("s1", safety.Exit(location="东门", blocked=True), by=INS)
        with pytest.raises(cf.GateClosed) as info:
            run.fire("s1", "approve", by=INS)
        verdict = info.value.verdict
        failing = {f.label for f in verdict.failures}
        assert failing == {"检查不少于2次", "检查不少于4小时", "消防通道畅通", "检查员签字"}
        assert "1 of 1 exits blocked: 东门" in verdict.explain()
        assert run.stage_of("s1") == "inspect"
        last = run.history("s1")[-1]
        assert (last.kind, last.verdict) == (cf.Kind.DENY, verdict)
        assert run.state("s1").blocked is not None

    def test_invalid_transition(self) -> None:
        """Firing an event that does not leave the unit's stage names the stages it leaves."""
        run = _run()
        with pytest.raises(cf.InvalidTransition, match="only leaves 'inspect'"):
            run.fire("s1", "approve", by=INS)

    def test_unknown_unit_and_event(self) -> None:
        """Unknown units suggest close ids; unknown events list the declared ones."""
        run = _run()
        with pytest.raises(cf.UnknownUnit, match="did you mean 's1'"):
            run.fire("s11", "start", by=SEC)
        with pytest.raises(cf.UnknownEvent, match="declared events: start, approve, close"):
            run.fire("s1", "launch", by=SEC)

    def test_role_required(self) -> None:
        """An actor without an allowed role is denied, and the denial is logged."""
        run = _run()
        _ready(run, "s1")
        before = (run.history("s1"), run.state("s1").version)
        with pytest.raises(cf.PermissionDenied, match="needs role inspector") as refused:
            run.fire("s1", "approve", by=SEC)
        assert (run.history("s1"), run.state("s1").version) == before
        (denial,) = run.store.denials()  # type: ignore[attr-defined]
        assert (denial.seq, denial.unit, denial.action) == (refused.value.seq, "s1", "approve")

    def test_actor_required(self) -> None:
        """No write happens without an actor."""
        run = _run()
        with pytest.raises(cf.PermissionDenied, match="needs an actor"):
            run.record("s1", safety.Briefing(attendees=3), by=None)  # type: ignore[arg-type]
        assert run.history("s1") == ()

    def test_scope(self) -> None:
        """An actor acts only within its scope."""
        run = _run()
        local = cf.Actor(id="local", roles={"secretary"}, scope={"s2"})
        with pytest.raises(cf.PermissionDenied, match="outside its scope"):
            run.record("s1", safety.Briefing(attendees=3), by=local)
        run.record("s2", safety.Briefing(attendees=3), by=local)

    def test_undeclared_evidence(self) -> None:
        """Recording an undeclared evidence type is an EvidenceError naming the fix."""
        run = _run()
        with pytest.raises(cf.EvidenceError, match=r"campaign.evidence\(Stray\)"):
            run.record("s1", Stray(note="x"), by=SEC)
        with pytest.raises(cf.EvidenceError, match="instance of an attrs class"):
            run.record("s1", "just text", by=SEC)
        assert run.history("s1") == ()

    def test_decisions_are_structured_events(self) -> None:
        """Each decision is a structlog event with campaign, unit, event and verdict."""
        run = _run()
        run.record("s1", safety.Briefing(attendees=3), by=SEC)
        with capture_logs() as logs:
            run.fire("s1", "start", by=SEC)
        fired = [e for e in logs if e["event"] == "unit_fired"]
        assert fired[0]["unit"] == "s1"
        assert fired[0]["verdict"]["passed"] is True
        assert fired[0]["campaign"] == "safety-2026"


class TestFireMany:
    def test_moves_passing_units_and_returns_refusals(self) -> None:
        """fire_many moves the units whose gate holds and reports the others."""
        run = _run(("s1", "s2", "s3"))
        for unit in ("s1", "s3"):
            run.record(unit, safety.Briefing(attendees=3), by=SEC)
        result = run.fire_many(["s1", "s2", "s3"], "start", by=SEC)
        assert [s.unit for s in result.fired] == ["s1", "s3"]
        assert [v.unit for v in result.refused] == ["s2"]
        assert run.progress().by_stage["inspect"] == 2


class TestRetract:
    def test_retracted_evidence_no_longer_counts(self) -> None:
        """A retracted piece of evidence stays in history but no rule reads it."""
        run = _run()
        step = run.record("s1", safety.Briefing(attendees=3), by=SEC)
        assert step.evidence is not None
        run.retract("s1", step.evidence.id, reason="entered twice", by=SEC)
        assert not run.check("s1", "start").passed
        assert [s.kind for s in run.history("s1")] == [cf.Kind.RECORD, cf.Kind.RETRACT]
        with pytest.raises(cf.EvidenceError, match="no live evidence"):
            run.retract("s1", step.evidence.id, reason="again", by=SEC)


class TestSendBack:
    def test_counts_and_escalates_once(self) -> None:
        """Send-backs are counted; passing the limit escalates exactly once."""
        seen: list[cf.Escalation] = []
        c = cf.Campaign("rw")
        c.stages("a", "b")
        c.transition("go", "a", "b")
        c.rework("a", limit=2, escalate=seen.append)
        run = c.start(["u"])
        boss = cf.Actor(id="boss")
        for n in range(1, 6):
            run.fire("u", "go", by=boss)
            step = run.send_back("u", "a", reason="返工: 材料不实", by=boss)
            assert step.count == n
        assert [e.count for e in seen] == [3]
        assert run.escalations == seen
        assert run.state("u").reworks == {"a": 5}
        assert run.progress().sent_back == 5

    def test_needs_someone_above(self) -> None:
        """A unit's own scoped actor cannot send it back."""
        run = _run()
        _ready(run, "s1")
        run.fire("s1", "approve", by=INS)
        own = cf.Actor(id="own", roles={"inspector"}, scope={"s1"})
        with pytest.raises(cf.PermissionDenied, match="level above"):
            run.send_back("s1", "inspect", reason="redo", by=own)

    def test_unknown_rework_stage_and_empty_reason(self) -> None:
        """Sending back to a stage without rework, or without a reason, is refused."""
        run = _run()
        with pytest.raises(cf.UnknownStage):
            run.send_back("s1", "closed", reason="x", by=INS)
        with pytest.raises(cf.EvidenceError, match="needs a reason"):
            run.send_back("s1", "inspect", reason=" ", by=INS)

    def test_cannot_send_back_from_before(self) -> None:
        """A unit not yet past the stage cannot be sent back to it."""
        run = _run()
        with pytest.raises(cf.InvalidTransition):
            run.send_back("s1", "inspect", reason="x", by=INS)


class TestReplay:
    def test_open_equals_live_and_verify_passes(self) -> None:
        """A run opened from its store's projection equals the live run; verify() agrees."""
        store = cf.MemoryStore()
        c = safety.campaign()
        run = c.start(["s1", "s2"], store=store, clock=cf.FixedClock(), ids=cf.CountingIds())
        _ready(run, "s1")
        run.fire("s1", "approve", by=INS)
        run.send_back("s1", "inspect", reason="redo", by=INS)
        with pytest.raises(cf.GateClosed):
            run.fire("s2", "start", by=SEC)
        reopened = c.open(["s1", "s2"], store)
        for unit in ("s1", "s2"):
            assert reopened.state(unit) == run.state(unit)
        assert reopened.progress().counts() == run.progress().counts()
        assert reopened.state("s2").blocked is not None
        report = c.verify(["s1", "s2"], store)
        assert report.ok, report.problem
        assert report.steps == len(run.history("s1")) + len(run.history("s2"))

    def test_start_on_a_used_store_is_refused(self) -> None:
        """Starting a second run on a store that holds one is a StoreError."""
        store = cf.MemoryStore()
        c = safety.campaign()
        run = c.start(["s1"], store=store)
        run.record("s1", safety.Briefing(attendees=1), by=SEC)
        with pytest.raises(cf.StoreError, match="already holds a run"):
            c.start(["s1"], store=store)

    def test_verify_names_the_first_differing_unit(self) -> None:
        """A projection row that disagrees with the log is named by verify()."""
        store = cf.MemoryStore()
        c = safety.campaign()
        run = c.start(["s1", "s2"], store=store)
        run.record("s2", safety.Briefing(attendees=1), by=SEC)
        run.fire("s2", "start", by=SEC)
        store._rows["s2"] = attrs.evolve(store._rows["s2"], stage="closed")
        report = c.verify(["s1", "s2"], store)
        assert (report.ok, report.unit) == (False, "s2")
        assert "projection holds stage='closed'" in report.problem


class TestConcurrency:
    def test_lost_race_writes_nothing_and_retry_wins(self) -> None:
        """Two runs on one store: the stale one gets ConcurrentUpdate, retry refreshes and succeeds."""
        store = cf.MemoryStore()
        c = safety.campaign()
        first = c.start(["s1"], store=store, ids=cf.CountingIds("a"))
        second = c.open(["s1"], store, ids=cf.CountingIds("b"))
        first.record("s1", safety.Briefing(attendees=3), by=SEC)
        before = len(store.history("s1"))
        with pytest.raises(cf.ConcurrentUpdate, match="nothing was written"):
            second.fire("s1", "start", by=SEC)
        assert len(store.history("s1")) == before
        assert second.stage_of("s1") == "mobilise"
        step = cf.retry(second, lambda: second.fire("s1", "start", by=SEC))
        assert step.dest == "inspect"
        assert second.progress().counts() == second.recount().counts()
        first.refresh("s1")
        assert first.state("s1") == second.state("s1")


class TestOverdue:
    def test_units_past_a_stage_due_time_are_overdue(self) -> None:
        """A unit still in a stage after its due time counts as overdue, in roll-up and recount."""
        clock = cf.FixedClock(start=datetime(2014, 3, 1, tzinfo=UTC))
        c = cf.Campaign("due")
        c.stage("study", due=datetime(2014, 3, 10, tzinfo=UTC))
        c.stage("done")
        c.transition("finish", "study", "done")
        run = c.start(["a", "b"], clock=clock)
        assert run.progress().overdue == 0
        run.fire("a", "finish", by=cf.Actor(id="x"))
        clock.advance(timedelta(days=10))
        assert run.progress().overdue == 1
        assert run.recount().overdue == 1

    def test_naive_due_time_is_a_definition_error(self) -> None:
        """A due time without a timezone is refused."""
        c = cf.Campaign("naive")
        c.stage("study", due=datetime(2014, 3, 10))  # noqa: DTZ001 - the point of the test
        with pytest.raises(cf.DefinitionError, match="naive"):
            c.build()


class TestHashChain:
    def _run_with_store(self) -> tuple[cf.Campaign, cf.MemoryStore, cf.Run]:
        store = cf.MemoryStore()
        c = safety.campaign()
        run = c.start(["s1", "s2"], store=store, clock=cf.FixedClock(), ids=cf.CountingIds())
        _ready(run, "s1")
        run.record("s2", safety.Briefing(attendees=2), by=SEC)
        return c, store, run

    def test_each_step_chains_to_the_previous_one_of_its_unit(self) -> None:
        """prev_hash of each step is the hash of the unit's previous step; the row's head is the last."""
        _, store, run = self._run_with_store()
        history = run.history("s1")
        assert history[0].prev_hash == ""
        assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(history))
        assert store.row("s1").head == history[-1].hash  # type: ignore[union-attr]

    def test_an_altered_step_is_named_by_verify(self) -> None:
        """Editing a stored step's content breaks its hash; verify names its seq."""
        c, store, run = self._run_with_store()
        victim = run.history("s1")[2]
        forged = attrs.evolve(victim, actor="someone-else")
        store._log[victim.seq - 1] = forged
        report = c.verify(["s1", "s2"], store)
        assert (report.ok, report.seq) == (False, victim.seq)
        assert "altered" in report.problem

    def test_a_deleted_step_is_named_by_verify(self) -> None:
        """Deleting a stored step breaks the chain at the next step of that unit."""
        c, store, run = self._run_with_store()
        history = run.history("s1")
        del store._log[history[1].seq - 1]
        report = c.verify(["s1", "s2"], store)
        assert (report.ok, report.seq) == (False, history[2].seq)
