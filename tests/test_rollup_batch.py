"""A batch's counting (``Counters.move_many``) says what counting its units one by one says.

``move_many`` counts its moves per (counter place, old, new) over the batch's columns,
and works out the place of a unit it was never told about (``add``) on the way.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

import campaignflow as cf
from campaignflow.run.rollup import Counters

PARENTS = {"root": None, "t1": "root", "t2": "root", "v1": "t1", "v2": "t1", "v3": "t2", "r2": None}
LEVELS = {"root": "county", "r2": "county", "t1": "township", "t2": "township"}
STAGES = ("a", "b", "c")


def _counters() -> Counters:
    org = cf.Org.from_dicts(
        [{"id": u, "parent": p, "level": LEVELS.get(u, "village")} for u, p in PARENTS.items()],
        levels=("county", "township", "village"),
    )
    c = cf.Campaign("batch")
    c.stages(*STAGES)
    c.transition("go", "a", "b")
    c.transition("on", "b", "c")
    return Counters(org, c.build())


def _counts(counters: Counters) -> list[tuple[object, ...]]:
    """Every subtree's tally (the whole org's and each internal unit's), read raw."""
    tallies = [counters._above(node)[0] for node in (None, "root", "t1", "t2")]
    return [(t.counts, t.blocked) for t in tallies]


@settings(max_examples=200, deadline=None)
@given(
    added=st.sets(st.sampled_from(sorted(PARENTS))),
    moves=st.dictionaries(
        st.sampled_from(sorted(PARENTS)), st.tuples(st.sampled_from(STAGES), st.sampled_from(STAGES))
    ),
    blocked=st.dictionaries(st.sampled_from(sorted(PARENTS)), st.sampled_from([-1, 1])),
)
def test_move_many_counts_as_moves_one_by_one(
    added: set[str], moves: dict[str, tuple[str, str]], blocked: dict[str, int]
) -> None:
    batch, single = _counters(), _counters()
    for counters in (batch, single):
        for unit in sorted(added):  # the others are first met in the batch
            counters.add(unit, "a")
    units = list(moves)
    batch.move_many(units, [moves[u][0] for u in units], [moves[u][1] for u in units], blocked)
    for unit, (old, new) in moves.items():
        single.move(unit, old, new)
    for unit, delta in blocked.items():
        single.blocked(unit, delta)
    assert _counts(batch) == _counts(single)


def test_levels_of_reads_each_units_level() -> None:
    org = _counters().org
    units = sorted(PARENTS)
    assert org.levels_of(units) == [org.level(u) for u in units]
    assert org.levels_of([]) == []
