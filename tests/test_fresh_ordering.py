"""Cross-unit ordering judged on fresh state, the units read part of the optimistic check."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import campaignflow as cf
from campaignflow.store import UnitRow

ME = cf.Actor(id="me")
ORG = cf.Org.from_dicts(
    [
        {"id": "county", "parent": None, "level": "county"},
        {"id": "t-01", "parent": "county", "level": "township"},
        {"id": "t-02", "parent": "county", "level": "township"},
    ]
)
CHILDREN = ("t-01", "t-02")
DONE = {"b", "c"}


def campaign() -> cf.Campaign:
    """Units advance a→b after their parent; a parent closes b→c once its children reached b."""
    c = cf.Campaign("hierarchy")
    c.stages("a", "b", "c")
    c.transition("advance", "a", "b", order=cf.parent_first())
    c.transition("close", "b", "c", order=cf.children_done("b"))
    c.rework("a", limit=50)
    return c


class Hooked:
    """A store that runs ``before`` once, just before its next append: a rival's write in the window."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.before: Callable[[], object] | None = None

    def append(self, steps: Sequence[cf.Step], rows: Sequence[UnitRow], expected: Mapping[str, int]) -> Any:
        hook, self.before = self.before, None
        if hook is not None:
            hook()
        return self.inner.append(steps, rows, expected)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _targets(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> object:
    if kind == "postgresql":
        return request.getfixturevalue("pg_fresh")
    return cf.MemoryStore() if kind == "memory" else f"sqlite:///{tmp_path / 'h.db'}"


def _log_holds_the_hierarchy(steps: Iterator[cf.Step]) -> None:
    """Replayed in log order, every fire and every refusal was true of the state at its place."""
    stage = dict.fromkeys(ORG, "a")
    fired: dict[str, set[str]] = {u: set() for u in ORG}
    for step in steps:
        parent = ORG.parent(step.unit)
        children = ORG.children(step.unit)
        if step.event == "advance" and step.kind in {cf.Kind.FIRE, cf.Kind.DENY}:
            holds = parent is None or "advance" in fired[parent]
            assert holds == (step.kind is cf.Kind.FIRE), (step.seq, step.unit, step.kind)
        if step.event == "close" and step.kind in {cf.Kind.FIRE, cf.Kind.DENY}:
            holds = all(stage[c] in DONE for c in children)
            assert holds == (step.kind is cf.Kind.FIRE), (step.seq, step.unit, step.kind)
        if step.kind is cf.Kind.FIRE:
            fired[step.unit].add(step.event)
        stage[step.unit] = step.dest


@pytest.mark.parametrize("kind", ["memory", "sqlite", "postgresql"])
class TestTheRaceWindow:
    def test_a_child_sent_back_between_judgement_and_write_stops_the_close(
        self, kind: str, tmp_path: Path, request: pytest.FixtureRequest
    ) -> None:
        """The county is judged closable, its child sent back before the write: lost race, then refused."""
        target = _targets(kind, tmp_path, request)
        c = campaign()
        setup = c.start(ORG, store=target)
        for unit in ("county", *CHILDREN):
            setup.fire(unit, "advance", by=ME)
        hooked = Hooked(setup.store)
        county = c.open(ORG, hooked)
        rival = c.open(ORG, target)
        hooked.before = lambda: rival.send_back("t-01", "a", reason="redo the talks", by=ME)
        with pytest.raises(cf.ConcurrentUpdate) as lost:
            county.fire("county", "close", by=ME)
        assert lost.value.unit == "t-01"
        assert county.stage_of("county") == "b"
        with pytest.raises(cf.GateClosed):
            cf.retry(county, lambda: county.fire("county", "close", by=ME))
        _log_holds_the_hierarchy(c.open(ORG, target).store.steps())
        assert c.verify(ORG, target).ok

    def test_a_stale_worker_sees_the_parent_fired(
        self, kind: str, tmp_path: Path, request: pytest.FixtureRequest
    ) -> None:
        """A long-lived run judges parent_first on the parent's stored state, not on what it saw at open."""
        target = _targets(kind, tmp_path, request)
        c = campaign()
        worker = c.start(ORG, store=target)
        c.open(ORG, target).fire("county", "advance", by=ME)  # another worker
        step = worker.fire("t-01", "advance", by=ME)
        assert (step.kind, worker.has_fired("county", "advance")) == (cf.Kind.FIRE, True)


OPS = st.lists(
    st.tuples(
        st.sampled_from([0, 1]),
        st.sampled_from(
            ["advance county", "advance t-01", "advance t-02", "close county", "back t-01", "back t-02"]
        ),
    ),
    max_size=30,
)


class TestTwoWriters:
    @given(ops=OPS)
    def test_every_interleaving_keeps_the_hierarchy(self, ops: list[tuple[int, str]]) -> None:
        """Two long-lived writers over parent and children: the log respects the ordering after every step."""
        c = campaign()
        store = cf.MemoryStore()
        writers = [c.start(ORG, store=store), c.open(ORG, store)]
        for who, op in ops:
            run = writers[who]
            verb, unit = op.split()

            def act(run: cf.Run = run, verb: str = verb, unit: str = unit) -> object:
                if verb == "back":
                    return run.send_back(unit, "a", reason="redo", by=ME)
                return run.fire(unit, verb, by=ME)

            with contextlib.suppress(cf.GateClosed, cf.InvalidTransition):
                cf.retry(run, act, attempts=3, backoff=0)
            _log_holds_the_hierarchy(store.steps())
        assert c.verify(ORG, store).ok
