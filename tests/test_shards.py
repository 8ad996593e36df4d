"""The mass-line simulation sharded by province: the same per-unit story as one process tells."""

from __future__ import annotations

import functools
import importlib.util
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

import campaignflow as cf
from campaignflow.cli import main
from campaignflow.presets import safety
from campaignflow.presets.mass_line import campaign, shards
from campaignflow.presets.mass_line.dice import PerUnitDice, SharedDice
from campaignflow.presets.mass_line.simulation import simulate
from campaignflow.presets.scaled import scaled_org
from campaignflow.presets.zhongmou import zhongmou_org
from campaignflow.store import SQLStore

END = datetime(2014, 5, 1, tzinfo=UTC)  # after the simulation's nine weeks


def told(run: cf.Run) -> dict[str, Any]:
    """What a run's report counts, and every unit's state: what a sharded run must give alike."""
    whole = run.progress(limit=1_000, now=END)
    return {
        "states": {u: run.state(u) for u in run.org},
        "by_stage": whole.by_stage,
        "blocked": whole.blocked_units,
        "sent_back": whole.sent_back,
        "duties": run.obligations(now=END).counts(),
        "escalations": sorted((e.unit, e.stage, e.count) for e in run.escalations),
    }


@pytest.fixture(scope="module")
def single() -> tuple[dict[str, Any], int, int]:
    """Zhongmou simulated in one process with per-unit dice: the story to match."""
    sim = simulate(zhongmou_org(0), seed=0, dice=PerUnitDice(0))
    return told(sim.run), sim.refused, sim.sent_back


def cross_split(org: cf.Org) -> list[list[str]]:
    """Two workers, a department's contact village in the other worker's township.

    The department's make-up visit (补访) is then written by one worker to the
    other's unit: the case where a worker reloads what another wrote.
    """
    township = org.parent("v-0213")
    assert township is not None
    provinces = org.children(org.root())
    return [[township], [p for p in provinces if p != township]]


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty store of each kind: SQLite takes one writer at a time, PostgreSQL many."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'shards.db'}"
    return str(request.getfixturevalue("pg_fresh"))


class TestShardedStory:
    def test_two_workers_tell_the_single_process_story(
        self, url: str, single: tuple[dict[str, Any], int, int]
    ) -> None:
        """Per unit the same stage, version, reworks, events and refusal; the same roll-up and duties."""
        org = zhongmou_org(0)
        done = shards.simulate_sharded(
            functools.partial(zhongmou_org, 0), url, workers=2, seed=0, org=org, split=cross_split(org)
        )
        story, refused, sent_back = single
        assert told(done.run) == story
        assert (done.refused, done.sent_back) == (refused, sent_back)
        assert [r.shard for r in done.reports] == ["root", "0", "1"]
        assert sum(r.units for r in done.reports) == len(org)
        assert sum(r.steps for r in done.reports) == done.run.store.step_count()
        assert sum(r.elsewhere for r in done.reports) >= 1  # the cross-province make-up visit
        assert campaign().verify(org, url).ok

    def test_the_dice_alone_change_the_numbers_not_the_kinds(self) -> None:
        """Per-unit dice tell another story than the one stream, with the same kinds of trouble."""
        org = zhongmou_org(0)
        one = simulate(org, seed=3, dice=SharedDice(3))
        per = simulate(org, seed=0, dice=PerUnitDice(0))
        for sim in (one, per):
            rules = {f.rule for v in sim.refusals for f in v.failures}
            assert sim.refused > 0
            assert sim.sent_back > 0
            assert rules


class TestPerUnitDice:
    @given(
        st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=30),
        st.integers(min_value=0, max_value=2**32),
    )
    def test_a_keys_draws_do_not_depend_on_the_others(self, keys: list[str], seed: int) -> None:
        """Interleaved with other keys or alone, a key draws the same numbers in the same phase."""
        mixed = PerUnitDice(seed)
        mixed.phase(2)
        drawn: dict[str, list[float]] = {}
        for k in keys:
            drawn.setdefault(k, []).append(mixed.of(k).random())
        for k, numbers in drawn.items():
            alone = PerUnitDice(seed)
            alone.phase(2)
            assert [alone.of(k).random() for _ in numbers] == numbers

    def test_each_phase_draws_anew_and_ledgers_count_per_unit(self) -> None:
        dice = PerUnitDice(0)
        dice.phase(1)
        first = dice.of("u").random()
        dice.phase(2)
        assert dice.of("u").random() != first
        assert [dice.ledger_item("u"), dice.ledger_item("v"), dice.ledger_item("u")] == [
            "L001",
            "L001",
            "L002",
        ]


