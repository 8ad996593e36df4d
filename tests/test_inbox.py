"""run.next_actions and run.awaiting: what may happen next, and what waits for whom."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import campaignflow as cf
from campaignflow.definition.approval import ApprovedBy
from campaignflow.definition.combinators import walk
from campaignflow.testing.strategies import orgs


@attrs.frozen
class Report:
    """A report filed by the unit's clerk."""

    pages: int = 1


@attrs.frozen
class Approval:
    """An approval by the unit's supervision group."""

    note: str = ""


def campaign(*, archivers: tuple[str, ...] = ()) -> cf.Campaign:
    """Four stages: a gate on evidence, a gate on an approval, an ordering, a move open to any actor.

    ``archivers``: the roles that may archive (any actor when empty).
    """
    c = cf.Campaign("inbox-test")
    c.stages("draft", "review", "done", "archived")
    c.transition(
        "submit",
        "draft",
        "review",
        gate=cf.exists(Report, id="has_report", label="报告"),
        allowed=cf.role("clerk"),
    )
    c.transition(
        "close",
        "review",
        "done",
        gate=cf.all_of(
            cf.exists(Report, id="still_report", label="报告在"), cf.approved_by(Approval, label="督导组同意")
        ),
        allowed=cf.role("clerk"),
    )
    c.transition("withdraw", "review", "draft", allowed=cf.role("clerk"))
    c.transition("archive", "done", "archived", order=cf.parent_first(), allowed=archivers or None)
    c.rework("draft", limit=5)
    return c


UNITS = [
    {"id": "c", "parent": None, "level": "county"},
    {"id": "t1", "parent": "c", "level": "township"},
    {"id": "t2", "parent": "c", "level": "township"},
    {"id": "v1", "parent": "t1", "level": "village"},
    {"id": "v2", "parent": "t1", "level": "village"},
    {"id": "v3", "parent": "t2", "level": "village"},
]


def small_org() -> cf.Org:
    """A county, two townships, three villages; group g supervises c, t1, v1 and v3."""
    return cf.Org.from_dicts(
        UNITS,
        groups=[{"id": "g", "name": "督导组", "supervises": ["c", "t1", "v1", "v3"]}],
        people=[{"id": "sup", "name": "王督导", "unit": "g", "roles": ["supervisor"]}],
        levels=("county", "township", "village"),
    )


CLERK = cf.Actor(id="clerk", roles={"clerk"}, scope={"t1"})
SUP = cf.Actor(id="sup", roles={"supervisor"}, scope={"c"})
ADMIN = cf.Actor(id="admin", roles={"clerk", "supervisor"})


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> object:
    """A fresh store target of each kind."""
    if request.param == "memory":
        return cf.MemoryStore()
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'inbox.db'}"
    return request.getfixturevalue("pg_fresh")


def ticking() -> cf.FixedClock:
    """A clock moving one minute per reading."""
    return cf.FixedClock(datetime(2014, 3, 1, tzinfo=UTC), step=timedelta(minutes=1))


class TestNextActions:
    def test_lists_events_leaving_the_stage_with_verdicts(self) -> None:
        """Each event leaving the unit's stage comes with whether it may fire now and why not."""
        run = campaign().start(small_org())
        run.record("v1", Report(), by=CLERK)
        run.fire("v1", "submit", by=CLERK)
        actions = run.next_actions("v1", by=CLERK)
        assert [a.event for a in actions] == ["close", "withdraw"]
        close, withdraw = actions
        assert (close.ready, close.permitted, close.dest) == (False, True, "done")
        assert close.waits_on == ("督导组同意: no Approval by its supervision group",)
        assert (withdraw.ready, withdraw.waits_on) == (True, ())

    def test_role_and_scope_refusals_are_named_and_nothing_is_written(self) -> None:
        """An actor out of scope or without the role gets a refusal reason; the log is unchanged."""
        run = campaign().start(small_org())
        run.record("v3", Report(), by=ADMIN)
        before = len(run.history("v3"))
        (submit,) = run.next_actions("v3", by=CLERK)
        assert (submit.permitted, submit.ready, submit.verdict.passed) == (False, False, True)
        assert "outside 'clerk''s scope" in submit.refusal
        (by_sup,) = run.next_actions("v3", by=SUP)
        assert by_sup.refusal == "'sup' lacks role clerk"
        assert len(run.history("v3")) == before

    def test_without_an_actor_only_ordering_and_gate_are_judged(self) -> None:
        """by=None judges ordering and gate alone, as run.check does."""
        run = campaign().start(small_org(), clock=cf.FixedClock())
        (submit,) = run.next_actions("v1")
        assert (submit.permitted, submit.verdict) == (True, run.check("v1", "submit"))

    def test_a_final_stage_has_no_next_action(self) -> None:
        """A unit in a stage nothing leaves gets an empty tuple."""
        run = campaign().start(["u"])
        run.record("u", Report(), by=ADMIN)
        run.fire("u", "submit", by=ADMIN)
        run.record("u", Approval(), by=cf.Actor(id="x"))  # no supervisors: the approval cannot count
        assert [a.event for a in run.next_actions("u")] == ["close", "withdraw"]
        assert run.next_actions("u")[0].verdict.passed is False

    def test_unknown_unit_raises(self) -> None:
        """An unknown unit is refused with UnknownUnit."""
        with pytest.raises(cf.UnknownUnit):
            campaign().start(small_org()).next_actions("v9")

    def test_to_dict(self) -> None:
        """to_dict carries readiness and reasons."""
        (submit,) = campaign().start(small_org()).next_actions("v1", by=CLERK)
        assert submit.to_dict() == {
            "unit": "v1",
            "event": "submit",
            "label": "submit",
            "dest": "review",
            "permitted": True,
            "ready": False,
            "refusal": "",
            "waits_on": ["报告: 0 of 1 Report recorded (1 missing)"],
        }


