"""A batch judges evidence shared from above (``counts_below``) as a single fire does.

``fire_many`` reads the records its units' ancestors share to them once per
batch (``run.judging.BatchRead``), not once per unit. Whatever was recorded,
retracted or voided by a send-back before a batch, at the unit or above it, each
unit's verdict is the one ``check`` gives, and the log, hashes included, is what
the per-unit reads write (a store without ``records_many``), on every store.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import campaignflow as cf
from conftest import reset_pg

OFFICE = cf.Actor(id="office")
# A county, two townships, three villages: a record at the county is shared one or two levels down.
UNITS: list[dict[str, Any]] = [
    {"id": "county", "parent": None, "level": "county"},
    {"id": "t0", "parent": "county", "level": "township"},
    {"id": "t1", "parent": "county", "level": "township"},
    {"id": "t0v0", "parent": "t0", "level": "village"},
    {"id": "t0v1", "parent": "t0", "level": "village"},
    {"id": "t1v0", "parent": "t1", "level": "village"},
]
NAMES = [u["id"] for u in UNITS]
# Each unit a principal and a member; t0's member is a principal too; one person belongs nowhere.
PEOPLE = [
    *({"id": f"{u}.p", "unit": u, "roles": ["principal"]} for u in NAMES),
    *({"id": f"{u}.m", "unit": u, "roles": ["members"]} for u in NAMES if u != "t0"),
    {"id": "t0.m", "unit": "t0", "roles": ["members", "principal"]},
]
EVERYONE = [*(p["id"] for p in PEOPLE), "stranger"]


@attrs.frozen
class Study:
    """学习: who attended."""

    attendees: tuple[str, ...]


@attrs.frozen
class Doc:
    """A plain record, not shared."""

    n: int = 1


def org() -> cf.Org:
    return cf.Org.from_dicts(UNITS, people=PEOPLE, levels=("county", "township", "village"))


def campaign(levels: int) -> cf.Campaign:
    c = cf.Campaign("sharing")
    c.stages("a", "b", "c")
    c.evidence(Study, Doc)
    c.counts_below(Study, people="attendees", levels=levels, roles=("principal",))

    @c.rule("heads_present", label="自定义: 有人到会", reads=(Study,))
    def heads_present(ctx: cf.Context) -> cf.Finding:
        # A custom rule reading the shared records too: through the batch's view in a batch.
        seen = {who for r in ctx.records_for_people(Study, "attendees") for who in r.value.attendees}
        return cf.ok(f"{len(seen)} attended") if seen else cf.fail("nobody attended")

    c.transition(
        "go",
        "a",
        "b",
        gate=cf.all_of(cf.every_member_has(Study, among="principal", by="attendees"), cf.exists(Doc)),
    )
    c.transition(
        "on",
        "b",
        "c",
        gate=cf.all_of(
            cf.every_member_has(Study, among="principal", by="attendees", at_least=2), "heads_present"
        ),
    )
    c.rework("a", limit=9, redo=(Study,))
    # 回头看: a failed review sends the unit back to a, and leaving a again waits for its check
    # (an ordering rule reading the unit's review records and the shared sessions).
    heads = cf.every_member_has(Study, among="principal", by="attendees", at_least=2)
    c.review("look", reopens="a", checks={"heads": heads})
    return c


_unit = st.sampled_from(NAMES)
_event = st.sampled_from(["go", "on"])
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("study"), _unit, st.lists(st.sampled_from(EVERYONE), max_size=4).map(tuple)),
        st.tuples(st.just("doc"), _unit, st.just(())),
        st.tuples(st.just("retract"), _unit, st.just(())),
        st.tuples(st.just("back"), _unit, st.just(())),
        st.tuples(st.just("review"), _unit, st.just(())),
        st.tuples(st.just("many"), st.lists(_unit, max_size=6), _event),
        st.tuples(st.just("one"), _unit, _event),
    ),
    max_size=30,
)
# Most plans start with sessions at the county and townships, so that batches share something.
START: list[tuple[str, Any, Any]] = [
    ("study", "county", ("t0.p", "t0.m", "t0v0.p", "t1.p", "county.p")),
    ("study", "t0", ("t0v0.p", "t0v1.p", "t0.p")),
    *(("doc", u, ()) for u in NAMES),
]

# The county's session voided by its send-back: the townships under it no longer count it;
# then t0's failed review holds it in a until a second session for each head is recorded.
VOIDED_ABOVE: list[tuple[str, Any, Any]] = [
    ("one", "county", "go"),
    ("back", "county", ()),
    ("many", ["t0", "t1", "t0v0"], "go"),
    ("study", "county", ("t0.m",)),
    ("many", ["t0", "t1"], "go"),
    ("review", "t0", ()),
    ("many", ["t0", "t0v0"], "go"),
    ("study", "t0", ("t0.p", "t0.m")),
    ("many", ["t0", "t0v0"], "go"),
]


def _roots(verdicts: Any) -> list[tuple[str, str, str, cf.Finding]]:
    return [(v.unit, v.event, v.stage, v.root) for v in verdicts]


def _batch(run: cf.Run, units: list[str], event: str) -> object:
    """``fire_many`` over those of ``units`` that can take ``event``, judged as ``check`` judges."""
    units = [u for u in dict.fromkeys(units) if run.engine.dest(event, run.stage_of(u))]
    # What a single judgement says of each unit now: the batch must say exactly that.
    checked = _roots(run.check(u, event) for u in units)
    result = run.fire_many(units, event, by=OFFICE)
    judged = [s.verdict for s in result.fired] + list(result.refused)
    assert sorted(_roots(judged), key=repr) == sorted(checked, key=repr)
    return (tuple(result.fired), result.refused)


def _apply(run: cf.Run, op: str, arg: Any, extra: Any) -> object:
    """One operation's observable outcome; refusals and impossible moves are part of the story."""
    live = run.evidence(arg, Study) if op == "retract" else ()
    verbs: dict[str, Callable[[], object]] = {
        "study": lambda: run.record(arg, Study(attendees=extra), by=OFFICE),
        "doc": lambda: run.record(arg, Doc(), by=OFFICE),
        "retract": lambda: run.retract(arg, live[0].id, reason="重复", by=OFFICE) if live else None,
        "back": lambda: run.send_back(arg, "a", reason="返工", by=OFFICE),
        "review": lambda: run.review(arg, "look", by=OFFICE),
        "one": lambda: run.fire(arg, extra, by=OFFICE),
        "many": lambda: _batch(run, arg, extra),
    }
    try:
        return verbs[op]()
    except cf.CampaignflowError as exc:
        return (type(exc).__name__, str(exc))


