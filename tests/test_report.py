"""Reports of a run: data, CSV with formula escaping, and the self-contained dashboard."""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from markupsafe import escape

import campaignflow as cf
from campaignflow.presets.mass_line.simulation import simulate
from campaignflow.presets.scaled import scaled_org
from campaignflow.presets.zhongmou import zhongmou_org
from campaignflow.report.as_of import Moment, default_moment, last_step_time, run_as_of
from campaignflow.report.build import build_report
from campaignflow.run import duties as duties_module


@pytest.fixture(scope="module")
def run() -> cf.Run:
    """The mass-line campaign simulated over Zhongmou, in memory."""
    return simulate(zhongmou_org(), seed=0).run


class TestReport:
    def test_counts_agree_with_the_roll_up(self, run: cf.Run) -> None:
        """The report's totals, funnel and rows agree with progress()."""
        report = cf.build_report(run)
        progress = run.progress()
        assert report.total == progress.total == 362
        assert report.funnel[0] == 362
        assert list(report.funnel) == sorted(report.funnel, reverse=True)
        assert len(report.rows) == 14
        assert sum(sum(r.by_stage) for r in report.rows) == 274
        assert len(report.blocked) == progress.blocked
        assert all(report.names[b.unit] for b in report.blocked)

    def test_board_lists_send_backs_most_first(self, run: cf.Run) -> None:
        """The 曝光台 lists units sent back, most often first, escalations marked."""
        board = cf.build_report(run).board
        assert board
        assert [b.sent_back for b in board] == sorted((b.sent_back for b in board), reverse=True)
        assert {b.unit for b in board if b.escalated} == {e.unit for e in run.escalations}

    def test_ledger_by_owner(self, run: cf.Run) -> None:
        """Ledger items are counted by owner, open and closed."""
        ledger = cf.build_report(run).ledger
        assert ledger
        assert sum(o.open + o.closed for o in ledger) > 0

    def test_json_round_trip(self, run: cf.Run) -> None:
        """The JSON form parses and carries the Chinese labels as text."""
        data = json.loads(cf.build_report(run, "t-01").to_json())
        assert data["node_name"] == "城关镇"
        assert "学习教育、听取意见" in data["stage_labels"]


class TestOutputs:
    def test_csv_escapes_formulas(self) -> None:
        """A unit named like a formula is written so spreadsheets show it, not run it."""
        org = cf.Org.from_dicts(
            [
                {"id": "root", "parent": None, "level": "county", "name": "县"},
                {"id": "x", "parent": "root", "level": "village", "name": "=cmd|'/C calc'!A0"},
            ],
            levels=("county", "village"),
        )
        c = cf.Campaign("csv")
        c.stages("a", "b")
        c.transition("go", "a", "b")
        text = cf.build_report(c.start(org)).to_csv()
        assert "'=cmd" in text
        assert "\n=cmd" not in text

    def test_dashboard_is_self_contained_and_names_every_township(self, run: cf.Run) -> None:
        """The HTML fetches nothing, and shows the 14 townships and the blocked reasons in Chinese."""
        html = cf.build_report(run).to_html()
        assert not re.search(r"(src|href)=\"https?:", html)
        assert "<script" not in html
        for name in ("城关镇", "韩寺镇", "广惠街街道"):
            assert name in html
        assert 'id="funnel"' in html
        assert 'id="heatmap"' in html
        blocked = run.progress(limit=1000).blocked_units
        assert blocked
        for b in blocked[:20]:
            assert str(escape(b.reasons[0])) in html  # as the template escapes it
        assert html.count('class="heat-row"') == 14