class TestAwaiting:
    def test_clerk_and_supervisor_inboxes(self, target: object) -> None:
        """The clerk sees what it may fire; the supervisor what waits on its group's approval."""
        run = campaign().start(small_org(), store=target, clock=ticking())
        assert run.awaiting(CLERK) == ()
        run.record("v2", Report(), by=CLERK)
        run.record("v1", Report(), by=CLERK)
        assert [(i.unit, i.event, i.action) for i in run.awaiting(CLERK)] == [
            ("v1", "submit", "fire"),
            ("v2", "submit", "fire"),
        ]
        run.fire("v2", "submit", by=CLERK)
        run.fire("v1", "submit", by=CLERK)
        assert [(i.unit, i.event) for i in run.awaiting(CLERK)] == [("v2", "withdraw"), ("v1", "withdraw")]
        (item,) = run.awaiting(SUP)  # v2 is not supervised by the group
        assert (item.unit, item.event, item.action) == ("v1", "close", "approve")
        assert item.waits_on == ("督导组同意: no Approval by its supervision group",)
        assert item.since == run.history("v1")[-1].at
        run.record("v1", Approval(), by=SUP)
        assert run.awaiting(SUP) == ()
        assert [(i.unit, i.event) for i in run.awaiting(CLERK)] == [
            ("v2", "withdraw"),
            ("v1", "close"),
            ("v1", "withdraw"),
        ]

    def test_an_opened_run_gives_the_same_inbox(self, target: object) -> None:
        """Reopened from its store, a run lists the same items, times read from the log."""
        c = campaign()
        run = c.start(small_org(), store=target, clock=ticking())
        for unit in ("v2", "v1"):
            run.record(unit, Report(), by=CLERK)
            run.fire(unit, "submit", by=CLERK)
        live = (run.awaiting(CLERK), run.awaiting(SUP))
        again = c.open(small_org(), run.store, clock=ticking())
        assert (again.awaiting(CLERK), again.awaiting(SUP)) == live

    def test_an_unscoped_approver_reads_what_its_group_supervises(self) -> None:
        """A supervisor without scope or roles, where every event needs a role, gets its group's units."""
        run = campaign(archivers=("clerk",)).start(small_org(), clock=ticking())
        for unit in ("v3", "v2", "v1"):
            run.record(unit, Report(), by=ADMIN)
            run.fire(unit, "submit", by=ADMIN)
        items = run.awaiting(cf.Actor(id="sup"))
        assert [(i.unit, i.event, i.action) for i in items] == [
            ("v3", "close", "approve"),
            ("v1", "close", "approve"),
        ]

    def test_paging(self) -> None:
        """limit and offset cut the ordered list into pages."""
        run = campaign().start(small_org(), clock=ticking())
        for unit in ("v2", "t1", "v1"):
            run.record(unit, Report(), by=CLERK)
        everything = run.awaiting(CLERK)
        assert [i.unit for i in everything] == ["t1", "v1", "v2"]
        assert run.awaiting(CLERK, limit=2) == everything[:2]
        assert run.awaiting(CLERK, limit=2, offset=2) == everything[2:]

    def test_ordering_is_judged(self) -> None:
        """An event waiting on its parent (parent_first) joins the inbox once the parent fired it."""
        run = campaign().start(small_org(), clock=ticking())
        for unit in ("c", "t1", "v1"):
            run.record(unit, Report(), by=ADMIN)
            run.fire(unit, "submit", by=ADMIN)
            run.record(unit, Approval(), by=SUP)
            run.fire(unit, "close", by=ADMIN)
        archiver = cf.Actor(id="arch", scope={"t1"})
        assert run.awaiting(archiver) == ()
        run.fire("c", "archive", by=ADMIN)
        assert [(i.unit, i.event) for i in run.awaiting(archiver)] == [("t1", "archive")]
        run.fire("t1", "archive", by=archiver)
        assert [(i.unit, i.event) for i in run.awaiting(archiver)] == [("v1", "archive")]