def _play(target: object, plan: list[tuple[str, Any, Any]], levels: int, *, batched: bool) -> dict[str, Any]:
    c = campaign(levels)
    run = c.start(org(), store=target, clock=cf.FixedClock(), ids=cf.CountingIds())
    if not batched:
        run.store.records_many = None  # type: ignore[method-assign,assignment] # fire_many then reads per unit
    outcomes = [_apply(run, *step) for step in [*START, *plan]]
    store = run.store
    report = c.verify(org(), store)
    assert report.ok, report.problem
    return {
        "outcomes": outcomes,
        "steps": list(store.steps()),
        "rows": sorted(store.rows(), key=lambda r: r.unit),
        "states": [run.state(u) for u in NAMES],
    }


def _same(fresh: Callable[[], object], plan: list[tuple[str, Any, Any]], levels: int) -> None:
    """The batch path and the per-unit reads say and write the same, step for step."""
    got = _play(fresh(), plan, levels, batched=True)
    want = _play(fresh(), plan, levels, batched=False)
    assert got == want


SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class TestBatchSharingIsSingleJudging:
    @settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(plan=OPS, levels=st.integers(1, 2))
    @example(plan=VOIDED_ABOVE, levels=1)
    def test_memory(self, plan: list[tuple[str, Any, Any]], levels: int) -> None:
        """In memory: verdicts as ``check`` gives them, the same log as per-unit reads."""
        _same(cf.MemoryStore, plan, levels)

    @SETTINGS
    @given(plan=OPS, levels=st.integers(1, 2))
    @example(plan=VOIDED_ABOVE, levels=1)
    def test_sqlite(self, plan: list[tuple[str, Any, Any]], levels: int) -> None:
        """On SQLite: the same, the hash chain included."""
        with tempfile.TemporaryDirectory() as tmp:
            files = iter(("a.db", "b.db"))
            _same(lambda: f"sqlite:///{Path(tmp) / next(files)}", plan, levels)

    @SETTINGS
    @given(plan=OPS, levels=st.integers(1, 2))
    @example(plan=VOIDED_ABOVE, levels=1)
    def test_postgresql(self, pg_url: str, plan: list[tuple[str, Any, Any]], levels: int) -> None:
        """On PostgreSQL: the same (each run on emptied tables)."""

        def fresh() -> str:
            reset_pg(pg_url)
            return pg_url

        _same(fresh, plan, levels)


def test_a_batch_reads_the_shared_records_once(tmp_path: Path) -> None:
    """One read of the records above for a whole batch, and none per unit (the point of it):
    not for the sessions shared from above, nor for the review records the ordering reads."""
    run = campaign(1).start(org(), store=f"sqlite:///{tmp_path / 'n.db'}", clock=cf.FixedClock())
    for kind, unit, extra in START:
        _apply(run, kind, unit, extra)
    store = run.store
    single: list[tuple[str, str]] = []
    many: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
    one, batch = store.records, store.records_many

    def records(unit: str, kind: str) -> Any:
        single.append((unit, kind))
        return one(unit, kind)

    def records_many(units: Sequence[str], kinds: Sequence[str]) -> Any:
        many.append((tuple(units), tuple(kinds)))
        return batch(units, kinds)

    store.records, store.records_many = records, records_many  # type: ignore[method-assign]
    result = run.fire_many(["t0v0", "t0v1", "t1v0", "t0"], "go", by=OFFICE)
    assert [s.unit for s in result.fired] == ["t0v0", "t0v1", "t0"]  # t1v0.p was at no session
    assert single == []
    # The batch's units (the gate's kinds, the review's), then those above them not in it, shared kind only.
    assert many == [
        (("t0v0", "t0v1", "t1v0", "t0"), ("Doc", "ReviewRecord", "Study")),
        (("t1", "county"), ("Study",)),
    ]
