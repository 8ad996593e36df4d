"""Recurring obligations: judged by period and grace, reported per subtree, usable as gates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import campaignflow as cf
from campaignflow.definition.obligations import make_obligation

START = datetime(2014, 3, 3, tzinfo=UTC)  # a Monday
H = timedelta(hours=1)
CLERK = cf.Actor(id="office")


@attrs.frozen
class Visit:
    """走访: a leader's visit to a contact point."""

    leader: str
    on: datetime | None = None


def obligation(every: timedelta, grace: timedelta, ends: datetime | None = None) -> cf.Obligation:
    return make_obligation(
        "visits", role="leadership", via="contacts", every=every, grace=grace, evidence=Visit, by="leader",
        starts=START, ends=ends,
    )  # fmt: skip


def oracle(ob: cf.Obligation, times: list[datetime], now: datetime) -> tuple[cf.Standing, int]:
    """The definition, read literally: an independent (slow) statement of judge()."""
    if now < ob.starts:
        return cf.Standing.NOT_STARTED, 0
    seen = [t for t in times if t <= now]
    count = ob.periods() or 10_000
    periods = [k for k in range(count) if ob.period_start(k) <= now]
    current = periods[-1]
    done = any(ob.period_start(current) <= t for t in seen)
    passed = [k for k in range(count) if ob.deadline(k) <= now]
    overdue = any(not any(ob.period_start(k) <= t for t in seen) for k in passed)
    missed = sum(not any(ob.period_start(k) <= t < ob.deadline(k) for t in seen) for k in passed)
    standing = cf.Standing.DONE if done else cf.Standing.OVERDUE if overdue else cf.Standing.DUE
    return standing, missed


cases = st.tuples(
    st.integers(1, 24 * 14).map(lambda h: h * H),  # every
    st.integers(0, 24 * 20).map(lambda h: h * H),  # grace
    st.none() | st.integers(1, 12),  # periods until it ends
    st.lists(st.integers(-200, 24 * 120).map(lambda h: START + h * H), max_size=12),  # fulfilments
    st.integers(-100, 24 * 150).map(lambda h: START + h * H),  # now
)


def oracle_since(ob: cf.Obligation, times: list[datetime], now: datetime) -> tuple[datetime | None, int]:
    """Overdue since the first deadline of the periods with nothing since their start, and how many."""
    seen = [t for t in times if t <= now]
    count = ob.periods() or 10_000
    passed = [k for k in range(count) if ob.deadline(k) <= now]
    empty = [k for k in passed if not any(ob.period_start(k) <= t for t in seen)]
    return (ob.deadline(empty[0]), len(empty)) if empty else (None, 0)


