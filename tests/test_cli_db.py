"""The command line on one demo database: exit codes, history, export, report --at."""

from __future__ import annotations

import csv
import io
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


def _steps(db: Path) -> int:
    line = _run("verify", str(db)).output
    return int(line.split()[1])  # "ok: N steps of M units ..."


class TestHistory:
    def test_a_units_steps_in_words(self, db: Path) -> None:
        """history shows every step of the unit, stages and events by label, refusals with failed rules."""
        steps = _run("history", str(db), "v-0101", "--format", "json")
        assert steps.exit_code == 0, steps.output
        lines = [json.loads(x) for x in steps.output.splitlines()]
        text = _run("history", str(db), "v-0101").output.splitlines()
        assert text[0] == f"孙上桥村 (v-0101): {len(lines)} steps"
        assert len(text) == len(lines) + 1
        seqs = [x["seq"] for x in lines]
        assert seqs == sorted(seqs)
        moved = [x for x in lines if x["kind"] == "fire"]
        assert moved[0]["stage"] == "动员部署 → 学习教育、听取意见"
        assert moved[0]["summary"].startswith("✓ ")
        stages = {x["stage"] for x in lines}
        assert not {"mobilise", "study", "examine.prepare"} & stages, "raw ids shown"
        assert {x["kind"] for x in lines} >= {"record", "fire"}

    def test_a_refusal_names_the_failed_rules(self, db: Path) -> None:
        """A denial's summary names its failing rules by label, not the whole verdict tree."""
        blocked = json.loads(_run("report", str(db), "--format", "json").output)["blocked"][0]
        lines = [
            json.loads(x)
            for x in _run("history", str(db), blocked["unit"], "--format", "json").output.splitlines()
        ]
        denied = [x for x in lines if x["kind"] == "deny"]
        assert denied
        assert denied[-1]["summary"].startswith("✗ ")
        assert blocked["reasons"][0].split(":")[0] in denied[-1]["summary"]

    def test_an_unknown_unit_is_a_usage_error(self, db: Path) -> None:
        """history of a unit the org lacks: exit 2, one line with suggestions."""
        assert "did you mean" in _error(_run("history", str(db), "v-0100"), 2)