# ---------------------------------------------------------------- against a brute-force scan


def brute_force(run: cf.Run, actor: cf.Actor) -> list[tuple[str, str, str, str, tuple[str, ...]]]:
    """Every unit of the org, every event leaving its stage, judged through public calls."""
    d = run.definition
    org = run.org
    found = []
    for unit in org:
        stage = run.stage_of(unit)
        leaving = [t for t in d.transitions if any(d.covers(s, stage) for s in t.sources)]
        history = run.history(unit)
        moves = [s.at for s in history if s.kind in {cf.Kind.FIRE, cf.Kind.SEND_BACK}]
        since = moves[-1] if moves else ""
        for index, t in enumerate(leaving):
            if actor.scope is not None and not any(
                r in org and org.is_ancestor(r, unit) for r in actor.scope
            ):
                continue
            verdict = run.check(unit, t.event, by=actor)
            may_fire = t.allowed is None or t.allowed.permits(actor)
            mine = {
                r.id
                for r in (walk(t.gate) if t.gate is not None else ())
                if isinstance(r, ApprovedBy)
                and actor.id in org.supervisors(unit)
                and (r.latest_of is None or run.evidence(unit, r.latest_of))
            }
            if verdict.passed and may_fire:
                found.append((since, unit, index, t.event, "fire", ()))
            elif not verdict.passed and mine and all(f.rule in mine for f in verdict.failures):
                lines = tuple(f"{f.label or f.rule}: {f.reason}" for f in verdict.failures)
                found.append((since, unit, index, t.event, "approve", lines))
    found.sort(key=lambda x: x[:3])
    return [(u, e, a, s, w) for s, u, _, e, a, w in found]


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[cf.Org, list[tuple[str, int, int]], cf.Actor, cf.Actor, bool]:
    """An org with a supervision group, operations, a clerk, a supervisor, whether archiving needs a role."""
    tree = draw(orgs(fanout=(0, 3), pilots=False))
    rows = [{"id": u, "parent": tree.parent(u), "level": tree.level(u)} for u in tree.units_ordered()]
    units = [r["id"] for r in rows]
    supervised = draw(st.lists(st.sampled_from(units), unique=True))
    org = cf.Org.from_dicts(
        rows,
        groups=[{"id": "g", "name": "g", "supervises": supervised}],
        people=[{"id": "sup", "name": "sup", "unit": "g", "roles": ["supervisor"]}],
        levels=tree.levels,
    )
    ops = draw(st.lists(st.tuples(st.sampled_from(units), st.integers(0, 6), st.integers(0, 1)), max_size=30))
    scope = draw(st.none() | st.lists(st.sampled_from(units), min_size=1, max_size=2).map(frozenset))
    roles = draw(st.sampled_from([frozenset(), frozenset({"clerk"})]))
    clerk = cf.Actor(id="clerk", roles=roles, scope=scope)
    sup_scope = draw(st.none() | st.lists(st.sampled_from(units), min_size=1, max_size=2).map(frozenset))
    sup = cf.Actor(id="sup", roles={"clerk"} if draw(st.booleans()) else set(), scope=sup_scope)
    return org, ops, clerk, sup, draw(st.booleans())


def play(run: cf.Run, ops: list[tuple[str, int, int]]) -> None:
    """Apply generated operations, skipping those the run refuses."""
    events = ("submit", "close", "withdraw", "archive")
    for unit, op, tick in ops:
        if tick:
            assert isinstance(run.clock, cf.FixedClock)
            run.clock.advance(timedelta(minutes=1))
        try:
            if op == 0:
                run.record(unit, Report(), by=ADMIN)
            elif op == 1:
                run.record(unit, Approval(), by=cf.Actor(id="sup"))
            elif op == 6:
                run.send_back(unit, "draft", reason="redo", by=ADMIN)
            else:
                run.fire(unit, events[op - 2], by=ADMIN)
        except cf.CampaignflowError:
            pass


@given(scenarios())
def test_awaiting_equals_a_scan_of_the_whole_org(scenario: Any) -> None:
    """awaiting() lists the same units, events and order as judging every unit of the org."""
    org, ops, clerk, sup, closed = scenario
    run = campaign(archivers=("clerk",) if closed else ()).start(
        org, clock=cf.FixedClock(datetime(2014, 3, 1, tzinfo=UTC))
    )
    play(run, ops)
    for actor in (clerk, sup):
        got = [(i.unit, i.event, i.action, i.since, i.waits_on) for i in run.awaiting(actor, limit=10_000)]
        assert got == brute_force(run, actor)
