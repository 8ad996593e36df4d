"""Several campaigns in one database: each reads and writes its own tables, as if it were alone."""

from __future__ import annotations

import json
import tempfile
import threading
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import campaignflow as cf
from campaignflow.cli import main
from campaignflow.presets import safety
from campaignflow.store import SQLStore
from test_store_properties import UNITS, _apply

ACTOR = cf.Actor(id="op", roles={"secretary", "inspector"})
OPS = ["brief", "inspect", "exit", "sign", "hazard", "retract", "fire", "back", "many"]
STEP = st.tuples(st.sampled_from(UNITS), st.sampled_from(OPS), st.sampled_from(["start", "approve", "close"]))
PLANS = st.lists(st.tuples(st.sampled_from("ab"), STEP), max_size=30)  # which campaign, what it does


def twin() -> cf.Campaign:
    """The safety campaign under another id: the same units, events and evidence, another run."""
    c = safety.campaign()
    c.id = "safety-twin"
    return c


def _sql(url: str, statement: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(statement)
    engine.dispose()


def _observed(campaign: cf.Campaign, target: Any, run: cf.Run) -> dict[str, Any]:
    """Everything a reader can see of one campaign's run, live and reopened from ``target``."""
    again = campaign.open(list(UNITS), target)
    store = run.store
    return {
        "live": [(u, run.state(u), run.history(u)) for u in UNITS],
        "reopened": [(u, again.state(u), again.history(u)) for u in UNITS],
        "evidence": [[r.id for r in again.evidence(u, safety.Inspection)] for u in UNITS],
        "steps": list(store.steps()),
        "rows": sorted(store.rows(), key=lambda r: r.unit),
        "checkpoints": list(store.checkpoints()),
        "denials": list(getattr(store, "denials", list)()),
        "progress": again.progress().counts(),
        "verify": campaign.verify(list(UNITS), target),
    }


def _interleave(
    shared: Any, alone_a: Any, alone_b: Any, plan: list[tuple[str, tuple[str, str, str]]]
) -> None:
    """Run ``plan`` on two campaigns sharing ``shared``, and on each in a store of its own: all alike."""
    campaigns = {"a": safety.campaign(), "b": twin()}
    together = {
        k: c.start(list(UNITS), store=shared, clock=cf.FixedClock(), ids=cf.CountingIds(k))
        for k, c in campaigns.items()
    }
    alone = {
        k: c.start(list(UNITS), store=target, clock=cf.FixedClock(), ids=cf.CountingIds(k))
        for (k, c), target in zip(campaigns.items(), (alone_a, alone_b), strict=True)
    }
    for which, (unit, op, event) in plan:
        _apply(together[which], unit, op, event)
        _apply(alone[which], unit, op, event)
    for k, c in campaigns.items():
        apart = _observed(c, alone_a if k == "a" else alone_b, alone[k])
        seen = _observed(c, shared, together[k])
        assert seen == apart
        assert seen["verify"].ok, seen["verify"].problem


SETTINGS = settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


class TestTwoCampaignsBehaveAsIfAlone:
    @SETTINGS
    @given(PLANS)
    def test_sqlite(self, plan: list[tuple[str, tuple[str, str, str]]]) -> None:
        """Interleaved in one SQLite file, each campaign reads exactly what it would in a file of its own."""
        with tempfile.TemporaryDirectory() as tmp:
            urls = [f"sqlite:///{Path(tmp) / name}" for name in ("shared.db", "a.db", "b.db")]
            _interleave(*urls, plan)

    @SETTINGS
    @given(PLANS)
    def test_against_memory(self, plan: list[tuple[str, tuple[str, str, str]]]) -> None:
        """...and exactly what it would in a memory store of its own (the memory store is unchanged)."""
        with tempfile.TemporaryDirectory() as tmp:
            _interleave(f"sqlite:///{Path(tmp) / 'shared.db'}", cf.MemoryStore(), cf.MemoryStore(), plan)

    def test_postgresql(self, pg_fresh: str, tmp_path: Path) -> None:
        """In one PostgreSQL schema too (a fixed plan touching every operation, on both campaigns)."""
        ops = ["brief", "fire", "inspect", "exit", "sign", "inspect", "fire", "back", "retract", "many"]
        events = [
            "start",
            "start",
            "start",
            "start",
            "start",
            "start",
            "approve",
            "start",
            "start",
            "approve",
        ]
        plan = [(k, (u, op, e)) for u in UNITS for op, e in zip(ops, events, strict=True) for k in "ab"]
        alone = [f"sqlite:///{tmp_path / name}" for name in ("a.db", "b.db")]
        _interleave(pg_fresh, *alone, plan)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'two.db'}"
    return str(request.getfixturevalue("pg_fresh"))