class TestJudge:
    @given(cases)
    def test_overdue_since_the_first_missed_deadline(
        self, case: tuple[timedelta, timedelta, int | None, list[datetime], datetime]
    ) -> None:
        """An overdue duty is overdue since the first deadline with nothing since, counting the periods."""
        every, grace, n, times, now = case
        ob = obligation(every, grace, None if n is None else START + n * every)
        got = cf.judge(ob, times, now)
        expected = oracle_since(ob, times, now) if got.standing is cf.Standing.OVERDUE else (None, 0)
        assert (got.overdue_since, got.overdue_periods) == expected

    def test_two_weeks_without_a_visit_reads_overdue_since_the_first_week(self) -> None:
        """A township never visited for two weeks is overdue since the first week's deadline, 2 periods."""
        ob = obligation(timedelta(weeks=1), timedelta(0))
        got = cf.judge(ob, [], START + timedelta(weeks=2, days=1))
        assert (got.standing, got.overdue_since, got.overdue_periods) == (
            cf.Standing.OVERDUE,
            START + timedelta(weeks=1),
            2,
        )
        assert got.deadline == START + timedelta(weeks=2)  # the latest deadline passed, as before

    @given(cases)
    def test_overdue_exactly_when_a_deadline_passed_with_nothing_since_its_period_began(
        self, case: tuple[timedelta, timedelta, int | None, list[datetime], datetime]
    ) -> None:
        every, grace, n, times, now = case
        ob = obligation(every, grace, None if n is None else START + n * every)
        got = cf.judge(ob, times, now)
        assert (got.standing, got.missed) == oracle(ob, times, now)

    @given(cases)
    def test_fulfilling_now_makes_it_done(
        self, case: tuple[timedelta, timedelta, int | None, list[datetime], datetime]
    ) -> None:
        every, grace, _, times, now = case
        ob = obligation(every, grace)
        got = cf.judge(ob, [*times, now], now)
        assert got.standing is (cf.Standing.NOT_STARTED if now < START else cf.Standing.DONE)

    @given(cases, st.integers(0, 24 * 60).map(lambda h: h * H))
    def test_without_new_evidence_overdue_stays_overdue(
        self, case: tuple[timedelta, timedelta, int | None, list[datetime], datetime], later: timedelta
    ) -> None:
        every, grace, _, times, now = case
        ob = obligation(every, grace)
        past = [t for t in times if t <= now]
        if cf.judge(ob, past, now).standing is cf.Standing.OVERDUE:
            assert cf.judge(ob, past, now + later).standing is cf.Standing.OVERDUE

    def test_weekly_with_two_days_grace(self) -> None:
        ob = obligation(timedelta(weeks=1), timedelta(days=2))
        tuesday_week2 = START + timedelta(days=8)
        # Week 1 missed, but its deadline (Wednesday of week 2) has not passed yet.
        due = cf.judge(ob, [], tuesday_week2)
        assert due.standing is cf.Standing.DUE
        assert due.deadline == START + timedelta(days=9)
        late = cf.judge(ob, [], START + timedelta(days=9))
        assert late.standing is cf.Standing.OVERDUE
        assert late.missed == 1
        # A late visit in week 2 catches up: done for week 2, week 1 stays missed only if past its grace.
        caught = cf.judge(ob, [START + timedelta(days=10)], START + timedelta(days=11))
        assert (caught.standing, caught.missed) == (cf.Standing.DONE, 1)


def org() -> cf.Org:
    return cf.Org.from_dicts(
        [
            {"id": "county", "parent": None, "level": "county", "name": "中牟县"},
            {"id": "t1", "parent": "county", "level": "township", "name": "韩寺镇"},
            {"id": "v1", "parent": "t1", "level": "village", "name": "东庄村"},
            {"id": "v2", "parent": "t1", "level": "village", "name": "西庄村"},
        ],
        people=[
            {"id": "L1", "name": "李县长", "unit": "county", "roles": ["leadership"]},
            {"id": "L2", "name": "王副县长", "unit": "county", "roles": ["leadership"]},
            {"id": "T1", "name": "张镇长", "unit": "t1", "roles": ["leadership"]},
            {"id": "C1", "name": "干部甲", "unit": "v1", "roles": ["cadre"]},
        ],
        contacts=[
            {"person": "L1", "unit": "t1"},
            {"person": "L2", "unit": "v2"},
            {"person": "T1", "unit": "v1"},
        ],
        levels=("county", "township", "village"),
    )


@attrs.frozen
class Diary:
    """民情日记: a cadre's diary entry."""

    cadre: str
    text: str = "(entry)"


def campaign() -> tuple[cf.Campaign, cf.Obligation]:
    c = cf.Campaign("obligations")
    c.stages("prepare", "meeting")
    visits = c.obligation(
        "visits", role="leadership", every=timedelta(weeks=1), grace=timedelta(days=2),
        evidence=Visit, by="leader", starts=START, label="每周深入联系点",
    )  # fmt: skip
    c.obligation(
        "diary", role="cadre", via="own", every=timedelta(weeks=1), evidence=Diary, by="cadre",
        starts=START, label="民情日记",
    )  # fmt: skip
    c.transition("hold", "prepare", "meeting", gate=cf.not_overdue(visits))
    return c, visits


