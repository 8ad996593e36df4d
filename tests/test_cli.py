"""The command line: the demo end to end, on SQLite."""

from __future__ import annotations

import json
import re
import sqlite3
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from campaignflow import _demo
from campaignflow._files import write_text_atomically
from campaignflow._targets import TargetError
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
        # Two inboxes: a supervision group member's and a township principal's (run.awaiting).
        assert result.output.count("Inbox of ") == 2
        assert "督导组" in result.output.split("Inbox of ")[1].splitlines()[0]
        assert "replay check: ok" in result.output
        # The speed, on a line of its own: steps/s, then the whole run and its phases after the simulation.
        assert re.search(
            r"^[\d,]+ steps/s; end to end [\d.]+ s \(replay check [\d.]+ s, roll-up and duties [\d.]+ s, "
            r"dashboard [\d.]+ s\)$",
            result.output,
            re.MULTILINE,
        ), result.output
        # Not a terminal: the demo says what it does in plain lines, phase by phase.
        assert "... building the org" in result.output
        assert "[9/9] 总结" in result.output
        assert "... replay check" in result.output
        assert "... writing the dashboard" in result.output
        assert (tmp_path / "zm.html").read_text(encoding="utf-8").startswith("<!doctype html>")
        assert not list(tmp_path.glob(".*partial*")), "a temporary file was left behind"
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
        """A missing database gives exit status 3 (an input that cannot be read) and one line naming it."""
        result = CliRunner().invoke(main, ["verify", str(tmp_path / "nope.db")])
        assert result.exit_code == 3
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


def _one_error_line(result: object, code: int | None = None) -> str:
    """The output of a refused command: exactly one line, starting with 'error:', and no traceback.

    With ``code``, the command must have exited with it.
    """
    output: str = result.output  # type: ignore[attr-defined]
    assert result.exit_code != 0, output  # type: ignore[attr-defined]
    assert code is None or result.exit_code == code, output  # type: ignore[attr-defined]
    assert "Traceback" not in output
    assert not isinstance(result.exception, Exception) or isinstance(  # type: ignore[attr-defined]
        result.exception,  # type: ignore[attr-defined]
        SystemExit,
    )
    lines = [line for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith(("error:", "Error:"))]
    assert len(errors) == 1, output
    return errors[0]


def _fake_campaignflow_db(path: Path) -> bytes:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE cf_steps (seq INTEGER PRIMARY KEY, body TEXT)")
    conn.execute("INSERT INTO cf_steps VALUES (1, 'an earlier demo')")
    conn.commit()
    conn.close()
    return path.read_bytes()


