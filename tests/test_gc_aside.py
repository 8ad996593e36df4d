"""By default a large batch sets the heap aside (``gc.freeze``) and the collector keeps running."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

import campaignflow as cf
from campaignflow.run import gc as run_gc
from campaignflow.run.gc import ENV, set_aside
from test_gc_pause import ACTOR, UNITS, _campaign, _Doc


class _Watching:
    """A clock noting, each time a verb asks the time, whether the collector runs and what is frozen."""

    def __init__(self) -> None:
        self.seen: list[tuple[bool, bool]] = []

    def __call__(self) -> datetime:
        self.seen.append((gc.isenabled(), gc.get_freeze_count() > 0))
        return datetime(2014, 3, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _nothing_frozen(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts and ends with nothing frozen, the collector on, no host freeze remembered."""
    monkeypatch.delenv(ENV, raising=False)
    monkeypatch.setattr(run_gc, "_host_freezes", [False])
    gc.unfreeze()
    yield
    gc.unfreeze()
    gc.enable()


def test_a_large_batch_freezes_the_heap_it_starts_with_and_unfreezes_it() -> None:
    clock = _Watching()
    run = _campaign().start(UNITS, clock=clock, store="sqlite://")
    clock.seen.clear()
    run.record_many([(u, _Doc()) for u in UNITS], by=ACTOR)
    run.fire_many(UNITS, "go", by=ACTOR)
    assert clock.seen
    assert all(seen == (True, True) for seen in clock.seen)  # collecting, the old heap aside
    assert gc.get_freeze_count() == 0
    clock.seen.clear()
    run.record_many([(u, _Doc()) for u in UNITS[:10]], by=ACTOR)  # a small batch: left as it is
    assert clock.seen
    assert all(seen == (True, False) for seen in clock.seen)


def test_the_opt_in_pauses_instead() -> None:
    clock = _Watching()
    run = _campaign().start(UNITS, clock=clock, pause_gc=True)
    clock.seen.clear()
    run.record_many([(u, _Doc()) for u in UNITS], by=ACTOR)
    assert clock.seen
    assert all(seen == (False, False) for seen in clock.seen)
    assert gc.isenabled()


def test_a_failing_batch_unfreezes() -> None:
    run = _campaign().start(UNITS)
    with pytest.raises(cf.UnknownUnit):
        run.record_many([*((u, _Doc()) for u in UNITS), ("nowhere", _Doc())], by=ACTOR)
    with pytest.raises(cf.UnknownUnit):
        run.fire_many([*UNITS, "nowhere"], "go", by=ACTOR)
    assert gc.get_freeze_count() == 0


def test_a_host_freeze_is_left_alone_for_good() -> None:
    """What the host froze stays frozen; from then on batches freeze nothing, even once it unfroze."""
    clock = _Watching()
    run = _campaign().start(UNITS, clock=clock)
    kept = [[i] for i in range(100)]
    gc.freeze()
    frozen = gc.get_freeze_count()
    run.record_many([(u, _Doc()) for u in UNITS], by=ACTOR)
    assert gc.get_freeze_count() == frozen
    gc.unfreeze()
    clock.seen.clear()
    run.record_many([(u, _Doc()) for u in UNITS], by=ACTOR)
    assert all(seen == (True, False) for seen in clock.seen)
    assert kept


def test_a_collector_the_host_turned_off_is_not_frozen_under() -> None:
    clock = _Watching()
    run = _campaign().start(UNITS, clock=clock)
    gc.disable()
    clock.seen.clear()
    run.record_many([(u, _Doc()) for u in UNITS], by=ACTOR)
    assert all(seen == (False, False) for seen in clock.seen)
    assert not gc.isenabled()


def test_the_last_batch_to_end_unfreezes() -> None:
    """Two threads' batches overlapping: the first to start freezes, the last to end unfreezes."""
    inside, release = threading.Event(), threading.Event()

    def other() -> None:
        with set_aside():
            inside.set()
            release.wait(10)

    with set_aside():
        thread = threading.Thread(target=other)
        thread.start()
        assert inside.wait(10)
    assert gc.get_freeze_count() > 0  # the other batch still runs
    release.set()
    thread.join(10)
    assert gc.get_freeze_count() == 0
