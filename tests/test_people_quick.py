"""The rules over people pass quickly and say what the full evaluation says.

``every_member_has``, ``coverage`` and ``every_pair`` keep one tally per judgement
(``definition.tallies``): a quick check reads it, and the lazy verdict of a pass
is built from it later. Whatever was recorded, shared from above, retracted or
voided by a send-back, the quick path's verdict is the full evaluation's at the
moment of the check (even when read after more evidence came), and a run that
takes the quick path writes the log, hashes included, of one that never does, on
every store. Shared records are narrowed without ``attrs.evolve`` where the
evidence class allows it: to the value ``evolve`` builds.
"""

from __future__ import annotations

import contextlib
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import campaignflow as cf
from campaignflow.definition.context import names
from campaignflow.definition.people_rules import Coverage
from campaignflow.definition.rules import EveryMemberHas, EveryPair
from campaignflow.definition.sharing import narrower
from campaignflow.definition.tallies import people_in
from campaignflow.run.judging import judge, quick_kinds
from conftest import reset_pg
from test_batch_sharing import UNITS  # a county, two townships, three villages

OFFICE = cf.Actor(id="office")
NAMES = [u["id"] for u in UNITS]
# Each unit a principal and two members (t1v0 has one: a unit short of pairs); t0's member is a
# principal too; t0v1 has no principal at all.
PEOPLE = [
    *({"id": f"{u}.p", "unit": u, "roles": ["principal"], "name": f"主{u}"} for u in NAMES if u != "t0v1"),
    *({"id": f"{u}.m", "unit": u, "roles": ["members"]} for u in NAMES if u != "t0"),
    *({"id": f"{u}.n", "unit": u, "roles": ["members"]} for u in NAMES if u != "t1v0"),
    {"id": "t0.m", "unit": "t0", "roles": ["members", "principal"]},
]
EVERYONE = [*(p["id"] for p in PEOPLE), "stranger"]
ITEMS = ["a", "b", "c"]
HOMES = ["h1", "h2", "h3", "h4"]


def _people(_: object, attribute: attrs.Attribute[Any], value: tuple[str, ...]) -> None:
    for who in value:
        if not who:
            msg = f"{attribute.name}: an empty id"
            raise ValueError(msg)


@attrs.frozen
class Study:
    """学习: who attended (shared to the principals below), how long."""

    attendees: tuple[str, ...] = attrs.field(converter=tuple, validator=_people)
    hours: int = attrs.field(default=1, validator=attrs.validators.ge(0))


@attrs.frozen
class Chair:
    """Who chaired (one id: shared to anyone below)."""

    chair: str


@attrs.frozen
class Handout:
    """人手一册: who received which items (shared to anyone below)."""

    members: tuple[str, ...] = attrs.field(converter=tuple)
    items: tuple[str, ...] = ("a", "b")


@attrs.frozen
class Link:
    """住村联户: a cadre's households (not shared)."""

    cadre: str
    homes: tuple[str, ...]


@attrs.frozen
class Talk:
    """谈心: a talk from a to b."""

    a: str
    b: str


@attrs.frozen
class Doc:
    """A plain record."""

    n: int = 1


KINDS: dict[str, type[Any]] = {"Study": Study, "Chair": Chair, "Handout": Handout, "Link": Link, "Talk": Talk}


def org() -> cf.Org:
    return cf.Org.from_dicts(UNITS, people=PEOPLE, levels=("county", "township", "village"))