class TestRun:
    def test_visit_at_a_village_counts_for_the_visitor_and_shows_in_the_village_history(self) -> None:
        c, _ = campaign()
        clock = cf.FixedClock(START + timedelta(days=3))
        run = c.start(org(), clock=clock)
        step = run.record("v1", Visit(leader="T1"), by=CLERK)
        (seen,) = run.history("v1")
        assert seen.evidence is not None
        assert seen.evidence == step.evidence
        assert seen.evidence.value.leader == "T1"
        report = run.obligations("t1", only=["visits"])
        standing = {(d.person, d.target): d.standing for d in report.duties}
        assert standing == {
            ("L1", "t1"): cf.Standing.DUE,
            ("T1", "v1"): cf.Standing.DONE,
            ("L2", "v2"): cf.Standing.DUE,
        }

    def test_overdue_duties_close_the_gate_and_name_who_and_where(self) -> None:
        c, _ = campaign()
        clock = cf.FixedClock(START + timedelta(days=10))
        run = c.start(org(), clock=clock)
        verdict = run.check("county", "hold")
        assert not verdict.passed
        assert set(verdict.failures[0].missing) == {"L1→t1", "L2→v2"}
        assert set(verdict.failures[0].missing_labels) == {"李县长 → 韩寺镇", "王副县长 → 西庄村"}
        assert "overdue since 2014-03-12" in verdict.failures[0].reason
        run.record("t1", Visit(leader="L1"), by=CLERK)
        run.record("v2", Visit(leader="L2"), by=CLERK)
        assert run.check("county", "hold").passed
        # The township's own leader owes v1; the county's meeting does not wait for him.
        assert not run.check("t1", "hold").passed
        assert run.check("v1", "hold").passed  # nobody at the village owes a visit

    def test_weeks_overdue_read_from_the_first_missed_deadline(self) -> None:
        """Three weeks on, the gate's reason, the report and its data say since 03-12, 2 periods missed."""
        c, _ = campaign()
        run = c.start(org(), clock=cf.FixedClock(START + timedelta(days=17)))
        reason = run.check("county", "hold").failures[0].reason
        assert "overdue since 2014-03-12 00:00 (2 periods missed, never fulfilled)" in reason
        (late, *_) = run.obligations(only=["visits"]).to_dict()["duties"]
        assert (late["overdue_since"], late["overdue_periods"], late["deadline"]) == (
            "2014-03-12T00:00:00+00:00",
            2,
            "2014-03-19T00:00:00+00:00",
        )

    def test_report_counts_per_obligation_and_subtree(self) -> None:
        c, _ = campaign()
        clock = cf.FixedClock(START + timedelta(days=10))
        run = c.start(org(), clock=clock)
        run.record("v1", Diary(cadre="C1"), by=CLERK)
        run.record("v1", Visit(leader="T1"), by=CLERK)
        report = run.obligations()
        assert report.counts("visits") == {"not_started": 0, "done": 1, "due": 0, "overdue": 2}
        assert report.counts("diary")["done"] == 1
        assert report.by_unit(["t1"], run)["t1"]["overdue"] == 2
        assert [d.standing for d in report.duties][:2] == [cf.Standing.OVERDUE] * 2  # overdue first
        text = report.explain()
        assert "每周深入联系点: 1 done, 0 due, 2 overdue" in text
        assert "overdue since 2014-03-12 00:00 (1 period missed, never fulfilled)" in text
        assert "李县长 → 韩寺镇" in text
        assert report.to_dict()["counts"]["overdue"] == 2
        before = run.obligations(now=START - timedelta(days=1))
        assert before.counts()["not_started"] == 4

    def test_when_field_dates_the_visit_instead_of_the_recording_time(self) -> None:
        c = cf.Campaign("dated")
        c.stages("a", "b")
        c.obligation(
            "visits", role="leadership", every=timedelta(weeks=1), grace=timedelta(days=2),
            evidence=Visit, by="leader", starts=START, when="on",
        )  # fmt: skip
        c.transition("go", "a", "b")
        clock = cf.FixedClock(START + timedelta(days=10))
        run = c.start(org(), clock=clock)
        run.record("t1", Visit(leader="L1", on=START + timedelta(days=1)), by=CLERK)
        (duty,) = [d for d in run.obligations("t1").duties if d.target == "t1"]
        assert duty.last == START + timedelta(days=1)
        # Week 1 was kept (on day 1); week 2 is due, not done, though it was recorded in week 2.
        assert duty.standing is cf.Standing.DUE

    @given(
        st.lists(st.integers(0, 24 * 40).map(lambda h: START + h * H), max_size=6),
        st.integers(0, 24 * 50).map(lambda h: START + h * H),
    )
    def test_run_report_agrees_with_judge(self, visits: list[datetime], now: datetime) -> None:
        c, ob = campaign()
        clock = cf.FixedClock(START)
        run = c.start(org(), clock=clock)
        for at in sorted(visits):
            clock.now = at
            run.record("v2", Visit(leader="L2"), by=CLERK)
        (duty,) = run.obligations("v2", now=now).duties
        assert duty.standing is cf.judge(ob, visits, now).standing
        clock.now = now
        assert run.check("county", "hold").passed == (
            duty.standing is not cf.Standing.OVERDUE
            and cf.judge(ob, [], now).standing is not cf.Standing.OVERDUE  # L1 never visits t1
        )


