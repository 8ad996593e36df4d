"""The fast path says exactly what the full evaluation says: quick checks, lazy verdicts,
the memory store's chain hashed on read, and batch moves through the machine."""

from __future__ import annotations

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import campaignflow as cf
from campaignflow.definition.rules import certainly_holds, holds_over
from campaignflow.run import audit as _audit
from campaignflow.run.judging import Snapshot, frozen, judge, quick_kinds
from campaignflow.testing import Scenario
from campaignflow.testing import strategies as cst


@attrs.frozen
class Doc:
    n: int
    kind: str = "a"


QUICK = [
    cf.count_at_least(Doc, 3),
    cf.exists(Doc, where=lambda d: d.kind == "b"),
    cf.sum_at_least(Doc, "n", 7),
    cf.all_of(cf.count_at_least(Doc, 2), cf.sum_at_least(Doc, "n", 3)),
    cf.any_of(cf.count_at_least(Doc, 5), cf.exists(Doc, where=lambda d: d.n > 50)),
    cf.all_of(cf.any_of(cf.count_at_least(Doc, 4), cf.sum_at_least(Doc, "n", 9)), cf.exists(Doc)),
]
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])


def _run(rule: cf.Rule, scenario: Scenario, *, ordered: bool = True) -> tuple[cf.Run, cf.Transition]:
    c = cf.Campaign("fast")
    c.stages("a", "b")
    c.evidence(Doc)
    c.transition("go", "a", "b", gate=rule, order=cf.parent_first() if ordered else ())
    run = c.start(scenario.org())
    for value, actor in scenario.evidence:
        run.record("unit", value, by=cf.Actor(id=actor))
    (t,) = run.definition.transitions
    return run, t


@pytest.mark.parametrize("rule", QUICK, ids=lambda r: r.id)
@SETTINGS
@given(data=st.data())
def test_lazy_verdict_equals_the_full_evaluation_at_the_check(rule: cf.Rule, data: st.DataObject) -> None:
    """Whether quick says yes or no, the verdict read later is the one of the check."""
    scenario = data.draw(st.one_of(cst.evidence_for(rule), cst.evidence_against(rule)))
    run, t = _run(rule, scenario)
    now = run.clock()
    full = judge(run, unit="unit", stage="a", t=t, actor=None, now=now, kinds=None)
    fast = judge(run, unit="unit", stage="a", t=t, actor=None, now=now, kinds=quick_kinds(t))
    compiled = judge(
        run, unit="unit", stage="a", t=t, actor=None, now=now, kinds=quick_kinds(t), quick=rule.quick_over()
    )
    # Evidence recorded after the check does not leak into the lazy verdict.
    run.record("unit", Doc(n=100, kind="b"), by=cf.Actor(id="late"))
    assert fast.passed == full.passed
    assert fast == full == compiled
    assert fast.root == full.root == compiled.root


@pytest.mark.parametrize("rule", QUICK, ids=lambda r: r.id)
@SETTINGS
@given(data=st.data())
def test_the_logged_verdict_is_the_built_ones(rule: cf.Rule, data: st.DataObject) -> None:
    """A pass's event names the gate's rule id without building the verdict: the id the built
    root carries; a refusal's compact verdict is the dict's, cut (compact_verdict)."""
    scenario = data.draw(st.one_of(cst.evidence_for(rule), cst.evidence_against(rule)))
    for ordered in (True, False):
        run, t = _run(rule, scenario, ordered=ordered)
        verdict = run.check("unit", "go")
        if verdict.passed:
            logged = _audit.passed(run._gate_id(t, verdict))  # before anything builds the verdict
            assert logged == _audit.compact_verdict(verdict.to_dict())
        else:
            assert _audit.refused(verdict) == _audit.compact_verdict(verdict.to_dict())


@pytest.mark.parametrize("rule", QUICK, ids=lambda r: r.id)
@SETTINGS
@given(data=st.data())
def test_a_compiled_quick_check_answers_as_quick_does(rule: cf.Rule, data: st.DataObject) -> None:
    """Rule.quick_over() (plain counts folded, one call per gate) says what quick() says."""
    scenario = data.draw(st.one_of(cst.evidence_for(rule), cst.evidence_against(rule)))
    run, t = _run(rule, scenario)
    kinds = quick_kinds(t)
    assert kinds is not None
    records = frozen(run, "unit", kinds)
    check = rule.quick_over()
    assert check is not None
    assert holds_over(check, records) == certainly_holds(rule, Snapshot(run, "unit", records))


