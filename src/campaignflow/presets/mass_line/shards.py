"""The mass-line simulation split by province: a coordinator and workers on one SQL store.

The units below the national root fall into provinces (the root's subtrees).
:func:`start` starts the campaign once and writes the plan (which worker
simulates which provinces) into the store; each :func:`work` process, on any
host that reaches the database, simulates its provinces; :func:`coordinate`
simulates the root and gathers the workers' reports. :func:`simulate_sharded`
does all three on one host, the workers as processes.

What crosses provinces is kept in the order one process keeps it: each phase
is cut into slots, and every process finishes a slot before any starts the
next (a barrier in the store: each writes ``shard:<name>:<slot>`` and polls for
the others'). A phase ordered parents first (``mobilise``, the meetings)
gives the root its slot before the provinces'; ``conclude`` (children done)
gives it after. The weekly duties of every unit are a slot of their own, so
the root's meeting judges its leaders' visits to contact points in every
province. A process that writes to another's units (a county leader's
make-up visit to a village) lists them in its mark, and the owner reloads them.

Random choices come from :class:`~campaignflow.presets.mass_line.dice.PerUnitDice`,
and the clock stands still within a phase, so every unit's story is the one
``simulate(org, dice=PerUnitDice(seed))`` tells in a single process.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import attrs
import orjson

import campaignflow as cf
from campaignflow.presets.mass_line.dice import PerUnitDice
from campaignflow.presets.mass_line.rules import Thresholds
from campaignflow.presets.mass_line.simulated import Odds, Order
from campaignflow.presets.mass_line.simulation import _Sim, clock_step, phases, start_run

PLAN = "shard:plan"
ROOT = "root"
UNITS = "units"  # the workers, in the slots they act in
STILL = clock_step(PerUnitDice(0))  # the per-unit story's clock: still within a phase
TIMEOUT = 4 * 3600.0
"""Seconds a process waits at one barrier for the others before giving up (a national phase takes minutes)."""


class ShardError(cf.CampaignflowError):
    """A sharded simulation cannot go on: no plan, a peer failed, or a peer never came."""


@attrs.frozen(kw_only=True)
class ShardReport:
    """What one process of a sharded simulation did.

    Attributes:
        shard: ``"root"`` (the coordinator) or the worker's number.
        provinces: the subtrees under the root it simulated (none for the root).
        units: units it simulated.
        steps: steps of its units in the log (their versions).
        refused: refused attempts.
        sent_back: send-backs.
        wall: seconds from opening the run to its last slot.
        cpu: CPU seconds of the process in that time.
        waited: seconds of ``wall`` spent waiting for the other processes.
        elsewhere: units of other processes it wrote to (make-up visits to contact points).
        examples: the first refusals, as a clerk reads them.
    """

    shard: str
    provinces: tuple[str, ...]
    units: int
    steps: int
    refused: int
    sent_back: int
    wall: float
    cpu: float
    waited: float
    elsewhere: int = 0
    examples: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class ShardedSimulation:
    """A finished sharded simulation: the run opened from the store, and each process's report."""

    run: cf.Run
    reports: tuple[ShardReport, ...]

    @property
    def refused(self) -> int:
        """Refused attempts, over every process."""
        return sum(r.refused for r in self.reports)

    @property
    def sent_back(self) -> int:
        """Send-backs, over every process."""
        return sum(r.sent_back for r in self.reports)

    @property
    def example(self) -> str:
        """The first refusal a worker kept (the root's, if none did), as a clerk reads it."""
        ordered = [*self.reports[1:], *self.reports[:1]]  # the root's report comes first
        return next((e for r in ordered for e in r.examples), "(no refusal)")