class TestTheUsersFilesAreSafe:
    def test_demo_refuses_a_file_that_is_not_a_campaignflow_database(self, tmp_path: Path) -> None:
        """--db onto someone's text file: one error line, exit 3, the file as it was."""
        notes = tmp_path / "notes.txt"
        notes.write_text("my notes\n", encoding="utf-8")
        line = _one_error_line(CliRunner().invoke(main, ["demo", "--db", str(notes)]), 3)
        assert "is not a campaignflow database" in line
        assert notes.read_text(encoding="utf-8") == "my notes\n"
        assert not (tmp_path / "notes.html").exists()

    def test_demo_refuses_a_db_named_like_its_dashboard(self, tmp_path: Path) -> None:
        """--db out.html would have the dashboard written over the database: refused before any work."""
        line = _one_error_line(CliRunner().invoke(main, ["demo", "--db", str(tmp_path / "out.html")]))
        assert "the dashboard is written beside the database" in line
        assert list(tmp_path.iterdir()) == []

    def test_demo_refuses_to_overwrite_a_page_that_is_not_its_dashboard(self, tmp_path: Path) -> None:
        """zm.db would put its dashboard at zm.html; the user's own zm.html stays."""
        page = tmp_path / "zm.html"
        page.write_text("<html>mine</html>", encoding="utf-8")
        line = _one_error_line(CliRunner().invoke(main, ["demo", "--db", str(tmp_path / "zm.db")]))
        assert "is not a campaignflow dashboard" in line
        assert page.read_text(encoding="utf-8") == "<html>mine</html>"
        assert not (tmp_path / "zm.db").exists()

    def test_demo_refuses_a_directory(self, tmp_path: Path) -> None:
        """--db onto a folder is one line naming the fix."""
        line = _one_error_line(CliRunner().invoke(main, ["demo", "--db", str(tmp_path)]))
        assert "directory" in line or "file" in line

    def test_an_interrupted_demo_leaves_the_previous_database_and_nothing_half_written(
        self, tmp_path: Path
    ) -> None:
        """Ctrl-C in the middle of the simulation: the old database is byte for byte intact, no temp file."""
        db = tmp_path / "zm.db"
        before = _fake_campaignflow_db(db)

        def interrupt(phase: str, done: int, total: int) -> None:
            if done == 3:
                raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            _demo.run_demo(seed=0, db=db, scale="county", on_progress=interrupt)
        assert db.read_bytes() == before
        assert sorted(p.name for p in tmp_path.iterdir()) == ["zm.db"]

    def test_report_into_a_missing_folder_is_one_line(self, tmp_path: Path) -> None:
        """--out /missing/dir/x.html: one line naming the path, exit 3, nothing written."""
        db = tmp_path / "zm.db"
        _fake_campaignflow_db(db)
        out = tmp_path / "missing" / "x.html"
        # The fake database cannot be reported on; a real one reaches the write. Both are one line.
        first = _one_error_line(CliRunner().invoke(main, ["report", str(db), "--out", str(out)]), 3)
        assert first.startswith("error:")
        assert not out.parent.exists()

    def test_write_into_a_missing_folder_names_the_path(self, tmp_path: Path) -> None:
        """The writer every CLI output goes through names the file and the reason, and leaves no temp file."""
        out = tmp_path / "missing" / "x.html"
        with pytest.raises(TargetError, match=r"cannot write .*x\.html: No such file or directory"):
            write_text_atomically(out, "<html></html>")
        assert not out.parent.exists()
        done = tmp_path / "x.html"
        write_text_atomically(done, "whole")
        assert done.read_text(encoding="utf-8") == "whole"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["x.html"]


class TestOptionsAndModules:
    def test_out_of_range_budget_is_a_usage_error(self) -> None:
        """--budget -5 is refused by click with the allowed range, exit 2, no traceback."""
        result = CliRunner().invoke(main, ["check", "campaignflow.presets.safety:campaign", "--budget", "-5"])
        assert result.exit_code == 2
        assert "Traceback" not in result.output
        assert "--budget" in result.output
        assert "not in the range 1<=x" in result.output

    def test_a_module_that_fails_to_import_is_one_line(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A user module raising at import: one line naming the module and the exception, exit 3."""
        (tmp_path / "broken_campaign.py").write_text("x = 1 / 0\n", encoding="utf-8")
        monkeypatch.chdir(tmp_path)
        monkeypatch.setattr(sys, "path", list(sys.path))
        line = _one_error_line(CliRunner().invoke(main, ["check", "broken_campaign:campaign"]), 3)
        assert "broken_campaign" in line
        assert "ZeroDivisionError" in line

    def test_a_module_in_the_working_directory_is_found(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """`campaignflow check mymod:campaign` from the folder that holds mymod.py, with no PYTHONPATH."""
        (tmp_path / "my_cwd_campaign.py").write_text(
            "from campaignflow.presets.safety import campaign\n", encoding="utf-8"
        )
        monkeypatch.chdir(tmp_path)
        monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in {"", str(tmp_path)}])
        result = CliRunner().invoke(main, ["check", "my_cwd_campaign:campaign", "--budget", "5"])
        assert "cannot import" not in result.output
        assert result.exit_code in {0, 1}, result.output


def test_python_dash_m_is_the_same_command_line() -> None:
    """``python -m campaignflow`` runs the ``campaignflow`` script's commands."""
    import subprocess  # noqa: PLC0415

    done = subprocess.run(
        [sys.executable, "-m", "campaignflow", "--help"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Usage: campaignflow ")
    assert "verify" in done.stdout