def campaign() -> cf.Campaign:
    c = cf.Campaign("people-quick")
    c.stages("a", "b", "c", "d")
    c.evidence(Study, Chair, Handout, Link, Talk, Doc)
    c.counts_below(Study, people="attendees", levels=2, roles=("principal",))
    c.counts_below(Chair, people="chair")
    c.counts_below(Handout, people="members")
    handbooks = cf.coverage(Handout, among="members", by="members", covers="items", required=("a", "b"))
    c.transition(
        "go",
        "a",
        "b",
        gate=cf.all_of(cf.every_member_has(Study, among="principal", by="attendees"), handbooks),
    )
    c.transition(
        "on",
        "b",
        "c",
        gate=cf.all_of(
            cf.every_member_has(Study, among="principal", by="attendees", at_least=2),
            cf.every_pair(Talk, among="members"),
            cf.coverage(Link, among="principal", by="cadre", covers="homes", at_least=2, total=3),
            cf.every_member_has(Chair, among="members", by="chair"),
            cf.exists(Doc),
        ),
    )
    # An any_of of pairs and counts passes quickly; one over records shared from above does not.
    c.transition(
        "up",
        "c",
        "d",
        gate=cf.all_of(
            cf.any_of(
                cf.every_pair(Talk, among="members", directed=True, hub="principal"),
                cf.count_at_least(Doc, 3),
            ),
            cf.any_of(
                cf.coverage(
                    Link, among="members", by="cadre", covers="homes", targets="members", total="all"
                ),
                cf.coverage(Handout, among="members", by="members", covers="items", at_least=3),
            ),
        ),
    )
    c.transition(
        "down", "d", "c", gate=cf.coverage(Link, among="members", by="cadre", covers="homes", total=2)
    )
    c.rework("a", limit=9, redo=(Study, Handout))
    return c


_unit = st.sampled_from(NAMES)
_who = st.sampled_from(EVERYONE)
_event = st.sampled_from(["go", "on", "up", "down"])
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("study"), _unit, st.lists(_who, max_size=4).map(tuple)),
        st.tuples(st.just("chair"), _unit, _who),
        st.tuples(
            st.just("handout"),
            _unit,
            st.tuples(
                st.lists(_who, max_size=3).map(tuple), st.lists(st.sampled_from(ITEMS), max_size=3).map(tuple)
            ),
        ),
        st.tuples(
            st.just("link"), _unit, st.tuples(_who, st.lists(st.sampled_from(HOMES), max_size=3).map(tuple))
        ),
        st.tuples(st.just("talk"), _unit, st.tuples(_who, _who)),
        st.tuples(st.just("doc"), _unit, st.just(())),
        st.tuples(st.just("retract"), _unit, st.sampled_from(sorted(KINDS))),
        st.tuples(st.just("back"), _unit, st.just(())),
        st.tuples(st.just("many"), st.lists(_unit, max_size=6), _event),
        st.tuples(st.just("one"), _unit, _event),
        st.tuples(st.just("judge"), st.just(()), st.just(())),
        st.tuples(st.just("fill"), _unit, st.sampled_from(["", *sorted(KINDS)])),
        st.tuples(st.just("advance"), st.just(()), st.just(())),
    ),
    max_size=30,
)
# Enough that most plans pass some gates: sessions above, handbooks, talks, links and docs.
START: list[tuple[str, Any, Any]] = [
    ("study", "county", ("t0.p", "t0.m", "t0v0.p", "t1.p", "county.p", "t1v0.p")),
    ("study", "t0", ("t0v0.p", "t0.p", "t0.m")),
    ("handout", "county", (("t0.n", "t0v0.m", "t0v0.n", "t1.m", "t1.n", "county.m", "county.n"), ("a", "b"))),
    *(("doc", u, ()) for u in NAMES),
    ("judge", (), ()),
    ("fill", "t0", ""),
    ("fill", "t1v0", "Talk"),
    ("many", ["t0", "t1v0"], "go"),
    ("judge", (), ()),
    ("advance", (), ()),
    ("judge", (), ()),
]
# A county send-back voids its sessions and handbooks for the units below; then they come again.
VOIDED_ABOVE: list[tuple[str, Any, Any]] = [
    ("many", NAMES, "go"),
    ("judge", (), ()),
    ("back", "county", ()),
    ("back", "t0", ()),
    ("judge", (), ()),
    ("many", NAMES, "go"),
    ("study", "county", ("t0.m", "t0v0.p", "t1.p")),
    ("handout", "county", (("t0.n", "t0v0.m", "t0v0.n"), ("a", "b", "c"))),
    ("many", NAMES, "go"),
    ("judge", (), ()),
]


