"""Reports of a run: data, CSV with formula escaping, and the self-contained dashboard."""

from __future__ import annotations

import json
import re

import pytest
from markupsafe import escape

import campaignflow as cf
from campaignflow.presets.mass_line.simulation import simulate
from campaignflow.presets.zhongmou import zhongmou_org


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
