"""A single fire's own path (a pass without ordering) writes, counts and logs exactly what the
full path does: the same steps, chains, rows, counters, refusals and log events."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from structlog.testing import capture_logs

import campaignflow as cf
from campaignflow.exceptions import GateClosed
from campaignflow.run.hooks import call_hooks

ACTOR = cf.Actor(id="clerk")
UNITS = ["u0", "u1", "u2"]


@attrs.frozen
class Doc:
    n: int


GATES = [
    cf.all_of(
        cf.count_at_least(Doc, 1),
        cf.count_at_least(Doc, 2),
        cf.exists(Doc),
        cf.sum_at_least(Doc, "n", 3),
    ),
    cf.count_at_least(Doc, 2),
    cf.any_of(cf.count_at_least(Doc, 3), cf.sum_at_least(Doc, "n", 5)),
]


def _campaign(gate: cf.Rule, seen: list[tuple[str, int]]) -> cf.Campaign:
    c = cf.Campaign("paths")
    c.stages("a", "b", "c")
    c.evidence(Doc)
    c.transition("go", "a", "b", gate=gate)
    c.transition("on", "b", "c")  # an open transition: no gate, no ordering
    c.rework("a", limit=3)
    c.on_fire("go", lambda _run, step: seen.append((step.unit, step.seq)))
    return c


def full_fire(run: cf.Run, unit: str, event: str, *, by: cf.Actor) -> cf.Step:
    """What ``fire`` did before its own path: judge in full, then ``_commit_one``."""
    rec = run._unit(unit)
    t = run._transition(unit, rec, event)
    actor = run._authorise(unit, by, event, t.allowed)
    now = run.clock()
    at = now.isoformat()
    verdict = run._verdict(unit, rec, t, actor, now, at)
    step, kept = run._commit_one(unit, rec, t, verdict, actor, at, None)
    if not verdict.passed:
        raise GateClosed(verdict, actor=actor.id, seq=step.seq, kept=kept)
    call_hooks(run, (step,), step)
    return step


ops = st.lists(
    st.one_of(
        st.tuples(st.just("record"), st.sampled_from(UNITS), st.integers(0, 3)),
        st.tuples(st.sampled_from(["go", "on"]), st.sampled_from(UNITS), st.just(0)),
        st.tuples(st.just("back"), st.sampled_from(UNITS), st.just(0)),
    ),
    max_size=25,
)


def _play(
    gate: cf.Rule, plan: list[tuple[str, str, int]], *, fast: bool, store: object = None
) -> dict[str, Any]:
    seen: list[tuple[str, int]] = []
    clock = cf.FixedClock(step=timedelta(milliseconds=250))
    campaign = _campaign(gate, seen)
    run = campaign.start(UNITS, clock=clock, ids=cf.CountingIds(), store=store)
    said: list[object] = []
    with capture_logs() as logs:
        for op, unit, n in plan:
            try:
                if op == "record":
                    said.append(run.record(unit, Doc(n), by=ACTOR))
                elif op == "back":
                    said.append(run.send_back(unit, "a", reason="redo", by=ACTOR))
                else:
                    said.append(run.fire(unit, op, by=ACTOR) if fast else full_fire(run, unit, op, by=ACTOR))
            except cf.CampaignflowError as exc:
                said.append((type(exc).__name__, str(exc), getattr(exc, "verdict", None)))
    return {
        "said": said,
        "verdicts": [s.verdict.to_dict() for s in said if isinstance(s, cf.Step) and s.verdict],
        "steps": list(run.store.steps()),
        "checkpoints": list(run.store.checkpoints()),
        "rows": list(run.store.rows()),
        "progress": run.progress().counts(),
        "states": [run.state(u) for u in UNITS],
        "hooks": seen,
        "logs": logs,
        "verify": campaign.verify(UNITS, run.store).ok,
    }


@pytest.mark.parametrize("gate", GATES, ids=lambda g: g.id)
@settings(max_examples=60, deadline=None)
@given(plan=ops)
def test_a_single_fires_own_path_is_the_full_path(gate: cf.Rule, plan: list[tuple[str, str, int]]) -> None:
    """Fired through its own path or the full one, a run says, writes, counts and logs the same."""
    assert _play(gate, plan, fast=True) == _play(gate, plan, fast=False)


@settings(max_examples=15, deadline=None)
@given(plan=ops)
def test_on_sqlite_the_own_path_writes_what_the_full_path_writes(plan: list[tuple[str, str, int]]) -> None:
    """On SQLite (written through append), both paths leave the same log, rows and checkpoints."""
    with tempfile.TemporaryDirectory() as tmp:
        fast = _play(GATES[0], plan, fast=True, store=f"sqlite:///{Path(tmp) / 'fast.db'}")
        full = _play(GATES[0], plan, fast=False, store=f"sqlite:///{Path(tmp) / 'full.db'}")
    assert fast == full


@settings(max_examples=15, deadline=None)
@given(plan=ops)
def test_the_memory_stores_own_write_is_its_append(plan: list[tuple[str, str, int]]) -> None:
    """Through append_one or through append (a store without it), the memory store holds the same."""
    assert _play(GATES[0], plan, fast=True) == _play(GATES[0], plan, fast=True, store=_Appending())


class _Appending(cf.MemoryStore):
    """The memory store written through ``append`` alone, as a store without ``append_one`` is."""

    append_one = None