def _transition(run: cf.Run, event: str) -> cf.Transition:
    return next(t for t in run.definition.transitions if t.event == event)


class Judged:
    """Every quick verdict judged so far, beside the full evaluation at the same moment."""

    def __init__(self) -> None:
        self.pairs: list[tuple[cf.Verdict, cf.Finding]] = []

    def judge_all(self, run: cf.Run) -> tuple[tuple[str, str, bool], ...]:
        """Judge every unit on the events leaving its stage, quickly and in full."""
        out = []
        now = run.clock()
        for unit in NAMES:
            stage = run.stage_of(unit)
            for t in run.definition.transitions:
                if stage not in t.sources:
                    continue
                full = judge(run, unit=unit, stage=stage, t=t, actor=None, now=now, kinds=None)
                fast = judge(run, unit=unit, stage=stage, t=t, actor=None, now=now, kinds=quick_kinds(t))
                assert fast.passed == full.passed
                self.pairs.append((fast, full.root))  # fast's root is read at the end: after more evidence
                out.append((unit, t.event, full.passed))
        return tuple(out)


def _apply(run: cf.Run, judged: Judged, op: str, arg: Any, extra: Any) -> object:
    """One operation's observable outcome; refusals and impossible moves are part of the story."""

    def retract() -> object:
        live = run.evidence(arg, KINDS[extra])
        return run.retract(arg, live[0].id, reason="重复", by=OFFICE) if live else None

    def fill() -> object:
        """Everything the unit's gates read, but for ``extra`` (left out): most gates then pass."""
        people = run.org.people(arg)
        members = run.org.people(arg, "members")
        values = [
            *(Study(attendees=people) for _ in range(2)),
            Handout(members=members, items=("a", "b", "c")),
            *(Link(cadre=p, homes=("h1", "h2", "h3")) for p in people),
            *(Talk(a=a, b=b) for a in people for b in people if a != b),
            *(Chair(chair=m) for m in members),
            *(Doc() for _ in range(3)),
        ]
        return [run.record(arg, v, by=OFFICE).seq for v in values if type(v).__name__ != extra]

    verbs: dict[str, Callable[[], object]] = {
        "fill": fill,
        "study": lambda: run.record(arg, Study(attendees=extra), by=OFFICE),
        "chair": lambda: run.record(arg, Chair(chair=extra), by=OFFICE),
        "handout": lambda: run.record(arg, Handout(members=extra[0], items=extra[1]), by=OFFICE),
        "link": lambda: run.record(arg, Link(cadre=extra[0], homes=extra[1]), by=OFFICE),
        "talk": lambda: run.record(arg, Talk(a=extra[0], b=extra[1]), by=OFFICE),
        "doc": lambda: run.record(arg, Doc(), by=OFFICE),
        "retract": retract,
        "back": lambda: run.send_back(arg, "a", reason="返工", by=OFFICE),
        "one": lambda: run.fire(arg, extra, by=OFFICE),
        "many": lambda: run.fire_many(
            [u for u in dict.fromkeys(arg) if run.engine.dest(extra, run.stage_of(u))], extra, by=OFFICE
        ),
        "judge": lambda: judged.judge_all(run),
        "advance": lambda: [_apply(run, judged, "many", NAMES, e) for e in ("go", "on", "up", "down")],
    }
    try:
        done = verbs[op]()
    except cf.CampaignflowError as exc:
        return (type(exc).__name__, str(exc))
    if isinstance(done, cf.BatchResult):
        return (tuple(done.fired), done.refused)
    return done