def plan(org: cf.Org, workers: int) -> tuple[tuple[str, ...], ...]:
    """The root's subtrees split into ``workers`` groups of about equal units, in org order.

    Largest first onto the least loaded worker (ties: the lower number), so
    the same org and count give the same split on every host.

    Raises:
        ArgumentError: ``workers`` is below 1 or above the number of provinces.
    """
    if isinstance(workers, bool) or not isinstance(workers, int):
        msg = f"workers must be an int, got {type(workers).__name__}"
        raise TypeError(msg)
    provinces = org.children(org.root())
    if not 1 <= workers <= max(1, len(provinces)):
        msg = (
            f"workers={workers}: {org.name_of(org.root())!r} has {len(provinces)} provinces "
            f"(subtrees under the root) to share; pass 1 to {max(1, len(provinces))}"
        )
        raise cf.ArgumentError(msg)
    sizes = {p: sum(1 for _ in org.subtree(p)) for p in provinces}
    load = [0] * workers
    given: list[list[str]] = [[] for _ in range(workers)]
    for p in sorted(provinces, key=lambda p: -sizes[p]):
        k = load.index(min(load))
        given[k].append(p)
        load[k] += sizes[p]
    order = {p: i for i, p in enumerate(provinces)}
    return tuple(tuple(sorted(g, key=order.__getitem__)) for g in given)


def start(
    org: cf.Org,
    url: str,
    *,
    workers: int = 2,
    seed: int = 0,
    thresholds: Thresholds | None = None,
    odds: Odds | None = None,
    split: Sequence[Sequence[str]] | None = None,
) -> tuple[tuple[str, ...], ...]:
    """Start the campaign over ``org`` in the empty store at ``url`` and write the plan; returns it.

    Args:
        org: the org (every process builds the same one).
        url: an empty PostgreSQL (or SQLite) store.
        workers: how many workers share the provinces (see :func:`plan`).
        seed: the seed of every random choice.
        thresholds: the campaign's standards.
        odds: how often units fall short.
        split: the provinces of each worker, instead of ``plan(org, workers)``:
            every subtree under the root exactly once.

    Raises:
        StoreError: the store already holds the campaign.
        ArgumentError: ``split`` leaves out a province, or names one twice or a unit that is not one.
    """
    t, o = thresholds or Thresholds(), odds or Odds()
    shards = plan(org, workers) if split is None else _checked(org, split)
    run = start_run(org, url, t, step=STILL, ids="ev.start")
    body = {"seed": seed, "shards": shards, "thresholds": attrs.asdict(t), "odds": attrs.asdict(o)}
    _meta(run, PLAN, orjson.dumps(body).decode())
    return shards


def _checked(org: cf.Org, split: Sequence[Sequence[str]]) -> tuple[tuple[str, ...], ...]:
    provinces = org.children(org.root())
    given = [p for group in split for p in group]
    if sorted(given) != sorted(provinces) or not all(split):
        missing = sorted(set(provinces) - set(given))
        extra = sorted({p for p in given if given.count(p) > 1} | (set(given) - set(provinces)))
        msg = (
            f"split: every subtree under the root once, in non-empty groups; missing {missing}, "
            f"twice or not under the root {extra}"
        )
        raise cf.ArgumentError(msg)
    return tuple(tuple(group) for group in split)


def work(org: cf.Org, url: str, shard: int, *, timeout: float = TIMEOUT) -> ShardReport:
    """Simulate worker ``shard``'s provinces of the campaign :func:`start` began at ``url``.

    Raises:
        ShardError: no plan there, no such worker in it, or another process failed.
    """
    if isinstance(shard, bool) or not isinstance(shard, int):
        msg = f"shard must be a worker's number (an int), got {type(shard).__name__}"
        raise TypeError(msg)
    run = _opened(org, url, timeout, ids=f"ev.{shard}")
    body = _plan(run)
    shards: list[list[str]] = body["shards"]
    if not 0 <= shard < len(shards):
        msg = f"worker {shard}: the plan at {url} has workers 0 to {len(shards) - 1}"
        raise ShardError(msg)
    provinces = tuple(shards[shard])
    units = [u for p in provinces for u in org.subtree(p)]
    return _play(run, body, str(shard), provinces, units, timeout)