def _two(url: str) -> tuple[cf.Run, cf.Run]:
    a = safety.campaign().start(["s1", "s2"], store=url, clock=cf.FixedClock(), ids=cf.CountingIds("a"))
    b = twin().start(["s1", "s3"], store=url, clock=cf.FixedClock(), ids=cf.CountingIds("b"))
    for run in (a, b):
        run.record("s1", safety.Briefing(attendees=4), by=ACTOR)
        run.fire("s1", "start", by=ACTOR)
        run.record("s1", safety.Inspection(hours=1, inspector="王"), by=ACTOR)
    return a, b


class TestOneDatabase:
    def test_start_adds_a_campaign_under_its_own_tables(self, url: str) -> None:
        """The first campaign keeps cf_*, the second gets cf_2_*; the catalogue lists both, first first."""
        _two(url)
        listed = SQLStore(url).campaigns()
        assert [(c.id, c.prefix) for c in listed] == [("safety-2026", "cf_"), ("safety-twin", "cf_2_")]
        assert SQLStore(url, campaign="safety-twin").step_count() == 3
        assert SQLStore(url, campaign="safety-2026").meta("campaign") == "safety-2026"
        assert json.loads(SQLStore(url, campaign="safety-twin").meta("units") or "[]") == ["s1", "s3"]

    def test_open_and_verify_select_by_id(self, url: str) -> None:
        """open()/verify() of each campaign see its own units and steps only."""
        _two(url)
        a = safety.campaign().open(["s1", "s2"], url)
        b = twin().open(["s1", "s3"], url)
        assert [s.seq for s in a.history("s1")] == [s.seq for s in b.history("s1")] == [1, 2, 3]
        assert {e.id for e in a.evidence("s1", safety.Inspection)} == {"a-000002"}
        assert {e.id for e in b.evidence("s1", safety.Inspection)} == {"b-000002"}
        assert safety.campaign().verify(["s1", "s2"], url).ok
        assert twin().verify(["s1", "s3"], url).ok
        with pytest.raises(cf.OrgMismatch):  # s3 is the twin's unit, not this campaign's
            safety.campaign().open(["s1", "s2", "s3"], url)

    def test_tampering_with_one_campaign_is_caught_in_it_alone(self, url: str) -> None:
        """An edited step of the second campaign fails its verify; the first still verifies."""
        _two(url)
        _sql(
            url,
            "UPDATE cf_2_steps SET body = replace(body, '\"attendees\":4', '\"attendees\":40') WHERE seq = 1",
        )
        bad = twin().verify(["s1", "s3"], url)
        assert not bad.ok
        assert bad.seq == 1
        assert safety.campaign().verify(["s1", "s2"], url).ok

    def test_idempotency_keys_are_kept_per_campaign(self, url: str) -> None:
        """A key repeated in the second campaign returns its step; the same key in the first is its own."""
        a, b = _two(url)
        first = b.record("s3", safety.Briefing(attendees=2), by=ACTOR, key="req-1")
        again = twin().open(["s1", "s3"], url)
        assert again.record("s3", safety.Briefing(attendees=2), by=ACTOR, key="req-1") == first
        assert len(again.history("s3")) == 1
        other = a.record("s2", safety.Briefing(attendees=9), by=ACTOR, key="req-1")
        assert (other.unit, other.seq) == ("s2", 4)
        assert twin().verify(["s1", "s3"], url).ok
        assert safety.campaign().verify(["s1", "s2"], url).ok

    def test_campaigns_started_at_once_get_a_prefix_each(self, url: str) -> None:
        """Processes starting campaigns on one fresh database at the same moment list them all, apart."""
        barrier = threading.Barrier(3)
        errors: list[BaseException] = []

        def start(n: int) -> None:
            c = cf.Campaign(f"c{n}")
            c.stages("a")
            barrier.wait()
            try:
                c.start([f"u{n}"], store=SQLStore(url))
            except BaseException as exc:  # noqa: BLE001 - reported below, in the test's thread
                errors.append(exc)

        threads = [threading.Thread(target=start, args=(n,)) for n in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        listed = SQLStore(url).campaigns()
        assert sorted(c.id for c in listed) == ["c0", "c1", "c2"]
        assert sorted(c.prefix for c in listed) == ["cf_", "cf_2_", "cf_3_"]

    def test_large_batches_write_the_second_campaigns_tables(self, url: str) -> None:
        """Batches over BULK (COPY on PostgreSQL) land in the second campaign's tables, and verify."""
        from campaignflow.store._bulk import BULK  # noqa: PLC0415 - the threshold under test

        units = [f"u{i:05d}" for i in range(BULK + 50)]
        first = safety.campaign().start(units[:3], store=url)
        second = twin().start(units, store=url)
        second.record_many([(u, safety.Briefing(attendees=3)) for u in units], by=ACTOR)
        second.fire_many(units, "start", by=ACTOR)
        second.fire_many(units, "approve", by=ACTOR)  # every one refused: projection rows updated
        first.record("u00000", safety.Briefing(attendees=1), by=ACTOR)
        assert SQLStore(url, campaign="safety-twin").step_count() == 3 * len(units)
        assert SQLStore(url, campaign="safety-2026").step_count() == 1
        assert twin().open(units, url).progress().by_stage["inspect"] == len(units)
        assert twin().verify(units, url).ok
        assert safety.campaign().verify(units[:3], url).ok

    def test_a_started_campaign_is_not_started_again(self, url: str) -> None:
        """start() of a campaign the database holds with steps is refused; the others are untouched."""
        _two(url)
        with pytest.raises(cf.StoreError, match="already holds a run of 'safety-twin'"):
            twin().start(["s1"], store=url)
        assert len(SQLStore(url).campaigns()) == 2

    def test_unknown_and_unchosen_campaigns_are_named(self, url: str) -> None:
        """Opening an id the database lacks lists what it holds; reading without choosing names both."""
        _two(url)
        other = cf.Campaign("other")
        other.stages("a")
        with pytest.raises(
            cf.StoreError, match=r"holds no campaign 'other' \(it holds 'safety-2026', 'safety-twin'\)"
        ):
            other.open(["s1"], url)
        with pytest.raises(cf.StoreError, match=r"holds 2 campaigns .*campaign=ID"):
            SQLStore(url).meta("org")
        with pytest.raises(cf.StoreError, match="opened for campaign 'safety-twin', not 'safety-2026'"):
            safety.campaign().open(["s1", "s2"], SQLStore(url, campaign="safety-twin"))

    def test_a_third_campaign_in_the_callers_rolled_back_transaction_leaves_nothing(self, url: str) -> None:
        """Adding a campaign inside the application's transaction rolls back with it: catalogue and tables."""
        _two(url)
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            trans = conn.begin()
            third = cf.Campaign("third")
            third.stages("a")
            third.start(["s9"], store=SQLStore(conn))
            trans.rollback()
        engine.dispose()
        assert [c.id for c in SQLStore(url).campaigns()] == ["safety-2026", "safety-twin"]
        assert third.start(["s9"], store=url).stage_of("s9") == "a"
        assert [c.prefix for c in SQLStore(url).campaigns()][-1] == "cf_3_"


class TestCommandLine:
    @pytest.fixture
    def db(self, tmp_path: Path) -> str:
        """A file holding the twin first (cf_*) and the safety preset second (cf_2_*)."""
        path = tmp_path / "two.db"
        url = f"sqlite:///{path}"
        twin().start(["s1"], store=url)
        run = safety.campaign().start(["s1", "s2"], store=url)
        run.record("s1", safety.Briefing(attendees=4), by=ACTOR)
        run.fire("s1", "start", by=ACTOR)
        return str(path)

    def test_campaigns_lists_them(self, db: str) -> None:
        """`campaigns DB` lists id, label, units and steps of each campaign."""
        result = CliRunner().invoke(main, ["campaigns", db])
        assert result.exit_code == 0, result.output
        lines = result.output.splitlines()
        assert lines[0].split() == ["id", "label", "units", "steps", "tables", "added"]
        assert lines[1].split()[:5] == ["safety-twin", "安全生产大检查", "1", "0", "cf_*"]
        assert lines[2].split()[:5] == ["safety-2026", "安全生产大检查", "2", "2", "cf_2_*"]
        listed = json.loads(CliRunner().invoke(main, ["campaigns", db, "--format", "json"]).output)
        assert [(c["id"], c["steps"]) for c in listed] == [("safety-twin", 0), ("safety-2026", 2)]

    @pytest.mark.parametrize(
        "args",
        [
            ["verify"],
            ["report"],
            ["obligations"],
            ["history", "s1"],
            ["export"],
            ["explain", "s1", "approve"],
        ],
    )
    def test_every_db_command_asks_which_one(self, db: str, args: list[str]) -> None:
        """Without --campaign-id, a DB command on a database of several exits 2: one error line, the list."""
        result = CliRunner().invoke(main, [args[0], db, *args[1:]])
        assert result.exit_code == 2, result.output
        errors = [line for line in result.output.splitlines() if line.startswith("error:")]
        assert errors == [f"error: {db} holds 2 campaigns: choose one with --campaign-id ID"]
        assert "safety-twin" in result.output
        assert "safety-2026" in result.output

    def test_campaign_id_selects_one(self, db: str) -> None:
        """--campaign-id reads the campaign named, the second one's tables included."""
        runner = CliRunner()
        verified = runner.invoke(main, ["verify", db, "--campaign-id", "safety-2026"])
        assert verified.exit_code == 0, verified.output
        assert "ok: 2 steps of 2 units" in verified.output
        history = runner.invoke(main, ["history", db, "s1", "--campaign-id", "safety-2026"])
        assert history.exit_code == 0, history.output
        assert "s1 (s1): 2 steps" in history.output
        exported = runner.invoke(main, ["export", db, "--campaign-id", "safety-2026"])
        assert len(exported.output.splitlines()) == 2
        report = runner.invoke(main, ["report", db, "--campaign-id", "safety-2026", "--format", "json"])
        assert report.exit_code == 0, report.output
        assert json.loads(report.output)["total"] == 2
        # The twin recorded the preset's MODULE:ATTR, which builds another id: refused, not misread.
        twin_report = runner.invoke(main, ["report", db, "--campaign-id", "safety-twin"])
        assert twin_report.exit_code == 3
        assert "builds campaign 'safety-2026', not 'safety-twin'" in twin_report.output

    def test_an_unknown_campaign_id_is_a_usage_error(self, db: str) -> None:
        """--campaign-id of a campaign DB does not hold exits 2 naming what it holds."""
        result = CliRunner().invoke(main, ["verify", db, "--campaign-id", "nope"])
        assert result.exit_code == 2
        assert (
            "holds no campaign 'nope' (--campaign-id): it holds 'safety-twin', 'safety-2026'" in result.output
        )


def test_a_campaign_id_that_is_not_a_string_is_a_type_error(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=r"campaign id \(str\) or None, got int"):
        SQLStore(f"sqlite:///{tmp_path / 'x.db'}", campaign=5)  # type: ignore[arg-type]