@given(st.lists(st.integers(0, 5), max_size=8), st.integers(0, 6))
def test_a_rule_that_raises_is_never_passed_quickly(ns: list[int], need: int) -> None:
    """A where= that raises: quick cannot tell, the full evaluation reports an error."""
    rule = cf.count_at_least(Doc, need, where=lambda d: 10 // d.n > 0)  # ZeroDivisionError on n=0
    run, _ = _run(rule, Scenario(evidence=tuple((Doc(n=n), "x") for n in ns)))
    verdict = run.check("unit", "go")
    if 0 in ns:
        assert not verdict.passed
        assert verdict.root.children[1].status is cf.Status.ERROR
    else:
        assert verdict.passed == (len(ns) >= need)


def test_memory_chain_is_hashed_on_read_and_matches_verify() -> None:
    """Steps come back without hashes; history, rows and verify see the full chain."""
    c = cf.Campaign("chain")
    c.stages("a", "b")
    c.transition("go", "a", "b", gate=cf.count_at_least(Doc, 1))
    store = cf.MemoryStore()
    run = c.start(["u1", "u2"], store=store)
    actor = cf.Actor(id="x")
    run.record("u1", Doc(n=1), by=actor)
    fired = run.fire("u1", "go", by=actor)
    assert fired.hash == ""  # not paid for at write time
    history = run.history("u1")
    assert history[-1].seq == fired.seq
    assert history[-1].hash
    assert history[1].prev_hash == history[0].hash
    assert store.row("u1").head == history[-1].hash  # type: ignore[union-attr]
    assert c.verify(["u1", "u2"], store).ok


@pytest.mark.parametrize("rule", QUICK, ids=lambda r: r.id)
@SETTINGS
@given(data=st.data())
def test_a_batch_judges_each_unit_as_check_does(rule: cf.Rule, data: st.DataObject) -> None:
    """fire_many's one-step quick passes and its full judgements give the verdicts check() gives."""
    scenarios = data.draw(
        st.lists(st.one_of(cst.evidence_for(rule), cst.evidence_against(rule)), min_size=1, max_size=4)
    )
    c = cf.Campaign("fast-batch")
    c.stages("a", "b")
    c.evidence(Doc)
    c.transition("go", "a", "b", gate=rule)
    units = [f"u{i}" for i in range(len(scenarios))]
    run = c.start(units, clock=cf.FixedClock())
    for unit, scenario in zip(units, scenarios, strict=True):
        for value, actor in scenario.evidence:
            run.record(unit, value, by=cf.Actor(id=actor))
    before = {u: run.check(u, "go") for u in units}
    result = run.fire_many(units, "go", by=cf.Actor(id="x"))
    after = {s.unit: s.verdict for s in result.fired} | {v.unit: v for v in result.refused}
    assert after == before
    assert {s.unit for s in result.fired} == {u for u, v in before.items() if v.passed}


def test_fire_many_moves_every_unit_of_a_state_as_the_machine_does() -> None:
    """One machine call per (state, event) in a batch; every unit ends where fire() would take it."""
    c = cf.Campaign("batch")
    c.stage("a")
    c.stage("b", substages=(cf.Stage(id="x"), cf.Stage(id="y")))
    c.stage("c")
    c.transition("go", "a", "b")
    c.transition("on", "b.x", "b.y")
    c.transition("go", "b.y", "c")
    units = [f"u{i}" for i in range(6)]
    run = c.start(units)
    actor = cf.Actor(id="x")
    run.fire_many(units[:3], "go", by=actor)
    run.fire_many(units[:2], "on", by=actor)
    result = run.fire_many(["u0", "u3", "u1", "u4", "u5"], "go", by=actor)  # two states mixed
    stages = {u: run.stage_of(u) for u in units}
    assert stages == {"u0": "c", "u1": "c", "u2": "b.x", "u3": "b.x", "u4": "b.x", "u5": "b.x"}
    assert [s.dest for s in result.fired] == ["c", "b.x", "c", "b.x", "b.x"]
    with pytest.raises(cf.InvalidTransition):
        run.fire_many(["u2"], "go", by=actor)  # "go" does not leave b.x


def test_the_engine_remembers_exactly_the_machines_moves() -> None:
    """Every (leaf, event) of the nested mass-line machine: the remembered move is the machine's."""
    from campaignflow.presets.mass_line import campaign as mass_line  # noqa: PLC0415
    from campaignflow.run.engine import Engine, EngineRefused  # noqa: PLC0415 - internals under test

    definition = mass_line().build()

    class Rec:
        def __init__(self, state: str) -> None:
            self.state = state

    engine = Engine(definition)
    moved = refused = 0
    for leaf in definition.leaves:
        for event in engine.machine.events:
            first, again = Rec(leaf), Rec(leaf)
            try:
                engine.apply(first, event)  # asks transitions
            except EngineRefused:
                with pytest.raises(EngineRefused):  # a refusal is never remembered as a move
                    engine.apply(again, event)
                assert engine.dest(event, leaf) is None
                refused += 1
                continue
            engine.apply(again, event)  # the remembered move
            assert again.state == first.state == engine.dest(event, leaf)
            moved += 1
    assert moved > 10  # both paths were exercised
    assert refused > 10