def coordinate(
    org: cf.Org,
    url: str,
    *,
    timeout: float = TIMEOUT,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> ShardedSimulation:
    """Simulate the root's part of the campaign at ``url`` and wait for every worker to finish.

    ``on_progress`` is called as ``(phase, done, total)`` when every process has
    finished a phase.

    Raises:
        ShardError: no plan there, or a worker failed or never came.
    """
    run = _opened(org, url, timeout, ids=f"ev.{ROOT}")
    body = _plan(run)
    mine = _play(run, body, ROOT, (), [org.root()], timeout, on_progress)
    reports = [mine]
    for k in range(len(body["shards"])):
        found = _meta_of(run, f"shard:{k}:report")
        if found is None:  # pragma: no cover - every worker writes it before its last mark
            msg = f"worker {k} passed its last barrier without a report"
            raise ShardError(msg)
        data = orjson.loads(found)
        data.update(provinces=tuple(data["provinces"]), examples=tuple(data["examples"]))
        reports.append(ShardReport(**data))
    opened = start_run(org, url, Thresholds(**body["thresholds"]), step=STILL, open_it=True)
    return ShardedSimulation(run=opened, reports=tuple(reports))


def simulate_sharded(
    org_of: Callable[[], cf.Org],
    url: str,
    *,
    workers: int,
    seed: int = 0,
    timeout: float = TIMEOUT,
    org: cf.Org | None = None,
    split: Sequence[Sequence[str]] | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> ShardedSimulation:
    """:func:`start`, ``workers`` :func:`work` processes and :func:`coordinate`, on this host.

    Args:
        org_of: builds the org in each worker process (picklable: a module-level
            function or a ``functools.partial`` of one).
        url: an empty PostgreSQL (or SQLite) store.
        workers: worker processes.
        seed: the simulation's seed.
        timeout: seconds a process waits at one barrier.
        org: the org in this process, when already built (default: ``org_of()``).
        split: the provinces of each worker (default: :func:`plan`'s).
        on_progress: called as ``(phase, done, total)`` after each phase.
    """
    whole = org if org is not None else org_of()
    workers = len(start(whole, url, workers=workers, seed=seed, split=split))
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_worker, args=(org_of, url, k, timeout), daemon=True) for k in range(workers)]
    for p in procs:
        p.start()
    try:
        return coordinate(whole, url, timeout=timeout, on_progress=on_progress)
    finally:
        for p in procs:
            p.join(timeout=60)
            if p.is_alive():  # pragma: no cover - a worker stuck after the coordinator gave up
                p.terminate()


def _worker(org_of: Callable[[], cf.Org], url: str, shard: int, timeout: float) -> None:
    work(org_of(), url, shard, timeout=timeout)


# ---------------------------------------------------------------- the slots


