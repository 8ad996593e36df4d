"""A report and its drill-downs read the log and the ledger once: the figures of a read per report.

The dashboard's drill-downs take their timelines and ledgers from the report's
own read of its units (one pass over the log, one batched evidence read); each
must be what the old per-report reads gave: the whole log filtered (or each
unit's history) for the timeline, ``records_of`` per unit for the ledger.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import campaignflow as cf
from campaignflow.definition.model import Definition
from campaignflow.definition.obligations import as_time
from campaignflow.presets.mass_line import campaign
from campaignflow.presets.mass_line.simulation import simulate
from campaignflow.presets.scaled import scaled_org
from campaignflow.report import build
from campaignflow.report.build import LedgerOwner, build_report
from campaignflow.report.timeline import Timeline, _ends, build_timeline
from campaignflow.store import SQLStore
from campaignflow.values.records import Kind, Step
from test_simulation_reads import store_at

ORG = scaled_org("province", seed=0, fraction=0.004)  # 258 units: refusals, redos and send-backs


def old_timeline(
    definition: Definition, units: Iterable[str], steps: Iterable[Step], at: datetime
) -> Timeline:
    """The timeline as main counted it before the shared read (one list of every move)."""
    wanted = set(units)
    first: datetime | None = None
    moves: list[tuple[datetime, str, str]] = []
    for step in steps:
        if step.unit not in wanted:
            continue
        when = as_time(step.at, at)
        if when > at:
            continue
        first = when if first is None or when < first else first
        if step.kind in {Kind.FIRE, Kind.SEND_BACK} and step.dest != step.source:
            moves.append((when, step.unit, step.dest))
    moves.sort(key=lambda m: m[0])
    size, ends = _ends(first or at, at)
    where = dict.fromkeys(wanted, definition.initial)
    tally = dict.fromkeys(definition.leaves, 0)
    tally[definition.initial] = len(wanted)
    series: dict[str, list[int]] = {s: [] for s in definition.leaves}
    i = 0
    for end in ends:
        while i < len(moves) and (moves[i][0] < end or (end == at and moves[i][0] <= at)):
            _, unit, dest = moves[i]
            tally[where[unit]] -= 1
            tally[dest] += 1
            where[unit] = dest
            i += 1
        for s in definition.leaves:
            series[s].append(tally[s])
    return Timeline(
        period="week" if size.days == 7 else "day",
        ends=tuple(e.isoformat() for e in ends),
        stages=definition.leaves,
        labels=tuple(definition.label_of(s) for s in definition.leaves),
        counts=tuple(tuple(series[s]) for s in definition.leaves),
    )


def old_ledger(run: cf.Run, units: list[str]) -> tuple[LedgerOwner, ...]:
    """The ledger as main read it: ``records_of`` per unit and kind."""
    items = build._with_fields(run, "item", "person")
    closures = build._with_fields(run, "item", "accepted")
    owners: dict[str, list[int]] = {}
    for unit in units:
        accepted = {r.value.item for kind in closures for r in run.records_of(unit, kind) if r.value.accepted}
        for kind in items:
            for r in run.records_of(unit, kind):
                tally = owners.setdefault(run.org.name_of(r.value.person), [0, 0])
                tally[1 if r.value.item in accepted else 0] += 1
    return tuple(
        LedgerOwner(owner=o, open=t[0], closed=t[1])
        for o, t in sorted(owners.items(), key=lambda kv: (-kv[1][0], kv[0]))
    )


@pytest.fixture(scope="module", params=[("memory", 0), ("memory", 3), ("sqlite", 1), ("postgresql", 2)])
def simulated(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[cf.Run]:
    """A finished small run per store and seed (read-only below)."""
    kind, seed = request.param
    store = store_at(kind, tmp_path_factory.mktemp("report-reads") / "sim.db", request)
    run = simulate(ORG, store=store, seed=seed).run
    # The simulated clock ticks at every call: the reports compared are judged at one moment.
    yield campaign().open(ORG, run.store, clock=cf.FixedClock(run.clock()))
    if isinstance(store, SQLStore):
        store.close()


def test_drill_downs_are_each_subtrees_own_report(simulated: cf.Run) -> None:
    """Every drill-down (timeline, ledger, duties and all) is the report of its unit read alone."""
    report = build_report(simulated, drill_down=True)
    assert report.drill_downs
    assert any(p.ledger for p in report.drill_downs)
    assert all(p.timeline is not None for p in report.drill_downs)
    for page in report.drill_downs:
        assert page == build_report(simulated, page.node)
    assert report.timeline == old_timeline(
        simulated.definition, list(ORG), simulated.store.steps(), simulated.clock()
    )
    assert report.ledger == old_ledger(simulated, list(ORG))


@settings(max_examples=25, deadline=None)
@given(pick=st.integers(0, len(ORG) - 1), back=st.integers(0, 60 * 24 * 3600))
def test_shared_read_is_the_old_count(simulated: cf.Run, pick: int, back: int) -> None:
    """Any subtree, judged at any moment: its timeline and ledger are the old per-report reads'."""
    node = list(ORG)[pick]
    units = list(ORG.subtree(node))
    at = datetime.fromtimestamp(simulated.clock().timestamp() - back, tz=simulated.clock().tzinfo)
    steps = [s for u in units for s in simulated.store.history(u)]
    d = simulated.definition
    assert build_timeline(d, units, steps, at) == old_timeline(d, units, steps, at)
    assert build_timeline(d, units, simulated.store.steps(), at) == old_timeline(d, units, steps, at)
    read = build._ledger_items(simulated, units)
    assert build._ledger(units, read) == old_ledger(simulated, units)
    report = build_report(simulated, node)
    assert report.ledger == old_ledger(simulated, units)
    assert report.timeline == old_timeline(d, units, steps, simulated.clock())