@contextlib.contextmanager
def _slow() -> Iterator[None]:
    """The rules over people never taken quickly: every judgement evaluated in full at once."""
    with pytest.MonkeyPatch.context() as patch:
        for cls in (EveryMemberHas, Coverage, EveryPair):
            patch.setattr(cls, "quickable", property(lambda _: False))
        yield


def _raw(where: object) -> list[tuple[Any, ...]]:
    """The stored log as bytes: each step's body and hash (SQLite and PostgreSQL)."""
    if isinstance(where, str) and where.startswith("sqlite:///"):
        with contextlib.closing(sqlite3.connect(where.removeprefix("sqlite:///"))) as con:
            return con.execute(
                "SELECT seq, unit, kind, body, prev_hash, hash FROM cf_steps ORDER BY seq"
            ).fetchall()
    if isinstance(where, str):
        engine = sa.create_engine(where)
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT seq, unit, kind, body, prev_hash, hash FROM cf_steps ORDER BY seq"
            )
            found = [tuple(r) for r in rows]
        engine.dispose()
        return found
    return []


def _play(target: object, plan: list[tuple[str, Any, Any]]) -> dict[str, Any]:
    c = campaign()
    run = c.start(org(), store=target, clock=cf.FixedClock(), ids=cf.CountingIds())
    judged = Judged()
    outcomes = [_apply(run, judged, *step) for step in [*START, *plan]]
    # Read only now, after every later record: each quick verdict is still the one of its check.
    for fast, full in judged.pairs:
        assert fast.root == full
    store = run.store
    report = c.verify(org(), store)
    assert report.ok, report.problem
    found = {
        "outcomes": outcomes,
        "steps": list(store.steps()),
        "rows": sorted(store.rows(), key=lambda r: r.unit),
        "states": [run.stage_of(u) for u in NAMES],
    }
    if isinstance(store, cf.MemoryStore):
        found["hashes"] = [s.hash for s in store.steps()]
    return found


def _same(fresh: Callable[[], object], plan: list[tuple[str, Any, Any]]) -> None:
    """The quick path and the full evaluation say and write the same, byte for byte."""
    where = fresh()
    quick = _play(where, plan)
    quick["raw"] = _raw(where)
    where = fresh()
    with _slow():
        full = _play(where, plan)
    full["raw"] = _raw(where)
    assert quick == full


SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class TestQuickIsFull:
    @settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(plan=OPS)
    @example(plan=VOIDED_ABOVE)
    def test_memory(self, plan: list[tuple[str, Any, Any]]) -> None:
        """In memory: each quick verdict is the full one of its check; the same log as without."""
        _same(cf.MemoryStore, plan)

    @SETTINGS
    @given(plan=OPS)
    @example(plan=VOIDED_ABOVE)
    def test_sqlite(self, plan: list[tuple[str, Any, Any]]) -> None:
        """On SQLite: the same, every stored body and hash alike."""
        with tempfile.TemporaryDirectory() as tmp:
            files = iter(("a.db", "b.db"))
            _same(lambda: f"sqlite:///{Path(tmp) / next(files)}", plan)

    @settings(SETTINGS, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(plan=OPS)
    @example(plan=VOIDED_ABOVE)
    def test_postgresql(self, pg_url: str, plan: list[tuple[str, Any, Any]]) -> None:
        """On PostgreSQL: the same (each run on emptied tables)."""

        def fresh() -> str:
            reset_pg(pg_url)
            return pg_url

        _same(fresh, plan)


def test_the_people_gates_are_quick_but_any_of_over_shared_records() -> None:
    """Gates of rules over people pass quickly; an any_of reading records from above does not."""
    run = campaign().start(org())
    quick = {t.event: quick_kinds(t) is not None for t in run.definition.transitions}
    assert quick == {"go": True, "on": True, "up": False, "down": True}


def test_a_quick_pass_builds_no_finding_until_read() -> None:
    """A unit whose people gate holds passes without evaluating the gate; the finding comes on read."""
    run = campaign().start(org(), clock=cf.FixedClock(), ids=cf.CountingIds())
    for value in (Study(attendees=("t1v0.p",)), Handout(members=("t1v0.m",), items=("a", "b"))):
        run.record("t1v0", value, by=OFFICE)
    t = _transition(run, "go")
    now = run.clock()
    fast = judge(run, unit="t1v0", stage="a", t=t, actor=None, now=now, kinds=quick_kinds(t))
    at_check = judge(run, unit="t1v0", stage="a", t=t, actor=None, now=now, kinds=None).root
    assert fast._root is None  # the lazy verdict, not built yet
    assert fast.passed
    run.record("t1v0", Handout(members=("t1v0.m",), items=("c",)), by=OFFICE)  # after the check
    assert fast.root == at_check
    assert at_check != run.check("t1v0", "go").root  # the handout since counts now, not then


# ------------------------------------------------------------ narrowing


def _no_empty(_: object, attribute: attrs.Attribute[Any], value: tuple[str, ...]) -> None:
    if not value:
        msg = f"{attribute.name} must name someone"
        raise ValueError(msg)


@attrs.frozen
class Plain:
    """A plain slotted class: narrowed by copying (its field's converter and validator run)."""

    who: tuple[str, ...] = attrs.field(converter=tuple, validator=_no_empty)
    note: str = attrs.field(default="", validator=attrs.validators.instance_of(str))


@attrs.frozen(slots=False)
class Dicted:
    """A class without slots: evolved."""

    who: tuple[str, ...]


@attrs.frozen
class Hooked:
    """A class with a post-init hook: evolved (the hook runs)."""

    who: tuple[str, ...]
    count: int = attrs.field(init=False, default=0)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "count", len(self.who))