class TestDuties:
    def test_report_counts_duties_and_lists_the_overdue(self, run: cf.Run) -> None:
        """The dashboard shows each obligation's standing and every overdue duty, as the run judges them."""
        report = cf.build_report(run)
        judged = run.obligations()
        assert report.duties["县领导每周深入联系点"] == judged.counts("contact_visits")
        assert len(report.late) == min(len(judged.overdue), 200)
        assert report.late  # the simulation's absent leaders
        html = report.to_html()
        assert 'id="duties"' in html
        assert str(escape(report.late[0])) in html
        township = run.org.children(run.org.root())[-1]
        under = set(run.org.subtree(township))
        expected = [d for d in judged.duties if d.obligation == "people_diary" and d.target in under]
        assert sum(cf.build_report(run, township).duties["民情日记"].values()) == len(expected) > 0

    @pytest.mark.parametrize("backend", ["memory", "sqlite"])
    def test_duties_read_in_batches_are_those_read_one_by_one(
        self, backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """run.obligations() reads many units' evidence at once (send-back voids applied): the same duties."""
        org = scaled_org("province", fraction=0.002)
        store = None if backend == "memory" else f"sqlite:///{tmp_path / 'duties.db'}"
        sim = simulate(org, store=store, seed=3)
        assert sim.sent_back, "no send-back: the voids would not be read"
        monkeypatch.setattr(duties_module, "READ", 7)  # many batches, the last one short
        now = sim.run.clock()
        declared = list(sim.run.definition.obligations.values())
        batched = sim.run.obligations(now=now)
        one_by_one = duties_module.obligation_report(sim.run, declared, "*", org, now)
        assert batched.duties == one_by_one.duties
        assert len(batched.duties) >= len(org)


def _stage_at(run: cf.Run, unit: str, when: datetime) -> str:
    """The unit's stage at ``when``, read from its own history (the reference count)."""
    stage = run.definition.initial
    for step in run.history(unit):
        if datetime.fromisoformat(step.at) <= when and step.kind in {cf.Kind.FIRE, cf.Kind.SEND_BACK}:
            stage = step.dest
    return stage


class TestTimeline:
    def test_counts_equal_each_units_history(self, run: cf.Run) -> None:
        """At each point, the units per stage equal what every unit's own history says, per week."""
        timeline = cf.build_report(run).timeline
        assert timeline is not None
        assert timeline.period == "week"
        ends = [datetime.fromisoformat(e) for e in timeline.ends]
        assert all(b - a == timedelta(days=7) for a, b in itertools.pairwise(ends[:-1]))
        assert ends[0] == datetime(2014, 2, 24, tzinfo=UTC)
        for i, end in enumerate(ends):
            # A point counts the moves before it; the last one (the report's moment) those up to it.
            moment = end if i == len(ends) - 1 else end - timedelta(microseconds=1)
            expected = Counter(_stage_at(run, u, moment) for u in run.org)
            assert {s: timeline.counts[k][i] for k, s in enumerate(timeline.stages)} == {
                s: expected.get(s, 0) for s in timeline.stages
            }, timeline.ends[i]
        assert dict(zip(timeline.stages, (c[-1] for c in timeline.counts), strict=True)) == dict(
            run.progress().by_stage
        )

    def test_a_short_campaign_is_drawn_per_day(self) -> None:
        """Under three weeks of log, the timeline counts per day, starting from the first day."""
        c = cf.Campaign("short")
        c.stages("a", "b")
        c.transition("go", "a", "b")
        clock = cf.FixedClock()  # 2014-02-24 09:00, standing still
        run = c.start(["u1", "u2"], clock=clock)
        run.fire("u1", "go", by=cf.Actor(id="x", roles=set()))
        clock.advance(timedelta(days=2))
        run.fire("u2", "go", by=cf.Actor(id="x", roles=set()))
        timeline = cf.build_report(run).timeline
        assert timeline is not None
        assert timeline.period == "day"
        # Midnight of the first day, two days after it, then the report's moment (u2 moved then).
        assert [e[:16] for e in timeline.ends] == [
            "2014-02-24T00:00",
            "2014-02-25T00:00",
            "2014-02-26T00:00",
            "2014-02-26T09:00",
        ]
        assert timeline.counts == ((2, 1, 1, 0), (0, 1, 1, 2))


class TestAsOf:
    def test_the_campaign_as_it_stood_is_rebuilt_from_the_log(self, run: cf.Run) -> None:
        """run_as_of(T) gives each unit the stage its history gives at T, and a report judged at T."""
        when = datetime(2014, 3, 20, tzinfo=UTC)
        then = run_as_of(run.definition, run.org, run.store, when)
        assert {u: then.state(u).stage for u in run.org} == {u: _stage_at(run, u, when) for u in run.org}
        report = build_report(then, at_reason="test")
        assert report.at == when.isoformat()
        assert report.funnel != cf.build_report(run).funnel
        assert report.duties["县领导每周深入联系点"] == run.obligations(now=when).counts("contact_visits")

    def test_the_last_steps_time_is_read_from_the_last_batch(self, run: cf.Run) -> None:
        """last_step_time reads one unit's history of the last batch and finds the log's last time."""
        assert last_step_time(run.store) == max(datetime.fromisoformat(s.at) for s in run.store.steps())
        assert last_step_time(cf.MemoryStore()) is None

    def test_the_default_moment_is_recorded_or_now(self) -> None:
        """A store recording a finished simulation's time is judged then; anything else now, said so."""
        now = datetime(2026, 1, 1, tzinfo=UTC)

        class Meta:
            def __init__(self, value: str | None) -> None:
                self.value = value

            def meta(self, key: str) -> str | None:
                return self.value if key == "now" else None

        done = default_moment(Meta("2014-04-21T21:43:06+00:00"), now=now)
        assert (done.at, done.reason) == (
            datetime(2014, 4, 21, 21, 43, 6, tzinfo=UTC),
            "the last step of a finished simulation",
        )
        for store in (Meta(None), Meta("soon"), cf.MemoryStore()):
            assert default_moment(store, now=now) == Moment(at=now, reason="now")

    def test_the_labels_and_both_overdue_words_are_in_the_dashboard(self, run: cf.Run) -> None:
        """The dashboard says 'stage overdue' and 'duties overdue' apart, and shows labels, not ids."""
        report = cf.build_report(run)
        html = report.to_html()
        assert 'id="stage-overdue"' in html
        assert 'id="duties-overdue"' in html
        assert f'duties overdue 履职逾期<b class="bad">{report.duties_overdue}</b>' in html
        assert report.duties_overdue == len(run.obligations().overdue)
        blocked = html[html.index('id="blocked"') : html.index("曝光台")]
        assert "examine.prepare" not in blocked
        assert "hold_meeting" not in blocked
        assert "召开专题民主生活会" in blocked
        assert f"{len(report.board) - 10} more of {len(report.board)}" in html  # the rest folded
        assert html.count("<details") >= 2


class TestWorkingGroups:
    def test_the_report_reads_progress_per_working_group(self) -> None:
        """Each working group stationed in the subtree: its units per stage, in the data and the dashboard."""
        org = cf.Org.from_dicts(
            [
                {"id": "gc", "parent": None, "level": "township", "name": "宫村镇"},
                {"id": "v1", "parent": "gc", "level": "village", "name": "宫村"},
                {"id": "v2", "parent": "gc", "level": "village", "name": "兴隆庄"},
                {"id": "v3", "parent": "gc", "level": "village", "name": "后村"},
            ],
            people=[
                {"id": "c1", "name": "李干部", "unit": "gc", "roles": ["cadre"]},
                {"id": "c2", "name": "张干部", "unit": "gc", "roles": ["cadre"]},
            ],
            working_groups=[
                {"id": "wg-1", "name": "第一工作组", "leader": "c1", "units": ["v1", "v2"]},
                {"id": "wg-2", "name": "第二工作组", "leader": "c2", "units": ["v3"]},
            ],
        )
        c = cf.Campaign("wg-report")
        c.stages("station", "done")
        c.transition("finish", "station", "done")
        run = c.start(org)
        run.fire("v1", "finish", by=cf.Actor(id="office"))
        report = cf.build_report(run)
        groups = {w.group: w for w in report.working_groups}
        assert groups["wg-1"].by_stage == {"station": 1, "done": 1}
        assert groups["wg-2"].by_stage == {"station": 1}
        assert report.names["c1"] == "李干部"
        html = report.to_html()
        assert 'id="working-groups"' in html
        assert "第一工作组" in html
        assert "李干部" in html
        assert json.loads(report.to_json())["working_groups"][0]["name"] == "第一工作组"
        assert [w.group for w in cf.build_report(run, "v3").working_groups] == ["wg-2"]
