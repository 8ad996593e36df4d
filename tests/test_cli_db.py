"""The command line on one demo database: exit codes, history, export, report --at."""

from __future__ import annotations

import json
import shutil
import sqlite3
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from campaignflow import _demo
from campaignflow.cli import main


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The county demo written once for this module (read-only: tests that alter it copy it)."""
    path = tmp_path_factory.mktemp("demo") / "zm.db"
    _demo.run_demo(seed=0, db=path, scale="county")
    return path


def _run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def _error(result: Result, code: int) -> str:
    """The one ``error:`` line of a refused command that exited with ``code``, no traceback."""
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith(("error:", "Error:"))]
    assert len(errors) == 1, result.output
    return errors[0]


class TestExitCodes:
    def test_every_help_lists_the_exit_codes(self) -> None:
        """--help of the group and of every command lists the four exit codes."""
        for args in ([], *([name] for name in main.commands)):  # type: ignore[attr-defined]
            text = " ".join(_run(*args, "--help").output.split())
            assert "Exit codes" in text, args
            for code in ("0 ok", "1 a negative answer", "2 usage error", "3 an input that cannot be read"):
                assert code in text, (args, code)

    def test_ok_is_0(self, db: Path) -> None:
        """A database that verifies, a passing report: exit 0."""
        assert _run("verify", str(db)).exit_code == 0
        assert _run("report", str(db), "--unit", "t-01").exit_code == 0

    def test_a_negative_answer_is_1(self, db: Path, tmp_path: Path) -> None:
        """A verify mismatch, an overdue duty and a closed gate each exit 1, with no error line."""
        tampered = tmp_path / "tampered.db"
        shutil.copy(db, tampered)
        engine = sa.create_engine(f"sqlite:///{tampered}")
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "UPDATE cf_steps SET body = replace(body, 'office', 'forged') WHERE seq = 99"
            )
        engine.dispose()
        blocked = json.loads(_run("report", str(db), "--format", "json").output)["blocked"][0]
        closed = _run("explain", str(db), blocked["unit"], blocked["event"])
        assert "✗" in closed.output
        for result in (
            closed,
            _run("verify", str(tampered)),
            _run("obligations", str(db), "--at", "2014-06-30"),
            _run("explain", str(db), "v-0101", "conclude"),
        ):
            assert result.exit_code == 1, result.output
            assert "error:" not in result.output

    def test_a_usage_error_is_2(self, db: Path) -> None:
        """click's usage errors, a malformed MODULE:ATTR and a unit the org lacks exit 2."""
        assert _run("report", str(db), "--format", "pdf").exit_code == 2
        assert _run("obligations", str(db), "--at", "soon").exit_code == 2
        assert "is not MODULE:ATTR" in _error(_run("check", "nonsense"), 2)
        assert "v-9999" in _error(_run("explain", str(db), "v-9999", "conclude"), 2)

    def test_an_input_that_cannot_be_read_is_3(self, tmp_path: Path) -> None:
        """A missing database, one that is not campaignflow's, a missing org file: exit 3."""
        assert "no such database file" in _error(_run("verify", str(tmp_path / "nope.db")), 3)
        foreign = tmp_path / "foreign.db"
        conn = sqlite3.connect(foreign)
        conn.execute("CREATE TABLE notes (body TEXT)")
        conn.commit()
        conn.close()
        _error(_run("report", str(foreign)), 3)
        _error(_run("verify", str(foreign), "--campaign", "campaignflow.presets.safety:campaign"), 3)
        missing_org = str(tmp_path / "units.csv")
        args = ("--campaign", "campaignflow.presets.safety:campaign", "--org", missing_org)
        assert "units.csv" in _error(_run("verify", str(foreign), *args), 3)

    def test_an_output_that_cannot_be_written_is_3(self, db: Path, tmp_path: Path) -> None:
        """--out into a missing folder: exit 3, one line naming the file, nothing written."""
        out = tmp_path / "missing" / "r.html"
        assert "r.html" in _error(_run("report", str(db), "--format", "html", "--out", str(out)), 3)
        assert not out.parent.exists()

    def test_a_module_that_fails_to_import_is_3(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A user's campaign module raising at import: exit 3, one line naming it."""
        (tmp_path / "broken_exit_campaign.py").write_text("x = 1 / 0\n", encoding="utf-8")
        monkeypatch.chdir(tmp_path)
        monkeypatch.setattr(sys, "path", list(sys.path))
        assert "ZeroDivisionError" in _error(_run("check", "broken_exit_campaign:campaign"), 3)
        assert "ZeroDivisionError" in _error(_run("diagram", "broken_exit_campaign:campaign"), 3)
