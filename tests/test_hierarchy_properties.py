"""Property tests over generated org trees: loaders, ordering constraints, roll-up."""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import campaignflow as cf
from strategies import LEVELS, broken_rows, org_rows, orgs


@attrs.frozen
class Ok:
    flag: bool = True


ACTOR = cf.Actor(id="boss")
ACTIONS = ("go", "meet", "close", "back", "ok")


def _campaign() -> cf.Campaign:
    c = cf.Campaign("h")
    c.stages("a", "b", "c", "d")
    c.evidence(Ok)
    c.transition("go", "a", "b", order=cf.pilots_first())
    c.transition("meet", "b", "c", order=cf.parent_first(), gate=cf.exists(Ok))
    c.transition("close", "c", "d", order=cf.children_done("d"))
    c.rework("b", limit=1)
    return c


class TestLoader:
    @given(org_rows())
    def test_every_valid_tree_loads(self, rows: list[dict[str, Any]]) -> None:
        """Any valid three-level tree loads, with every unit, parents before children."""
        org = cf.Org.from_dicts(rows, levels=LEVELS)
        order = list(org)
        assert sorted(order) == sorted(r["id"] for r in rows)
        assert all(order.index(org.parent(u) or u) <= order.index(u) for u in order)

    @given(broken_rows())
    def test_every_defect_is_refused(self, case: tuple[str, list[dict[str, Any]]]) -> None:
        """Cycles, inversions, unknown parents, duplicates, orphans and empty ids are OrgErrors."""
        kind, rows = case
        with pytest.raises(cf.OrgError):
            cf.Org.from_dicts(rows, levels=LEVELS)
        assert kind


class TestOrderingAndRollUp:
    @settings(max_examples=60)
    @given(orgs(), st.lists(st.tuples(st.integers(0, 10**6), st.sampled_from(ACTIONS)), max_size=80))
    def test_constraints_hold_whatever_the_order(self, org: cf.Org, plan: list[tuple[int, str]]) -> None:
        """Under any firing order, every accepted fire respected its ordering constraint."""
        run = _campaign().start(org)
        units = list(org)
        for n, action in plan:
            unit = units[n % len(units)]
            if not _act(run, unit, action):
                continue
            parent = org.parent(unit)
            if action == "meet" and parent is not None:
                assert run.has_fired(parent, "meet"), "a unit met before its parent"
            if action == "close":
                assert all(run.stage_of(c) == "d" for c in org.children(unit)), "closed before children"
            if action == "go" and not org.is_pilot(unit):
                assert all(run.has_fired(p, "go") for p in org.pilots()), "rolled out before pilots"

    @settings(max_examples=60)
    @given(orgs(), st.lists(st.tuples(st.integers(0, 10**6), st.sampled_from(ACTIONS)), max_size=80))
    def test_progress_equals_recount(self, org: cf.Org, plan: list[tuple[int, str]]) -> None:
        """After any sequence of operations the incremental roll-up equals a full recount."""
        run = _campaign().start(org)
        units = list(org)
        for n, action in plan:
            _act(run, units[n % len(units)], action)
        for node in (None, *units):
            assert run.progress(node).counts() == run.recount(node).counts()

    @settings(max_examples=60)
    @given(
        orgs(),
        st.lists(st.tuples(st.integers(0, 10**6), st.integers(1, 40), st.sampled_from(ACTIONS)), max_size=30),
    )
    def test_batches_count_as_single_fires_do(self, org: cf.Org, plan: list[tuple[int, int, str]]) -> None:
        """fire_many counts a batch once per subtree and slot: the roll-up (moves, blocked
        units) still equals a full recount after any mix of batches and single operations."""
        run = _campaign().start(org)
        units = list(org)
        for n, size, action in plan:
            picked = [units[(n + i) % len(units)] for i in range(size)]
            if action in {"back", "ok"}:
                for unit in picked:
                    _act(run, unit, action)
                continue
            batch = [u for u in dict.fromkeys(picked) if run.engine.dest(action, run.stage_of(u))]
            run.fire_many(batch, action, by=ACTOR)
        for node in (None, *units):
            assert run.progress(node).counts() == run.recount(node).counts()


def _act(run: cf.Run, unit: str, action: str) -> bool:
    """Try one operation; True when it was accepted."""
    try:
        if action == "ok":
            run.record(unit, Ok(), by=ACTOR)
        elif action == "back":
            run.send_back(unit, "b", reason="redo", by=ACTOR)
        else:
            run.fire(unit, action, by=ACTOR)
    except (cf.GateClosed, cf.InvalidTransition):
        return False
    return True
