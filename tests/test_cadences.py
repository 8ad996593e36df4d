"""Calendar cadences: every="week" / "month" / "quarter", in the time zone of the obligation's start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import campaignflow as cf
from campaignflow.definition.obligations import make_obligation
from test_obligations import oracle, oracle_since

BEIJING = ZoneInfo("Asia/Shanghai")
H = timedelta(hours=1)
CLERK = cf.Actor(id="office")


@attrs.frozen
class Visit:
    """走访: a leader's visit to a contact point."""

    leader: str


def obligation(
    every: str, starts: datetime, grace: timedelta = timedelta(0), ends: datetime | None = None
) -> cf.Obligation:
    """An obligation of contact visits with a calendar cadence."""
    return make_obligation(
        "visits", role="leadership", via="contacts", every=every, grace=grace, evidence=Visit,
        by="leader", starts=starts, ends=ends,
    )  # fmt: skip


class TestCalendarPeriods:
    def test_weeks_run_from_monday_midnight_in_the_start_zone(self) -> None:
        """A weekly duty started on a Wednesday has a short first week, then Monday-to-Monday weeks."""
        ob = obligation("week", datetime(2014, 3, 5, 15, tzinfo=BEIJING))  # a Wednesday
        assert ob.period_start(0) == datetime(2014, 3, 5, 15, tzinfo=BEIJING)
        assert ob.period_start(1) == datetime(2014, 3, 10, tzinfo=BEIJING)
        assert ob.deadline(1) == datetime(2014, 3, 17, tzinfo=BEIJING)
        # Sunday 23:30 in Beijing is still week 0, though it is Sunday 15:30 in UTC.
        assert ob.index(datetime(2014, 3, 9, 23, 30, tzinfo=BEIJING)) == 0
        assert ob.index(datetime(2014, 3, 9, 16, 30, tzinfo=UTC)) == 1  # Monday 00:30 in Beijing

    def test_months_and_quarters_follow_the_calendar(self) -> None:
        """Months are of their own length; quarters start in January, April, July, October."""
        month = obligation("month", datetime(2014, 1, 20, tzinfo=BEIJING))
        assert [month.period_start(k).date().isoformat() for k in range(4)] == [
            "2014-01-20",
            "2014-02-01",
            "2014-03-01",
            "2014-04-01",
        ]
        quarter = obligation(
            "quarter", datetime(2014, 2, 24, tzinfo=BEIJING), ends=datetime(2014, 12, 1, tzinfo=BEIJING)
        )
        assert [quarter.period_start(k).date().isoformat() for k in range(4)] == [
            "2014-02-24",
            "2014-04-01",
            "2014-07-01",
            "2014-10-01",
        ]
        assert quarter.periods() == 4

    def test_unknown_cadence_is_refused(self) -> None:
        """every= takes a positive timedelta or one of the named calendar periods."""
        with pytest.raises(cf.DefinitionError, match="every='fortnight': use 'week', 'month', 'quarter'"):
            obligation("fortnight", datetime(2014, 3, 3, tzinfo=UTC))

    @given(
        st.sampled_from(["week", "month", "quarter"]),
        st.integers(0, 24 * 90).map(lambda h: datetime(2014, 1, 1, tzinfo=BEIJING) + h * H),
        st.integers(0, 24 * 400).map(lambda h: h * H),
    )
    def test_every_moment_lies_in_its_period(self, every: str, starts: datetime, after: timedelta) -> None:
        """period_start(index(m)) <= m < period_start(index(m) + 1), and periods only grow."""
        ob = obligation(every, starts)
        moment = starts + after
        k = ob.index(moment)
        assert ob.period_start(k) <= moment < ob.period_start(k + 1)
        assert ob.period_start(k) < ob.period_start(k + 1)

    @given(
        st.sampled_from(["week", "month", "quarter"]),
        st.integers(0, 24 * 6).map(lambda h: h * H),  # grace
        st.none() | st.integers(1, 6),  # periods until it ends, in months
        st.lists(
            st.integers(-200, 24 * 200).map(lambda h: datetime(2014, 3, 5, tzinfo=BEIJING) + h * H),
            max_size=10,
        ),
        st.integers(-100, 24 * 220).map(lambda h: datetime(2014, 3, 5, tzinfo=BEIJING) + h * H),
    )
    def test_judge_matches_the_literal_definition(
        self, every: str, grace: timedelta, n: int | None, times: list[datetime], now: datetime
    ) -> None:
        """judge() over calendar periods says what the definition says, read period by period."""
        starts = datetime(2014, 3, 5, tzinfo=BEIJING)
        ob = obligation(every, starts, grace, None if n is None else starts + n * timedelta(days=31))
        got = cf.judge(ob, times, now)
        assert (got.standing, got.missed) == oracle(ob, times, now)
        if got.standing is cf.Standing.OVERDUE:
            assert (got.overdue_since, got.overdue_periods) == oracle_since(ob, times, now)


def test_explain_lists_done_due_and_overdue_in_declaration_order() -> None:
    """explain() shows each obligation, in declaration order, with its overdue, due and done duties."""
    c = cf.Campaign("cadences")
    c.stages("a", "b")
    c.transition("go", "a", "b")
    starts = datetime(2014, 3, 3, tzinfo=BEIJING)
    c.obligation(
        "weekly",
        role="leader",
        via="contacts",
        every="week",
        evidence=Visit,
        by="leader",
        starts=starts,
        label="每周",
    )
    c.obligation(
        "monthly",
        role="leader",
        via="contacts",
        every="month",
        evidence=Visit,
        by="leader",
        starts=starts,
        label="每月",
    )
    org = cf.Org.from_dicts(
        [{"id": "c", "parent": None, "level": "county"}, {"id": "v1", "parent": "c", "level": "village"},
         {"id": "v2", "parent": "c", "level": "village"}],
        people=[{"id": "L", "name": "李", "unit": "c", "roles": ["leader"]}],
        contacts=[{"person": "L", "unit": "v1"}, {"person": "L", "unit": "v2"}],
    )  # fmt: skip
    clock = cf.FixedClock(datetime(2014, 3, 12, tzinfo=BEIJING))  # week 2 of March
    run = c.start(org, clock=clock)
    run.record("v1", Visit(leader="L"), by=CLERK)
    text = run.obligations().explain()
    lines = text.splitlines()
    assert lines[1].startswith("  每周: 1 done, 0 due, 1 overdue")
    assert lines[2].startswith("    ✗ 李 → v2: 每周 overdue since 2014-03-10 00:00")
    assert lines[3].startswith("    ✓ 李 → v1: 每周 done")
    assert lines[4].startswith("  每月: 1 done, 1 due, 0 overdue")
    assert lines[5].startswith("    … 李 → v2: 每月 due by 2014-04-01 00:00")
    assert lines[6].startswith("    ✓ 李 → v1: 每月 done")
