"""Many processes on one store: no lost or duplicated step; SIGKILL leaves whole batches."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

import campaignflow as cf
from workers import STAGES, UNITS, chain_campaign, race, write_batches


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store URL of each kind, holding a started run over UNITS."""
    target = (
        f"sqlite:///{tmp_path / 'race.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("pg_fresh")
    )
    chain_campaign().start(list(UNITS), store=target)
    return str(target)


class TestFourProcesses:
    def test_no_lost_or_duplicate_step(self, url: str) -> None:
        """4 processes on overlapping units: each accepted call is one step, each move happens once."""
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(4) as pool:
            results = pool.starmap(race, [(url, seed, 40) for seed in range(4)])
        fired = [f for worker, _ in results for f in worker]
        records = sum(n for _, n in results)
        moves = Counter(fired)
        assert all(n == 1 for n in moves.values()), "a transition happened twice"
        c = chain_campaign()
        run = c.open(list(UNITS), url)
        steps = [s for u in UNITS for s in run.history(u)]
        assert sum(s.kind is cf.Kind.FIRE for s in steps) == len(fired)
        assert sum(s.kind is cf.Kind.RECORD for s in steps) == records
        for unit in UNITS:
            sources = [src for u, src, _ in fired if u == unit]
            assert sorted(sources) == list(STAGES[: len(sources)])
            assert run.stage_of(unit) == STAGES[len(sources)]
        assert c.verify(list(UNITS), url).ok


class TestCrash:
    def test_sigkill_mid_batch_leaves_whole_batches(self, tmp_path: Path) -> None:
        """A writer killed at random points leaves each batch fully written or absent."""
        url = f"sqlite:///{tmp_path / 'crash.db'}"
        chain_campaign().start(list(UNITS), store=url)
        rng = random.Random(7)
        worker = Path(__file__).with_name("workers.py")
        acknowledged: list[str] = []
        for attempt in range(4):
            child = subprocess.Popen(
                [sys.executable, str(worker), url, str(attempt * 100_000)], stdout=subprocess.PIPE, text=True
            )
            assert child.stdout is not None
            # Kill after a random number of committed batches (the child announces each one):
            # by then it is busy with the next batch, whatever the machine's speed.
            for _ in range(rng.randint(1, 4)):
                line = child.stdout.readline().strip()
                assert line, f"the writer exited ({child.poll()}) before committing a batch"
                acknowledged.append(line)
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
            child.stdout.close()
        c = chain_campaign()
        run = c.open(list(UNITS), url)
        per_batch = Counter(s.actor for u in UNITS for s in run.history(u))
        assert set(acknowledged) <= set(per_batch), "a committed batch is missing"
        assert set(per_batch.values()) == {50}
        assert c.verify(list(UNITS), url).ok


def test_workers_module_runs_standalone() -> None:
    """The worker entry point exists (the crash test runs it as a script)."""
    assert callable(write_batches)