class TestPlan:
    def test_balanced_deterministic_and_complete(self) -> None:
        org = scaled_org("national", provinces=5)
        split = shards.plan(org, 2)
        assert split == shards.plan(org, 2)
        assert sorted(p for g in split for p in g) == list(org.children(org.root()))
        sizes = [sum(len(list(org.subtree(p))) for p in g) for g in split]
        assert max(sizes) - min(sizes) <= max(len(list(org.subtree(p))) for p in org.children(org.root()))

    @pytest.mark.parametrize("workers", [0, 6])
    def test_more_workers_than_provinces_is_refused(self, workers: int) -> None:
        with pytest.raises(cf.ArgumentError, match="provinces"):
            shards.plan(scaled_org("national", provinces=5), workers)

    def test_workers_not_an_int_is_a_type_error(self) -> None:
        with pytest.raises(TypeError, match="workers"):
            shards.plan(scaled_org("national", provinces=2), "2")  # type: ignore[arg-type]

    def test_a_split_must_name_every_province_once(self, tmp_path: Path) -> None:
        org = scaled_org("national", provinces=3)
        with pytest.raises(cf.ArgumentError, match=r"missing \['c0002'\]"):
            shards.start(org, f"sqlite:///{tmp_path / 's.db'}", split=[["c0000"], ["c0001"]])


class TestBarrier:
    def test_a_failed_worker_stops_the_coordinator(self, tmp_path: Path) -> None:
        """The coordinator reads the worker's failure in the store and raises, naming it."""
        url = f"sqlite:///{tmp_path / 's.db'}"
        org = scaled_org("national", provinces=2)
        shards.start(org, url, workers=2)
        store = SQLStore(url)
        store.set_meta("shard:1:failed", "MemoryError: out of memory")
        store.close()
        with pytest.raises(shards.ShardError, match=r"shard 1 failed at slot 1: MemoryError"):
            shards.coordinate(org, url, timeout=60)

    def test_a_missing_worker_is_named_after_the_timeout(self, tmp_path: Path) -> None:
        url = f"sqlite:///{tmp_path / 's.db'}"
        org = scaled_org("national", provinces=2)
        shards.start(org, url, workers=2)
        with pytest.raises(shards.ShardError, match=r"no mark of slot 1 from 0, 1 within 0 s"):
            shards.coordinate(org, url, timeout=0)

    def test_a_worker_without_a_started_simulation_is_refused(self, tmp_path: Path) -> None:
        url = f"sqlite:///{tmp_path / 'none.db'}"
        with pytest.raises(shards.ShardError, match="no sharded simulation started there"):
            shards.work(scaled_org("national", provinces=2), url, 0, timeout=0)

    def test_a_worker_number_outside_the_plan_is_refused(self, tmp_path: Path) -> None:
        url = f"sqlite:///{tmp_path / 's.db'}"
        org = scaled_org("national", provinces=2)
        shards.start(org, url, workers=2)
        with pytest.raises(shards.ShardError, match="workers 0 to 1"):
            shards.work(org, url, 2, timeout=0)

    def test_a_worker_number_not_an_int_is_refused_before_waiting(self, tmp_path: Path) -> None:
        """A wrong type is named at once, not after polling for a plan (nothing was started here)."""
        url = f"sqlite:///{tmp_path / 'none.db'}"
        with pytest.raises(TypeError, match="worker's number"):
            shards.work(scaled_org("national", provinces=2), url, "1", timeout=0)  # type: ignore[arg-type]

    def test_a_memory_store_cannot_be_shared(self) -> None:
        with pytest.raises(shards.ShardError, match="needs an SQL store"):
            shards.start(scaled_org("national", provinces=2), cf.MemoryStore(), workers=1)  # type: ignore[arg-type]