def _play(  # noqa: PLR0917 - private: the one loop of every process
    run: cf.Run,
    body: dict[str, Any],
    me: str,
    provinces: tuple[str, ...],
    units: list[str],
    timeout: float,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> ShardReport:
    wall, cpu = time.perf_counter(), time.process_time()
    names = [ROOT, *(str(k) for k in range(len(body["shards"])))]
    sync = _Barrier(run, me, names, timeout)
    t, odds = Thresholds(**body["thresholds"]), Odds(**body["odds"])
    sim = _Sim(run, PerUnitDice(body["seed"]), odds, t, units=units)
    try:
        steps = phases(sim)
        for n, (name, order, phase) in enumerate(steps, start=1):
            sim.begin(n)
            sync.slot(sim, sim.week)
            role = ROOT if me == ROOT else UNITS
            for acting in _turns(order):
                sync.slot(sim, phase if role in acting else None)
            if on_progress is not None:
                on_progress(name, n, len(steps))
        report = ShardReport(
            shard=me,
            provinces=provinces,
            units=len(units),
            steps=sum(run.state(u).version for u in units),
            refused=sim.refused,
            sent_back=sim.sent_back,
            wall=time.perf_counter() - wall,
            cpu=time.process_time() - cpu,
            waited=sync.waited,
            elsewhere=sync.elsewhere,
            examples=tuple(v.explain() for v in sim.kept[:3]),
        )
        if me != ROOT:
            _meta(run, f"shard:{me}:report", orjson.dumps(attrs.asdict(report)).decode())
        sync.last()
    except BaseException as exc:
        sync.fail(exc)
        raise
    return report


def _turns(order: Order) -> tuple[frozenset[str], ...]:
    """Who acts in each slot of a phase: everyone, the root then the provinces, or the other way."""
    if order is Order.DOWN:
        return (frozenset({ROOT}), frozenset({UNITS}))
    if order is Order.UP:
        return (frozenset({UNITS}), frozenset({ROOT}))
    return (frozenset({ROOT, UNITS}),)


class _Barrier:
    """Every process marks each slot done in the store and waits for the others' marks."""

    def __init__(self, run: cf.Run, me: str, names: Sequence[str], timeout: float) -> None:
        self.run, self.me, self.timeout = run, me, timeout
        self.others = [n for n in names if n != me]
        self.n = 0
        self.waited = 0.0
        self.elsewhere = 0

    def slot(self, sim: _Sim, act: Callable[[], object] | None) -> None:
        """Do ``act`` (None: nothing), mark the slot, wait for the others, reload what they wrote of ours."""
        self.n += 1
        if act is not None:
            act()
        touched, sim.foreign = sorted(sim.foreign), set()
        self.elsewhere += len(touched)
        _meta(self.run, f"shard:{self.me}:{self.n}", orjson.dumps(touched).decode())
        for other in self._wait():
            for unit in orjson.loads(other):
                if sim.own is not None and unit in sim.own:
                    self.run.refresh(unit)

    def last(self) -> None:
        """The closing barrier: after it, every worker's report is in the store."""
        self.n += 1
        _meta(self.run, f"shard:{self.me}:{self.n}", "[]")
        for _ in self._wait():
            pass

    def fail(self, exc: BaseException) -> None:
        """Tell the others this process stopped (they stop waiting and raise)."""
        with contextlib.suppress(cf.CampaignflowError):  # the store itself may be what failed
            _meta(self.run, f"shard:{self.me}:failed", f"{type(exc).__name__}: {exc}"[:2000])

    def _wait(self) -> Iterator[str]:
        """The others' marks of this slot, once all are there (a bounded poll of the store)."""
        began = time.perf_counter()
        pause = 0.002
        pending = list(self.others)
        found: list[str] = []
        while pending:
            for name in list(pending):
                mark = _meta_of(self.run, f"shard:{name}:{self.n}")
                if mark is not None:
                    found.append(mark)
                    pending.remove(name)
                    continue
                failed = _meta_of(self.run, f"shard:{name}:failed")
                if failed is not None:
                    msg = f"shard {self.me}: shard {name} failed at slot {self.n}: {failed}"
                    raise ShardError(msg)
            if not pending:
                break
            if time.perf_counter() - began > self.timeout:
                msg = (
                    f"shard {self.me}: no mark of slot {self.n} from {', '.join(pending)} within "
                    f"{self.timeout:.0f} s: start their work() (or pass a longer timeout)"
                )
                raise ShardError(msg)
            time.sleep(pause)  # polling the store: the others' marks are the event
            pause = min(pause * 2, 0.1)
        self.waited += time.perf_counter() - began
        return iter(found)


# ---------------------------------------------------------------- the store's metadata


def _opened(org: cf.Org, url: str, timeout: float, *, ids: str) -> cf.Run:
    """The run at ``url`` once :func:`start` has written its plan (polled for ``timeout`` seconds)."""
    began = time.perf_counter()
    pause = 0.01
    while True:
        try:
            run = start_run(org, url, Thresholds(), step=STILL, open_it=True, ids=ids)
        except cf.StoreError:
            run = None
        if run is not None and _meta_of(run, PLAN) is not None:
            return run
        if time.perf_counter() - began > timeout:
            msg = f"{url}: no sharded simulation started there within {timeout:.0f} s (run start() first)"
            raise ShardError(msg)
        time.sleep(pause)  # polling the store for the coordinator's start
        pause = min(pause * 2, 0.5)


def _plan(run: cf.Run) -> dict[str, Any]:
    found = _meta_of(run, PLAN)
    if found is None:
        msg = "the store holds no shard plan: start the simulation with shards.start()"
        raise ShardError(msg)
    body: dict[str, Any] = orjson.loads(found)
    return body


def _meta_of(run: cf.Run, key: str) -> str | None:
    value: str | None = _sql(run).meta(key)
    return value


def _meta(run: cf.Run, key: str, value: str) -> None:
    _sql(run).set_meta(key, value)


def _sql(run: cf.Run) -> Any:
    """The run's store, if it keeps metadata (the barriers and the plan live there)."""
    store = run.store
    if not (hasattr(store, "meta") and hasattr(store, "set_meta")):
        msg = f"a sharded simulation needs an SQL store (PostgreSQL, or SQLite), not {type(store).__name__}"
        raise ShardError(msg)
    return store
