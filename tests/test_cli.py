"""The command line: the demo end to end, on SQLite."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from click.testing import CliRunner

from campaignflow.cli import main
from campaignflow.presets import mass_line
from campaignflow.presets.zhongmou import zhongmou_org


class TestDemo:
    def test_demo_runs_and_leaves_a_store_whose_replay_equals_the_final_state(self, tmp_path: Path) -> None:
        """`campaignflow demo` simulates Zhongmou on SQLite, shows the roll-up, and the file verifies."""
        db = tmp_path / "zm.db"
        result = CliRunner().invoke(main, ["demo", "--db", str(db), "--seed", "1"])
        assert result.exit_code == 0, result.output
        assert "党的群众路线教育实践活动 over 中牟县: 362 units" in result.output
        assert "曝光台" in result.output
        assert "replay check: ok" in result.output
        campaign = mass_line.campaign()
        report = campaign.verify(zhongmou_org(1), f"sqlite:///{db}")
        assert report.ok, report.problem
        verified = CliRunner().invoke(main, ["verify", str(db)])
        assert verified.exit_code == 0, verified.output
        assert "replay to the stored projection" in verified.output
        engine = sa.create_engine(f"sqlite:///{db}")
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "UPDATE cf_steps SET body = replace(body, 'office', 'forged') WHERE seq = 99"
            )
        engine.dispose()
        tampered = CliRunner().invoke(main, ["verify", str(db)])
        assert tampered.exit_code == 1
        assert "MISMATCH at seq 99" in tampered.output

    def test_verify_of_a_missing_file_is_one_clear_line(self, tmp_path: Path) -> None:
        """A missing database gives exit status 1 and one line naming it."""
        result = CliRunner().invoke(main, ["verify", str(tmp_path / "nope.db")])
        assert result.exit_code == 1
        assert "no such database file" in result.output

    def test_help_has_an_example(self) -> None:
        """--help of the demo shows an example command."""
        result = CliRunner().invoke(main, ["demo", "--help"])
        assert result.exit_code == 0
        assert "Example: campaignflow demo" in result.output


class TestReadingADemoDatabase:
    def test_report_explain_diagram(self, tmp_path: Path) -> None:
        """report (text, csv, html), explain and diagram work on the demo's database."""
        db = tmp_path / "zm.db"
        assert CliRunner().invoke(main, ["demo", "--db", str(db)]).exit_code == 0
        text = CliRunner().invoke(main, ["report", str(db), "--unit", "t-01"])
        assert text.exit_code == 0, text.output
        assert "城关镇" in text.output
        out = tmp_path / "r.html"
        html = CliRunner().invoke(main, ["report", str(db), "--format", "html", "--out", str(out)])
        assert html.exit_code == 0
        assert 'id="heatmap"' in out.read_text(encoding="utf-8")
        csv_out = CliRunner().invoke(main, ["report", str(db), "--format", "csv"])
        assert csv_out.output.startswith("unit,name,level")
        refused = CliRunner().invoke(main, ["explain", str(db), "v-0101", "conclude"])
        assert refused.exit_code == 1
        assert "only leaves 'rectify'" in refused.output
        drawn = CliRunner().invoke(main, ["diagram", "campaignflow.presets.mass_line:campaign"])
        assert "stateDiagram-v2" in drawn.output
        assert "五个不开会" in drawn.output
        self.check_obligations(db)

    @staticmethod
    def check_obligations(db: Path) -> None:
        """obligations judges the stored duties at the given date, and exits 1 on overdue ones."""
        before = CliRunner().invoke(main, ["obligations", str(db), "--at", "2014-02-01"])
        assert before.exit_code == 0, before.output
        assert "0 done, 0 due, 0 overdue" in before.output  # nothing started yet
        late = CliRunner().invoke(main, ["obligations", str(db), "--at", "2014-06-30", "--format", "json"])
        assert late.exit_code == 1
        data = json.loads(late.output)
        assert data["counts"]["overdue"] > 0
        assert data["now"] == "2014-06-30T00:00:00+00:00"
        bad = CliRunner().invoke(main, ["obligations", str(db), "--at", "soon"])
        assert bad.exit_code != 0
        assert "not an ISO date" in bad.output