@attrs.frozen(cache_hash=True)
class Cached:
    """A class whose hash is cached in a slot: evolved."""

    who: tuple[str, ...]


@attrs.frozen
class SelfConverted:
    """A converter that takes the instance: evolved."""

    note: str
    who: tuple[str, ...] = attrs.field(
        converter=attrs.Converter(lambda v, inst: (*v, inst.note), takes_self=True)  # type: ignore[misc]
    )


_ids = st.lists(st.sampled_from(["a", "b", "c", ""]), max_size=3).map(tuple)


@pytest.mark.parametrize("cls", [Plain, Dicted, Hooked, Cached, SelfConverted])
@given(before=_ids, after=_ids)
def test_narrowing_builds_the_value_evolve_builds(
    cls: type[Any], before: tuple[str, ...], after: tuple[str, ...]
) -> None:
    """Narrowed or evolved, the value is evolve's, and a value evolve refuses is refused alike."""
    kwargs: dict[str, Any] = {"note": "n"} if cls is SelfConverted else {}
    try:
        value = cls(who=before or ("a",), **kwargs)
    except ValueError:
        return
    narrow = narrower(cls, "who")

    def outcome(build: Callable[[], Any]) -> object:
        try:
            built = build()
        except ValueError as exc:
            return ("refused", str(exc))
        return (type(built), built, hash(built))

    assert outcome(lambda: narrow(value, after)) == outcome(lambda: attrs.evolve(value, who=after))
    assert (narrow.__name__ == "narrow") is (cls is Plain)  # only the plain class is copied


_field = st.one_of(
    st.text(max_size=3),
    st.none(),
    st.integers(),
    st.lists(
        st.one_of(st.text(max_size=2), st.integers(), st.none(), st.tuples(st.text(max_size=1))), max_size=5
    ),
    st.frozensets(st.one_of(st.text(max_size=2), st.integers()), max_size=4),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=3),
)


@given(value=_field, as_tuple=st.booleans())
def test_people_in_names_whom_names_does(value: object, as_tuple: bool) -> None:
    """The rules' C-filtered reading of a people field is ``names``' set, whatever the field holds."""
    if as_tuple and isinstance(value, list):
        value = tuple(value)
    assert people_in(value) == names(value)
