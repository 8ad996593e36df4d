"""Hooks: on_enter, on_exit, on_fire, on_send_back, called after the commit, never on open."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import structlog
from hypothesis import given
from hypothesis import strategies as st

import campaignflow as cf

A = cf.Actor(id="x")
Call = tuple[str, str, int]


def campaign(calls: list[Call], *, failing: bool = False) -> cf.Campaign:
    """Stages a, b (with b.x, b.y), z; a hook on every kind, recording (hook, unit, seq)."""
    c = cf.Campaign("hooks")
    c.stage("a")
    c.stage("b", substages=("x", "y"))
    c.stage("z")
    c.transition("go", "a", "b")
    c.transition("next", "b.x", "b.y")
    c.transition("end", "b", "z")
    c.rework("a", limit=10)
    c.rework("b", limit=10)

    def note(name: str) -> Any:
        def hook(run: cf.Run, step: cf.Step) -> None:
            assert run.stage_of(step.unit) == step.dest  # called after the move, on the moved run
            calls.append((name, step.unit, step.seq))

        return hook

    c.on_exit("b.x", note("exit b.x"))
    c.on_exit("b", note("exit b"))
    c.on_fire("go", note("fire go"))
    c.on_fire("end", note("fire end"))
    c.on_send_back("a", note("back a"))
    c.on_send_back("b", note("back b"))
    c.on_enter("b", note("enter b"))
    c.on_enter("b.y", note("enter b.y"))
    c.on_enter("a", note("enter a"))
    if failing:

        def broken(run: cf.Run, step: cf.Step) -> None:
            msg = "the mail server is down"
            raise RuntimeError(msg)

        c.on_fire("go", broken)
        c.on_fire("go", note("after broken"))
    return c


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> object:
    """A fresh store target of each kind."""
    if request.param == "memory":
        return cf.MemoryStore()
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'hooks.db'}"
    return request.getfixturevalue("pg_fresh")


def expected(c: cf.Campaign, steps: list[cf.Step]) -> list[Call]:
    """The hook calls a log implies, derived step by step from the declarations."""
    d = c.build()

    def under(stage: str, leaf: str) -> bool:
        return leaf == stage or leaf.startswith(stage + ".")

    out: list[Call] = []
    for s in steps:
        if s.kind not in {cf.Kind.FIRE, cf.Kind.SEND_BACK}:
            continue
        out.extend(
            ("exit " + h.key, s.unit, s.seq)
            for h in d.hooks
            if h.on.value == "exit" and under(h.key, s.source) and not under(h.key, s.dest)
        )
        for h in d.hooks:
            if s.kind is cf.Kind.FIRE and h.on.value == "fire" and h.key == s.event:
                out.append(("fire " + h.key, s.unit, s.seq))
            if s.kind is cf.Kind.SEND_BACK and h.on.value == "send_back" and h.key == s.target:
                out.append(("back " + h.key, s.unit, s.seq))
        out.extend(
            ("enter " + h.key, s.unit, s.seq)
            for h in d.hooks
            if h.on.value == "enter" and under(h.key, s.dest) and not under(h.key, s.source)
        )
    return out


class TestHooks:
    def test_called_in_order_after_the_write(self, target: object) -> None:
        """Exits, then the fire or send-back hooks, then enters; a compound stage once."""
        calls: list[Call] = []
        run = campaign(calls).start(["u"], store=target)
        go = run.fire("u", "go", by=A)
        assert calls == [("fire go", "u", go.seq), ("enter b", "u", go.seq)]
        nxt = run.fire("u", "next", by=A)
        assert calls[2:] == [("exit b.x", "u", nxt.seq), ("enter b.y", "u", nxt.seq)]
        back = run.send_back("u", "a", reason="redo", by=A)
        assert calls[4:] == [("exit b", "u", back.seq), ("back a", "u", back.seq), ("enter a", "u", back.seq)]

    def test_batch_order_for_fire_many(self) -> None:
        """fire_many calls each fired unit's hooks in batch order; refused units call none."""
        calls: list[Call] = []
        run = campaign(calls).start(["u", "v", "w"])
        result = run.fire_many(["w", "u"], "go", by=A)
        assert [c[1] for c in calls] == ["w", "w", "u", "u"]
        assert [c[2] for c in calls] == [s.seq for s in result.fired for _ in range(2)]

    def test_never_called_on_open_or_verify(self, target: object) -> None:
        """Opening and verifying a stored run replays nothing through the hooks."""
        calls: list[Call] = []
        c = campaign(calls)
        run = c.start(["u", "v"], store=target)
        run.fire("u", "go", by=A)
        before = list(calls)
        again = c.open(["u", "v"], run.store)
        assert c.verify(["u", "v"], run.store).ok
        assert again.stage_of("u") == "b.x"
        assert calls == before

    def test_a_failing_hook_is_reported_and_the_write_stands(self, target: object) -> None:
        """A hook that raises: later hooks still run, the error is logged and raised, the move is kept."""
        calls: list[Call] = []
        c = campaign(calls, failing=True)
        run = c.start(["u"], store=target)
        with structlog.testing.capture_logs() as logs, pytest.raises(cf.HookFailed) as caught:
            run.fire("u", "go", by=A)
        step = caught.value.result
        assert isinstance(step, cf.Step)
        assert caught.value.steps == (step,)
        ((name, error),) = caught.value.errors
        assert "broken" in name
        assert str(error) == "the mail server is down"
        assert [c[0] for c in calls] == ["fire go", "after broken", "enter b"]
        assert next(e for e in logs if e["event"] == "hook_failed")["seq"] == step.seq
        assert run.stage_of("u") == "b.x"
        assert c.open(["u"], run.store).stage_of("u") == "b.x"

    def test_unknown_names_are_refused_at_build(self) -> None:
        """A hook on an unknown stage, event or rework is a DefinitionError listing each."""
        c = cf.Campaign("bad")
        c.stages("a", "b")
        c.transition("go", "a", "b")
        c.on_enter("c", lambda run, step: None)
        c.on_fire("jump", lambda run, step: None)
        c.on_send_back("a", lambda run, step: None)
        with pytest.raises(cf.DefinitionError) as caught:
            c.build()
        assert len(caught.value.problems) == 3
        with pytest.raises(cf.DefinitionError, match="takes a function"):
            cf.Campaign("worse").on_exit("a", "not callable")  # type: ignore[arg-type]


OPS = st.lists(
    st.tuples(st.sampled_from(["u", "v", "w"]), st.sampled_from(["go", "next", "end", "a", "b", "many"])),
    max_size=25,
)


@given(OPS)
def test_hooks_equal_what_the_log_implies(ops: list[tuple[str, str]]) -> None:
    """Over random fires, batches and send-backs, the calls equal those derived from the log, in order."""
    calls: list[Call] = []
    c = campaign(calls)
    run = c.start(["u", "v", "w"])
    for unit, op in ops:
        try:
            if op in {"a", "b"}:
                run.send_back(unit, op, reason="redo", by=A)
            elif op == "many":
                run.fire_many(["w", "v", "u"], "go", by=A)
            else:
                run.fire(unit, op, by=A)
        except cf.CampaignflowError:
            pass
    assert calls == expected(c, list(run.store.steps()))
