"""Pausing the cyclic collector during large batches is the host's choice, off by default."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from datetime import UTC, datetime

import attrs
import pytest

import campaignflow as cf
from campaignflow.run.gc import BATCH, ENV


@attrs.frozen
class _Doc:
    n: int = 1


class _Watching:
    """A clock that notes whether the collector was enabled each time a verb asks it the time."""

    def __init__(self) -> None:
        self.seen: list[bool] = []

    def __call__(self) -> datetime:
        self.seen.append(gc.isenabled())
        return datetime(2014, 3, 1, tzinfo=UTC)


def _campaign() -> cf.Campaign:
    c = cf.Campaign("gc")
    c.stages("a", "b")
    c.transition("go", "a", "b")
    c.evidence(_Doc)
    return c


@pytest.fixture(autouse=True)
def _collector_back_on(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts with the collector on and no opt-in from the environment; ends with it on."""
    monkeypatch.delenv(ENV, raising=False)
    yield
    gc.enable()


UNITS = [f"u{i}" for i in range(BATCH + 10)]
ACTOR = cf.Actor(id="admin")


def test_by_default_the_collector_keeps_running_during_batches() -> None:
    clock = _Watching()
    run = _campaign().start(UNITS, clock=clock)
    assert run.pause_gc is False
    clock.seen.clear()
    run.record_many([(u, _Doc()) for u in UNITS], by=ACTOR)
    run.fire_many(UNITS, "go", by=ACTOR)
    assert clock.seen
    assert all(clock.seen)


def test_pause_gc_pauses_it_for_large_batches_only_and_restores_it() -> None:
    clock = _Watching()
    run = _campaign().start(UNITS, clock=clock, pause_gc=True)
    clock.seen.clear()
    run.record_many([(u, _Doc()) for u in UNITS], by=ACTOR)
    assert clock.seen
    assert not any(clock.seen)
    assert gc.isenabled()
    clock.seen.clear()
    run.fire_many(UNITS[:10], "go", by=ACTOR)  # a small batch: not worth pausing for
    assert clock.seen
    assert all(clock.seen)
    clock.seen.clear()
    run.fire_many(UNITS[10:], "go", by=ACTOR)
    assert clock.seen
    assert not any(clock.seen)
    assert gc.isenabled()


def test_a_batch_that_fails_turns_the_collector_back_on() -> None:
    run = _campaign().start(UNITS, pause_gc=True)
    with pytest.raises(cf.UnknownUnit):
        run.fire_many([*UNITS, "nowhere"], "go", by=ACTOR)
    assert gc.isenabled()


def test_a_collector_the_host_turned_off_stays_off() -> None:
    run = _campaign().start(UNITS, pause_gc=True)
    gc.disable()
    run.fire_many(UNITS, "go", by=ACTOR)
    assert not gc.isenabled()


def test_open_takes_the_option_and_the_run_can_change_it() -> None:
    store = cf.MemoryStore()
    started = _campaign().start(UNITS, store=store)
    clock = _Watching()
    opened = _campaign().open(UNITS, started.store, clock=clock, pause_gc=True)
    assert opened.pause_gc is True
    clock.seen.clear()
    opened.fire_many(UNITS, "go", by=ACTOR)
    assert not any(clock.seen)
    opened.pause_gc = False
    clock.seen.clear()
    opened.record_many([(u, _Doc()) for u in UNITS], by=ACTOR)
    assert all(clock.seen)


def test_a_non_bool_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="pause_gc"):
        _campaign().start(UNITS, pause_gc="yes")  # type: ignore[arg-type]


def test_the_environment_opts_every_run_in_and_an_argument_still_wins(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """CAMPAIGNFLOW_PAUSE_GC=1 turns the pause on for runs that do not choose; pause_gc=False still wins."""
    monkeypatch.setenv(ENV, "1")
    clock = _Watching()
    run = _campaign().start(UNITS, clock=clock)
    assert run.pause_gc is True
    clock.seen.clear()
    run.fire_many(UNITS, "go", by=ACTOR)
    assert not any(clock.seen)
    assert _campaign().start(UNITS, pause_gc=False).pause_gc is False
    assert _campaign().open(UNITS, run.store).pause_gc is True
    monkeypatch.setenv(ENV, "0")
    assert _campaign().start(UNITS).pause_gc is False