class TestDeclaring:
    @pytest.mark.parametrize(
        ("kwargs", "fragment"),
        [
            ({"every": timedelta(0)}, "every="),
            ({"grace": timedelta(days=-1)}, "grace="),
            ({"starts": datetime(2014, 3, 3)}, "aware"),  # noqa: DTZ001 - the naive time under test
            ({"via": "neighbours"}, "via="),
            ({"by": "who"}, "by='who'"),
            ({"ends": START}, "ends="),
            ({"role": ""}, "role=''"),
            ({"evidence": str}, "evidence=str"),
            ({"evidence": "Visit"}, "pass the evidence class"),
        ],
    )
    def test_bad_declarations_name_the_problem(self, kwargs: dict[str, object], fragment: str) -> None:
        base: dict[str, object] = {
            "role": "leadership", "every": timedelta(weeks=1), "evidence": Visit, "by": "leader",
            "starts": START,
        }  # fmt: skip
        c = cf.Campaign("bad")
        with pytest.raises(cf.DefinitionError, match="obligation 'v'") as err:
            c.obligation("v", **{**base, **kwargs})  # type: ignore[arg-type]
        assert fragment in str(err.value)

    def test_via_administers_reaches_the_units_below(self) -> None:
        """A township leader's duty toward every village the township administers."""
        c = cf.Campaign("below")
        c.stages("a", "b")
        c.obligation(
            "village_visits", role="leadership", via="administers", every=timedelta(weeks=2),
            evidence=Visit, by="leader", starts=START,
        )  # fmt: skip
        c.transition("go", "a", "b")
        run = c.start(org(), clock=cf.FixedClock(START + timedelta(days=1)))
        run.record("v2", Visit(leader="T1"), by=CLERK)
        report = run.obligations("t1")
        got = {(d.person, d.target): d.standing for d in report.duties}
        assert got == {
            ("T1", "v1"): cf.Standing.DUE,
            ("T1", "v2"): cf.Standing.DONE,
            ("L1", "t1"): cf.Standing.DUE,  # the county's leaders owe the township below them
            ("L2", "t1"): cf.Standing.DUE,
        }

    def test_unknown_obligation_in_report(self) -> None:
        c, _ = campaign()
        run = c.start(org(), clock=cf.FixedClock(START))
        with pytest.raises(cf.DefinitionError, match="declares"):
            run.obligations(only=["nope"])

    def test_not_overdue_registers_its_obligation(self) -> None:
        ob = obligation(timedelta(weeks=1), timedelta(0))
        c = cf.Campaign("auto")
        c.stages("a", "b")
        c.transition("go", "a", "b", gate=cf.not_overdue(ob))
        built = c.build()
        assert built.obligations == {"visits": ob}
        assert built.evidence_types["Visit"] is Visit