class TestExport:
    def test_jsonl_is_the_whole_log_and_its_hashes_check(self, db: Path) -> None:
        """One JSON line per step, in seq order; each line's body rehashes to its stored hash."""
        from campaignflow.store.codec import canonical, chain_hash  # noqa: PLC0415

        result = _run("export", str(db))
        assert result.exit_code == 0
        rows = [json.loads(x) for x in result.output.splitlines()]
        assert len(rows) == _steps(db)
        assert [r["seq"] for r in rows] == sorted(r["seq"] for r in rows)
        heads: dict[str, str] = {}
        for r in rows:
            body = {k: v for k, v in r.items() if k not in {"seq", "prev_hash", "hash"}}
            assert r["prev_hash"] == heads.get(r["unit"], "")
            assert chain_hash(r["prev_hash"], canonical(body)) == r["hash"]
            heads[r["unit"]] = r["hash"]

    def test_csv_to_a_file_matches_the_jsonl(self, db: Path, tmp_path: Path) -> None:
        """--format csv --out FILE: a header and one row per step, equal to the JSON lines' fields."""
        out = tmp_path / "log.csv"
        done = _run("export", str(db), "--format", "csv", "--out", str(out))
        assert done.exit_code == 0, done.output
        with out.open(encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        first = json.loads(_run("export", str(db)).output.splitlines()[0])
        assert len(rows) == _steps(db)
        assert done.output.strip() == f"wrote {out}: {len(rows)} steps"
        assert rows[0]["hash"] == first["hash"]
        assert json.loads(rows[0]["evidence"]) == first["evidence"]["value"]
        assert not list(tmp_path.glob(".*partial"))

    def test_csv_escapes_cells_a_spreadsheet_would_run(self, tmp_path: Path) -> None:
        """A reason typed as a formula is exported with a leading quote; quotes and commas survive."""
        import campaignflow as cf  # noqa: PLC0415
        from campaignflow.presets import safety  # noqa: PLC0415

        url = f"sqlite:///{tmp_path / 'mine.db'}"
        clerk = cf.Actor(id="li", roles={"secretary", "inspector"})
        run = safety.campaign().start(["s1"], store=url)
        step = run.record("s1", safety.Exit(location='east, "gate" 2', blocked=False), by=clerk)
        assert step.evidence is not None
        run.retract("s1", step.evidence.id, reason='=HYPERLINK("http://x")', by=clerk)
        org = tmp_path / "org.json"
        org.write_text(cf.Org.from_units(["s1"]).to_json(), encoding="utf-8")
        args = ("--campaign", "campaignflow.presets.safety:campaign", "--org", str(org))
        result = _run("export", url, "--format", "csv", *args)
        assert result.exit_code == 0, result.output
        rows = list(csv.DictReader(io.StringIO(result.output)))
        assert rows[1]["reason"] == '\'=HYPERLINK("http://x")'
        assert json.loads(rows[0]["evidence"])["location"] == 'east, "gate" 2'


class TestReportAt:
    def test_three_dates_give_the_log_s_figures(self, db: Path) -> None:
        """report --at, three dates: each unit counted where its history puts it then, duties judged then."""
        from collections import Counter  # noqa: PLC0415
        from datetime import datetime  # noqa: PLC0415

        import campaignflow as cf  # noqa: PLC0415
        from campaignflow.presets import mass_line  # noqa: PLC0415
        from campaignflow.store import SQLStore  # noqa: PLC0415

        definition = mass_line.campaign().build()
        store = SQLStore(f"sqlite:///{db}", evidence_types=definition.evidence_types)
        histories = [store.history(u) for u in cf.Org.from_json(store.meta("org") or "{}")]
        store.close()
        funnels = []
        for day in ("2014-03-05", "2014-03-27", "2014-04-16"):
            result = _run("report", str(db), "--at", day, "--format", "json")
            assert result.exit_code == 0, result.output
            report = json.loads(result.output)
            at = datetime.fromisoformat(f"{day}T00:00:00+00:00")
            assert report["at"] == at.isoformat()
            assert report["at_reason"] == f"--at {at.isoformat()}"
            stages = Counter(
                next(
                    (
                        s.dest
                        for s in reversed(h)
                        if s.kind in {"fire", "send_back"} and datetime.fromisoformat(s.at) <= at
                    ),
                    definition.initial,
                )
                for h in histories
            )
            leaves = definition.leaves
            expected = [sum(stages[s] for s in leaves[i:]) for i in range(len(leaves))]
            assert report["funnel"] == expected, day
            judged = json.loads(_run("obligations", str(db), "--at", day, "--format", "json").output)
            assert sum(c["overdue"] for c in report["duties"].values()) == judged["counts"]["overdue"]
            assert report["duties_overdue"] == judged["counts"]["overdue"]
            funnels.append((report["funnel"], report["duties_overdue"]))
        assert len(set(map(str, funnels))) == 3, funnels

    def test_without_at_a_finished_simulation_is_judged_at_its_last_step(self, db: Path) -> None:
        """No --at on the demo's database: the last step's time, said so, and the demo's own duty figures."""
        last = json.loads(_run("export", str(db)).output.splitlines()[-1])["at"]
        text = _run("report", str(db)).output
        assert (
            text.splitlines()[0]
            == f"as of {last[:16].replace('T', ' ')} UTC (the last step of a finished simulation)"
        )
        report = json.loads(_run("report", str(db), "--format", "json").output)
        assert report["at"] == last
        at_last = json.loads(_run("report", str(db), "--at", last, "--format", "json").output)
        # Rebuilt from the whole log, the campaign is what the stored projection says.
        for key in ("funnel", "rows", "blocked", "board", "duties", "late", "timeline"):
            assert at_last[key] == report[key], key
        judged = _run("obligations", str(db)).output
        assert f"at {last[:16].replace('T', ' ')}" in judged.splitlines()[0]

    def test_the_dashboard_at_a_date(self, db: Path, tmp_path: Path) -> None:
        """--format html --at DATE: the page states the date and draws the timeline up to it."""
        out = tmp_path / "d.html"
        assert (
            _run("report", str(db), "--at", "2014-03-27", "--format", "html", "--out", str(out)).exit_code
            == 0
        )
        html = out.read_text(encoding="utf-8")
        assert "as of 2014-03-27 00:00 UTC (--at 2014-03-27T00:00:00+00:00)" in html
        assert 'id="timeline"' in html
        assert 'data-ends="2014-02-24T00:00:00+00:00,' in html


TAMPERS = [
    ("UPDATE cf_steps SET body = '{not json' WHERE seq = 120", "120"),
    ("UPDATE cf_steps SET unit = (SELECT unit FROM cf_steps WHERE seq = 1) WHERE seq = 130", "130"),
    ("UPDATE cf_steps SET kind = 'deny' WHERE seq = 140", "140"),
    ("UPDATE cf_evidence SET live = 1 - live WHERE seq = (SELECT MIN(seq) FROM cf_evidence)", "seq"),
    ("DELETE FROM cf_steps WHERE seq = 150", "seq"),
    ("UPDATE cf_checkpoints SET heads = '[]' WHERE id = 5", "checkpoint"),
]


class TestVerifyTampered:
    @pytest.mark.parametrize(("statement", "named"), TAMPERS)
    def test_each_tamper_kind_is_a_mismatch_naming_where(
        self, db: Path, tmp_path: Path, statement: str, named: str
    ) -> None:
        """On the demo database each kind of tampering exits 1 with a line naming where, no traceback."""
        tampered = tmp_path / "tampered.db"
        shutil.copy(db, tampered)
        engine = sa.create_engine(f"sqlite:///{tampered}")
        with engine.begin() as conn:
            conn.exec_driver_sql(statement)
        engine.dispose()
        result = _run("verify", str(tampered))
        assert result.exit_code == 1, result.output
        assert "Traceback" not in result.output
        assert named in result.output