class TestSlice:
    def test_provinces_are_the_first_subtrees_of_the_whole(self) -> None:
        """A slice holds the whole org's first subtrees unchanged: the same ids, people and groups."""
        whole = scaled_org("national", fraction=0.002)
        part = scaled_org("national", fraction=0.002, provinces=2)
        kept = {u for p in whole.children(whole.root())[:2] for u in whole.subtree(p)} | {whole.root()}
        assert set(part) == kept
        for unit in part:
            assert part.people(unit) == whole.people(unit)
            assert part.supervising_groups(unit) == whole.supervising_groups(unit)

    @pytest.mark.parametrize("provinces", [0, 7])
    def test_provinces_out_of_range_are_refused(self, provinces: int) -> None:
        with pytest.raises(cf.ArgumentError, match="subtrees under its root"):
            scaled_org("national", fraction=0.002, provinces=provinces)


class TestDemoOnPostgreSQL:
    def test_the_demo_with_two_workers_replays_and_shows_each_shard(
        self, pg_fresh: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """`campaignflow demo --db URL --workers 2`: a line per shard, the roll-up, a replay that equals."""
        monkeypatch.chdir(tmp_path)
        result = CliRunner().invoke(main, ["demo", "--db", pg_fresh, "--workers", "2", "--seed", "1"])
        assert result.exit_code == 0, result.output
        assert re.search(r"shard root: 1 units", result.output)
        assert re.search(r"shard 0: \d+ units, [\d,]+ steps, wall", result.output)
        assert re.search(r"shard 1: \d+ units", result.output)
        assert "362 units" in result.output
        assert "replay check: ok" in result.output
        assert (tmp_path / "mass-line-demo.html").exists()
        assert campaign().verify(zhongmou_org(1), pg_fresh).ok

    def test_a_database_holding_another_campaign_is_refused(
        self, pg_fresh: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The demo replaces only its own earlier run: another campaign's tables stay."""
        monkeypatch.chdir(tmp_path)
        safety.campaign().start(["plant-1"], store=pg_fresh)
        result = CliRunner().invoke(main, ["demo", "--db", pg_fresh, "--workers", "2"])
        assert result.exit_code != 0
        assert "holds campaign(s) ['safety" in result.output
        assert "Traceback" not in result.output
        assert safety.campaign().open(["plant-1"], pg_fresh).stage_of("plant-1")

    def test_more_workers_than_provinces_is_one_line(self, pg_fresh: str) -> None:
        result = CliRunner().invoke(main, ["demo", "--db", pg_fresh, "--workers", "500"])
        assert result.exit_code != 0
        assert "workers=500" in result.output
        assert "Traceback" not in result.output


def test_workers_without_a_database_server_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["demo", "--db", str(tmp_path / "zm.db"), "--workers", "2"])
    assert result.exit_code != 0
    assert "--workers 2 needs a database server" in result.output
    assert list(tmp_path.iterdir()) == []


def test_the_hosts_example_with_workers_started_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """examples/sharded_hosts.py: two workers started before the campaign wait for it, then finish."""
    url = f"sqlite:///{tmp_path / 'hosts.db'}"
    script = Path(__file__).resolve().parent.parent / "examples" / "sharded_hosts.py"
    flags = ["--provinces", "2", "--timeout", "600"]
    workers = [
        subprocess.Popen(
            [sys.executable, str(script), "work", url, str(k), *flags], stdout=subprocess.PIPE, text=True
        )
        for k in (0, 1)
    ]
    spec = importlib.util.spec_from_file_location("sharded_hosts", script)
    assert spec is not None
    assert spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    assert example.main(["start", url, "--workers", "2", "--provinces", "2"]) == 0
    assert example.main(["coordinate", url, *flags]) == 0
    said = [p.communicate(timeout=600)[0] for p in workers]
    assert [p.returncode for p in workers] == [0, 0]
    assert [line.split(":")[0] for line in said] == ["worker 0", "worker 1"]
    printed = capsys.readouterr().out
    assert "provinces per worker: [1, 1]" in printed
    assert re.search(r"\d+ of 445 units closed", printed)
