"""A self-describing database: start() records the org, the campaign's structure and MODULE:ATTR."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

import campaignflow as cf
from campaignflow.cli import main
from campaignflow.run import describe as _describe
from campaignflow.store import SQLStore

MODULE = """
import attrs
import campaignflow as cf


@attrs.frozen(kw_only=True)
class Check:
    ok: bool = True


campaign = cf.Campaign("mine-2026", label="我的检查")
campaign.stage("open", label="开展")
campaign.stage("review", label="复查", substages=(cf.Stage(id="first", label="初查"), cf.Stage(id="second")))
campaign.stage("done", label="完成")
campaign.evidence(Check)
checked = cf.count_at_least(Check, 1, label="至少一次检查")
campaign.transition("begin", "open", "review", gate=checked, label="开始")
campaign.transition("again", "review.first", "review.second")
campaign.transition("finish", "review", "done", label="结束")
"""
CLERK = cf.Actor(id="li", roles=set())


def _cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def user_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> object:
    """The user's own campaign module, importable from the working directory, as the CLI finds it."""
    (tmp_path / "my_described_campaign.py").write_text(MODULE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [str(tmp_path), *sys.path])
    monkeypatch.delitem(sys.modules, "my_described_campaign", raising=False)
    import my_described_campaign  # type: ignore[import-not-found]  # noqa: PLC0415

    return my_described_campaign


def _run_script(module: object, url: str) -> None:
    """What a user's script does: start over a list of ids, record, fire."""
    campaign = module.campaign  # type: ignore[attr-defined]
    run = campaign.start(["a1", "a2", "a3"], store=url)
    run.record("a1", module.Check(), by=CLERK)  # type: ignore[attr-defined]
    run.fire("a1", "begin", by=CLERK)
    with pytest.raises(cf.GateClosed):
        run.fire("a2", "begin", by=CLERK)


def _the_cli_needs_no_flags(url: str) -> None:
    verified = _cli("verify", url)
    assert verified.exit_code == 0, verified.output
    assert verified.output.startswith("ok: 3 steps of 3 units")
    report = json.loads(_cli("report", url, "--format", "json").output)
    assert report["campaign"] == "我的检查"
    assert dict(zip(report["stages"], report["funnel"], strict=True))["review.first"] == 1
    assert report["at_reason"] == "now"
    history = _cli("history", url, "a2")
    assert history.exit_code == 0, history.output
    assert "✗ 至少一次检查" in history.output
    exported = [json.loads(line) for line in _cli("export", url).output.splitlines()]
    assert [e["kind"] for e in exported] == ["record", "fire", "deny"]
    assert _cli("obligations", url).exit_code == 0
    assert _cli("explain", url, "a3", "begin").exit_code == 1


class TestRecorded:
    def test_start_records_org_structure_and_module_attr(self, user_module: object, tmp_path: Path) -> None:
        """On SQLite, start() leaves the org, the structure and MODULE:ATTR in the metadata."""
        url = f"sqlite:///{tmp_path / 'mine.db'}"
        _run_script(user_module, url)
        store = SQLStore(url)
        assert store.meta(_describe.FACTORY) == "my_described_campaign:campaign"
        assert list(cf.Org.from_json(store.meta(_describe.ORG) or "")) == ["a1", "a2", "a3"]
        shape = json.loads(store.meta(_describe.STRUCTURE) or "")
        assert shape["stages"][1] == {
            "id": "review",
            "label": "复查",
            "substages": [{"id": "first", "label": "初查"}, {"id": "second", "label": ""}],
        }
        assert shape["transitions"][0]["gate"]["label"] == "至少一次检查"
        store.close()

    def test_the_cli_works_on_a_users_sqlite_database(self, user_module: object, tmp_path: Path) -> None:
        """verify, report, history, export, obligations, explain: no --campaign, no --org."""
        url = f"sqlite:///{tmp_path / 'mine.db'}"
        _run_script(user_module, url)
        _the_cli_needs_no_flags(str(tmp_path / "mine.db"))

    def test_the_cli_works_on_a_users_postgresql_database(self, user_module: object, pg_fresh: str) -> None:
        """The same on PostgreSQL, for a run started from a plain list of ids."""
        _run_script(user_module, pg_fresh)
        _the_cli_needs_no_flags(pg_fresh)

    def test_verify_catches_a_campaign_that_differs_from_the_recorded_one(
        self, user_module: object, tmp_path: Path
    ) -> None:
        """Recorded structure edited (or another campaign passed): verify says MISMATCH, exit 1."""
        db = tmp_path / "mine.db"
        _run_script(user_module, f"sqlite:///{db}")
        engine = sa.create_engine(f"sqlite:///{db}")
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "UPDATE cf_meta SET value = replace(value, '复查', '抽查') WHERE key = 'structure'"
            )
        engine.dispose()
        result = _cli("verify", str(db))
        assert result.exit_code == 1
        assert "MISMATCH in the metadata" in result.output


class TestReferences:
    def test_a_factory_function_is_named(self) -> None:
        """A campaign built by a module-level function is named MODULE:FUNCTION."""
        from campaignflow.presets import safety  # noqa: PLC0415

        c = safety.campaign()
        assert _describe.reference(c, c._origin) == "campaignflow.presets.safety:campaign"

    def test_a_campaign_built_here_has_no_importable_name(self, tmp_path: Path) -> None:
        """Built inside a test function: no MODULE:ATTR, and the CLI asks for --campaign in one line."""
        c = cf.Campaign("local")
        c.stages("a", "b")
        c.transition("go", "a", "b")
        assert _describe.reference(c, c._origin) is None
        url = f"sqlite:///{tmp_path / 'local.db'}"
        c.start(["u"], store=url)
        result = _cli("verify", str(tmp_path / "local.db"))
        assert result.exit_code == 3
        assert "records campaign 'local' but no importable MODULE:ATTR" in result.output
        assert "--campaign MODULE:ATTR" in result.output

    def test_a_very_large_org_is_not_recorded(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """Past the limit the org is left out (its JSON would dwarf the log): the CLI asks for --org."""
        monkeypatch.setattr(_describe, "ORG_LIMIT", 2)
        from campaignflow.presets import safety  # noqa: PLC0415

        db = tmp_path / "big.db"
        safety.campaign().start(["s1", "s2", "s3"], store=f"sqlite:///{db}")
        store = SQLStore(f"sqlite:///{db}")
        assert store.meta(_describe.ORG) is None
        assert store.meta(_describe.FACTORY) == "campaignflow.presets.safety:campaign"
        store.close()
        assert "pass --org FILE" in _cli("verify", str(db)).output

    def test_a_memory_store_records_nothing(self) -> None:
        """A memory store has no metadata: start() works as before."""
        c = cf.Campaign("mem")
        c.stages("a", "b")
        c.transition("go", "a", "b")
        assert not _describe.describe(c.start(["u"]).store, c.build(), cf.Org.from_units(["u"]), None)
