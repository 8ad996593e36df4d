"""Benchmarks: campaignflow against its floor or peer, measured in the same run.

Usage:
    python benchmarks/run.py [--quick] [--json FILE]

Each figure is printed with the peer measured in the same process and the ratio
against it; only ratios are comparable across machines (this one is noisy:
±30-50 % between repeats).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import logging
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import attrs
import orjson
import structlog
from transitions import Machine

import campaignflow as cf
from campaignflow.store import drop_schema
from campaignflow.store.codec import canonical, chain_hash, step_to_dict

RESULTS: list[dict[str, Any]] = []


@attrs.frozen
class Doc:
    n: int


def figure(
    name: str, value: float, unit: str, peer: float | None, target: float | None, *, lower: bool = False
) -> None:
    """Record and print one figure: value, peer, ratio and whether the target is met.

    Higher ratios are better unless ``lower``: then the target bounds the value itself
    (seconds, bytes, a growth factor) and ``ratio`` is the value against its peer.
    """
    ratio = value / peer if peer else None
    if target is None:
        met = None
    elif lower:
        met = value <= target
    else:
        met = None if ratio is None else ratio >= target
    RESULTS.append(
        {
            "name": name,
            "value": value,
            "unit": unit,
            "peer_value": peer,
            "ratio": ratio,
            "target": target,
            "met": met,
            "lower_is_better": lower,
        }
    )
    shown_ratio = f"{ratio:6.2f}x" if ratio is not None else "      -"
    shown_target = "" if target is None else (f"≤ {target:g}" if lower else f"≥ {target:g}x")
    mark = {True: "met", False: "NOT met", None: ""}[met]
    peer_text = f"{peer or 0:14,.1f}"
    print(f"{name:44s} {value:14,.1f} {unit:10s} peer {peer_text}  {shown_ratio}  {shown_target:8s} {mark}")


def rate(n: int, fn: Callable[[], None], clock: Callable[[], float] = time.perf_counter) -> float:
    """Operations per second of ``fn`` doing ``n`` operations, timed by ``clock``."""
    start = clock()
    fn()
    return n / (clock() - start)


def best(n: int, prepare: Callable[[], Callable[[], None]], repeats: int = 3) -> float:
    """The best rate of ``repeats`` timed runs, each on fresh state from ``prepare``.

    The best of a few is the figure least disturbed by this noisy machine, for
    ours and the peer alike.
    """
    return max(rate(n, prepare()) for _ in range(repeats))


class _Rec:
    __slots__ = ("docs", "state")

    def __init__(self) -> None:
        self.state = "a"
        self.docs = 3


def _conditions() -> list[Callable[[Any], bool]]:
    return [
        lambda e: e.model.docs >= 1,
        lambda e: e.model.docs >= 2,
        lambda e: e.model.docs >= 3,
        lambda e: e.model.docs > 0,
        lambda e: e.model.docs < 100,
    ]


def _transitions_ways(n: int) -> dict[str, Callable[[], Callable[[], None]]]:
    """Raw ``transitions`` with 5 conditions: a shared machine's trigger, and added models."""
    spec: dict[str, Any] = {
        "model": None,
        "states": ["a", "b"],
        "transitions": [{"trigger": "go", "source": "a", "dest": "b", "conditions": _conditions()}],
        "initial": "a",
        "auto_transitions": False,
        "send_event": True,
    }
    event = Machine(**spec).events["go"]

    def shared_way() -> Callable[[], None]:
        records = [_Rec() for _ in range(n)]
        return lambda: [event.trigger(r) for r in records] and None

    class Model:
        def __init__(self) -> None:
            self.docs = 3

    def added_way() -> Callable[[], None]:
        models = [Model() for _ in range(n)]
        per_model = Machine(**spec)
        for m in models:  # not timed: add_model is quadratic, the peer gets it for free
            per_model.add_model(m)
        return lambda: [m.go() for m in models] and None  # type: ignore[attr-defined]

    return {"transitions, shared machine": shared_way, "transitions, added models": added_way}


def _statemachine_way(n: int) -> Callable[[], Callable[[], None]]:
    """python-statemachine 3.2: one instance per unit (about 16 KB each), 5 guards."""
    from statemachine import State, StateMachine  # noqa: PLC0415 - a peer, only here

    class Unit(StateMachine):
        a = State(initial=True)
        b = State(final=True)
        go = a.to(b, cond=["c1", "c2", "c3", "c4", "c5"])

        def __init__(self) -> None:
            self.docs = 3
            super().__init__()

        def c1(self) -> bool:
            return self.docs >= 1

        def c2(self) -> bool:
            return self.docs >= 2

        def c3(self) -> bool:
            return self.docs >= 3

        def c4(self) -> bool:
            return self.docs > 0

        def c5(self) -> bool:
            return self.docs < 100

    def way() -> Callable[[], None]:
        machines = [Unit() for _ in range(n)]  # not timed, as our run's start is not
        return lambda: [m.go() for m in machines] and None

    return way


def _campaign_ways(n: int) -> dict[str, Callable[[], Callable[[], None]]]:
    """campaignflow's fire and fire_many over a 5-rule declared gate, 3 Docs per unit."""
    c = cf.Campaign("bench")
    c.stages("a", "b")
    c.transition(
        "go",
        "a",
        "b",
        gate=cf.all_of(
            cf.count_at_least(Doc, 1),
            cf.count_at_least(Doc, 2),
            cf.count_at_least(Doc, 3),
            cf.exists(Doc),
            cf.sum_at_least(Doc, "n", 2),
        ),
    )
    units = [f"u{i}" for i in range(n)]
    actor = cf.Actor(id="bench")

    def started() -> cf.Run:
        run = c.start(units, ids=cf.CountingIds())
        run.record_many([(u, Doc(1)) for u in units for _ in range(3)], by=actor)
        return run

    def one_by_one() -> Callable[[], None]:
        run = started()
        return lambda: [run.fire(u, "go", by=actor) for u in units] and None

    def batch() -> Callable[[], None]:
        run = started()
        return lambda: run.fire_many(units, "go", by=actor) and None

    def paused_batch() -> Callable[[], None]:
        run = started()
        run.pause_gc = True  # the host's opt-in (off by default): an extra row, not the headline
        return lambda: run.fire_many(units, "go", by=actor) and None

    return {"fire": one_by_one, "fire_many": batch, "fire_many, collector paused": paused_batch}


def interleaved(
    n: int, ways: dict[str, Callable[[], Callable[[], None]]], repeats: int, listened: set[str]
) -> dict[str, float]:
    """The best rate of each way over ``repeats`` rounds, the ways taking turns in each round.

    Taking turns puts every way through the same spells of a shared machine's load, so
    ratios between them hold within a run; the ways are timed in this process's CPU
    time (all of them are in-memory and CPU-bound), which other processes' load does
    not stretch. Each timing starts after a full collection: the garbage its set-up
    left (10,000 units' records) is not charged to the fires, while the garbage the
    fires make is. Ways named in ``listened`` run with a lean structlog host configured.
    """
    found: dict[str, float] = {}
    with Path(os.devnull).open("wb") as sink:
        for _ in range(repeats):
            for name, prepare in ways.items():
                fn = prepare()
                gc.collect()
                with listening(sink) if name in listened else contextlib.nullcontext():
                    found[name] = max(found.get(name, 0.0), rate(n, fn, time.process_time))
    return found


def bench_fire(n: int, repeats: int = 4) -> None:
    """A single fire and a batch with a 5-rule gate vs raw transitions with 5 plain conditions,
    and vs python-statemachine (one instance per unit); logged and unlogged, in one run."""
    ways = _transitions_ways(n)
    ours = _campaign_ways(n)
    paused = ours.pop("fire_many, collector paused")
    for name, way in ours.items():
        ways[name] = way
        ways[f"{name}, logged"] = way
    ways["fire_many, logged, collector paused"] = paused
    ways["python-statemachine"] = _statemachine_way(n)
    logged = {"fire, logged", "fire_many, logged", "fire_many, logged, collector paused"}
    got = interleaved(n, ways, repeats, logged)
    shared, added = got["transitions, shared machine"], got["transitions, added models"]
    raw, psm = max(shared, added), got["python-statemachine"]
    print(f"  raw transitions: shared machine {shared:,.0f}/s, {n:,} models added {added:,.0f}/s")
    print(f"  python-statemachine {psm:,.0f}/s (one instance per unit)")
    # The targets count the decision's log event: a host that listens, at its leanest
    # (orjson lines to /dev/null). Unheard, the library skips building the event.
    figure("fire, 5-rule gate, in memory", got["fire, logged"], "fires/s", raw, 0.8)
    figure("fire, 5-rule gate, unlogged", got["fire"], "fires/s", raw, 1.0)
    figure("fire_many, 5-rule gate, in memory", got["fire_many, logged"], "fires/s", raw, 3.0)
    figure("fire_many, 5-rule gate, unlogged", got["fire_many"], "fires/s", raw, None)
    # What a host that opts into pausing the collector (pause_gc=True) gets; not a headline.
    figure(
        "fire_many, logged, collector paused",
        got["fire_many, logged, collector paused"],
        "fires/s",
        raw,
        None,
    )
    # Issue 24's python-statemachine figures (2.4x logged, 9.6x unlogged before it) are
    # the batch's per unit; a single fire's are printed beside them.
    figure("fire_many vs python-statemachine, logged", got["fire_many, logged"], "fires/s", psm, 10.0)
    figure("fire_many vs python-statemachine, unlogged", got["fire_many"], "fires/s", psm, None)
    figure("fire vs python-statemachine, logged", got["fire, logged"], "fires/s", psm, None)
    figure("fire vs python-statemachine, unlogged", got["fire"], "fires/s", psm, None)


@contextlib.contextmanager
def listening(sink: BinaryIO) -> Iterator[None]:
    """structlog configured as a lean host would: JSON lines (orjson) to ``sink``, INFO and up.

    One sink for the whole benchmark; each configuration is a new one, which the
    library's cached logger follows (``run.audit``), as a host's would.
    """
    structlog.configure(
        processors=[structlog.processors.JSONRenderer(serializer=orjson.dumps)],
        logger_factory=structlog.BytesLoggerFactory(file=sink),
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        cache_logger_on_first_use=True,
    )
    try:
        yield
    finally:
        structlog.reset_defaults()


def _ours(url: str, units: list[str], batch: int) -> tuple[float, list[str]]:
    """Durable fires through campaignflow; returns the rate and the encoded steps."""
    c = cf.Campaign("bench-db")
    c.stages("a", "b")
    c.transition("go", "a", "b")
    actor = cf.Actor(id="bench")
    # A batch job owns its threads: it opts into pausing the collector (off by default).
    run = c.start(units, store=url, pause_gc=True)

    def ours() -> None:
        for i in range(0, len(units), batch):
            run.fire_many(units[i : i + batch], "go", by=actor)

    value = rate(len(units), ours)
    steps = [s for u in units[: min(batch, 1000)] for s in run.history(u)]
    return value, [canonical(step_to_dict(s)).decode() for s in steps]


def _rows(units: list[str], bodies: list[str], i: int, batch: int) -> list[tuple[str, str, str]]:
    digest = chain_hash("", b"")
    return [(units[j], bodies[j % len(bodies)], digest) for j in range(i, min(i + batch, len(units)))]


def bench_sqlite(batch: int, total: int) -> None:
    """Durable fires on SQLite vs raw sqlite3 WAL inserts of the same encoded rows."""
    units = [f"u{i}" for i in range(total)]
    with tempfile.TemporaryDirectory() as tmp:
        value, bodies = _ours(f"sqlite:///{Path(tmp) / 'bench.db'}", units, batch)
        db = sqlite3.connect(Path(tmp) / "raw.db", isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("CREATE TABLE steps (seq INTEGER PRIMARY KEY, unit TEXT, body TEXT, hash TEXT)")

        def raw() -> None:
            for i in range(0, total, batch):
                db.execute("BEGIN")
                db.executemany(
                    "INSERT INTO steps (unit, body, hash) VALUES (?, ?, ?)", _rows(units, bodies, i, batch)
                )
                db.execute("COMMIT")

        floor = rate(total, raw)
        db.close()
    target = 0.5 if batch >= 10_000 else None
    figure(f"durable fires on SQLite, batch {batch}", value, "steps/s", floor, target)


def bench_postgres(url: str, batch: int, total: int) -> None:
    """Durable fires on PostgreSQL vs raw psycopg executemany of the same encoded rows."""
    import psycopg  # noqa: PLC0415 - only with --pg
    import sqlalchemy as sa  # noqa: PLC0415

    # Every campaign's tables, the catalogue and the version table: a second run starts fresh.
    drop_schema(url)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS raw_steps")
    engine.dispose()
    units = [f"u{i}" for i in range(total)]
    value, bodies = _ours(url, units, batch)
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as db:
        db.execute("CREATE TABLE raw_steps (seq BIGSERIAL PRIMARY KEY, unit TEXT, body TEXT, hash TEXT)")
        db.commit()

        def raw() -> None:
            for i in range(0, total, batch):
                with db.cursor() as cur:
                    cur.executemany(
                        "INSERT INTO raw_steps (unit, body, hash) VALUES (%s, %s, %s)",
                        _rows(units, bodies, i, batch),
                    )
                db.commit()

        floor = rate(total, raw)
    target = 0.5 if batch >= 10_000 else None
    figure(f"durable fires on PostgreSQL, batch {batch}", value, "steps/s", floor, target)


def one_size(size: int) -> None:
    """Child process: load a national-shaped org of ``size`` units from CSV and start a run.

    Prints one JSON object: seconds, tracemalloc bytes and RSS growth per unit,
    and progress() of the root and of a township in milliseconds.
    """
    from org_load import write_units  # noqa: PLC0415 - a sibling script, only in the child

    levels = ("nation", "county", "township", "village")
    c = cf.Campaign("bench-start")
    c.stages("a", "b")
    c.transition("go", "a", "b")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "units.csv"
        units = write_units(path, size)
        gc.collect()
        base = rss_kib()
        start = time.perf_counter()
        org = cf.Org.from_csv(path, levels=levels)
        run = c.start(org)
        seconds = time.perf_counter() - start
        rss = (rss_kib() - base) * 1024
        start = time.perf_counter()
        run.progress()
        root_ms = (time.perf_counter() - start) * 1000
        township = next(u for u in org.units() if org.level(u) == "township")
        start = time.perf_counter()
        run.progress(township)
        township_ms = (time.perf_counter() - start) * 1000
        del org, run
        gc.collect()
        # Memory in a second pass: tracemalloc slows allocation down about twofold.
        tracemalloc.start()
        org = cf.Org.from_csv(path, levels=levels)
        run = c.start(org)
        traced = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        del org, run
    print(
        json.dumps(
            {
                "units": units,
                "seconds": seconds,
                "traced": traced / units,
                "rss": rss / units,
                "root_ms": root_ms,
                "township_ms": township_ms,
            }
        )
    )


def rss_kib() -> int:
    """Resident set size of this process now, in KiB (Linux), else the peak so far."""
    statm = Path("/proc/self/statm")
    if statm.exists():
        return int(statm.read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child(*args: str) -> dict[str, Any]:
    """Run this script in a fresh process with ``args``; its last output line, as JSON."""
    here = Path(__file__).resolve().parent
    # The child runs in benchmarks/: a relative PYTHONPATH (PYTHONPATH=src) would point nowhere
    # there and the child would quietly import another installed campaignflow.
    env = dict(os.environ)
    if paths := env.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.pathsep.join(str(Path(p).resolve()) for p in paths.split(os.pathsep))
    out = subprocess.run(  # noqa: S603 - our own script, with our own interpreter
        [sys.executable, str(here / "run.py"), *args],
        check=True,
        capture_output=True,
        text=True,
        cwd=here,
        env=env,
    )
    found: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return found


def bench_start(sizes: list[int]) -> None:
    """Load an org and start a run at doubling sizes, each in a fresh process."""
    previous: float | None = None
    for size in sizes:
        got = child("--one-size", str(size))
        units = got["units"]
        figure(f"load org + start run, {units:,} units", got["seconds"], "s", None, None, lower=True)
        if previous is not None:
            figure(
                f"  growth per doubling to {units:,} units",
                got["seconds"] / previous,
                "x",
                None,
                2.3,
                lower=True,
            )
        previous = got["seconds"]
        figure(f"  memory per unit, tracemalloc ({units:,})", got["traced"], "bytes", None, 1536, lower=True)
        figure(f"  memory per unit, RSS ({units:,})", got["rss"], "bytes", None, 1536, lower=True)
        figure(f"  progress() of the root ({units:,})", got["root_ms"], "ms", None, 50, lower=True)
        figure(f"  progress() of a township ({units:,})", got["township_ms"], "ms", None, 50, lower=True)


def bench_demo(scale: str) -> None:
    """``campaignflow demo --scale SCALE`` on SQLite: wall time and peak RSS of the child."""
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        demo = subprocess.Popen(  # noqa: S603 - our own CLI, with our own interpreter
            [
                sys.executable,
                "-c",
                "from campaignflow.cli import main; main()",
                "demo",
                "--scale",
                scale,
                "--db",
                str(Path(tmp) / "d.db"),
            ],
            stdout=subprocess.DEVNULL,
        )
        # This child's own peak: RUSAGE_CHILDREN would report the largest of every child so far.
        _, status, usage = os.wait4(demo.pid, 0)
        seconds = time.perf_counter() - start
        demo.returncode = os.waitstatus_to_exitcode(status)
        if demo.returncode:
            raise subprocess.CalledProcessError(demo.returncode, demo.args)
    peak = usage.ru_maxrss / 1024
    limit = {"national": 600, "province": 60}.get(scale)
    figure(f"campaignflow demo --scale {scale}", seconds, "s", None, limit, lower=True)
    memory = 4096 if scale == "national" else None
    figure(f"  peak RSS of the demo ({scale})", peak, "MiB", None, memory, lower=True)


def one_demo_org(scale: str) -> None:
    """Child process: build the demo's org of ``scale`` (three leaders per unit, supervision
    groups) and start the mass-line campaign over it; print seconds and RSS as JSON."""
    from campaignflow.presets.mass_line import campaign  # noqa: PLC0415 - only in the child
    from campaignflow.presets.scaled import scaled_org  # noqa: PLC0415

    base = rss_kib()
    start = time.perf_counter()
    org = scaled_org(scale)
    campaign().start(org)
    seconds = time.perf_counter() - start
    grown = (rss_kib() - base) * 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"units": len(org), "seconds": seconds, "rss": grown, "peak": peak}))


def bench_demo_org(scale: str) -> None:
    """The demo's org with its people, built and started in a fresh process: the demo's memory floor."""
    got = child("--one-demo-org", scale)
    units = got["units"]
    national = scale == "national"  # issue 24's bounds are the national org's
    figure(
        f"demo org + start ({scale}, {units:,} units)",
        got["seconds"],
        "s",
        None,
        30 if national else None,
        lower=True,
    )
    figure(f"  its RSS per unit ({scale})", got["rss"] / units, "bytes", None, 2048, lower=True)
    figure(
        f"  peak RSS while building ({scale})",
        got["peak"] / 2**20,
        "MiB",
        None,
        2560 if national else None,
        lower=True,
    )


def check(gaps_path: Path) -> int:
    """Exit status for CI: 1 when a figure falls below half its target (or, for a gap
    recorded in ``gaps_path``, below half the ratio measured when it was recorded)."""
    gaps = json.loads(gaps_path.read_text(encoding="utf-8")) if gaps_path.exists() else {}
    failed = []
    for r in RESULTS:
        if r["target"] is None or r["met"] is None:
            continue
        if r["lower_is_better"]:
            if r["value"] > 2 * r["target"]:
                failed.append(f"{r['name']}: {r['value']:.1f} {r['unit']} > 2 x {r['target']:g}")
            continue
        gap = gaps.get(r["name"])
        floor = gap["ratio"] / 2 if gap else r["target"] / 2
        if r["ratio"] < floor:
            why = f"half the recorded gap {gap['ratio']:.2f}x" if gap else f"half the target {r['target']:g}x"
            failed.append(f"{r['name']}: {r['ratio']:.2f}x < {floor:.2f}x ({why})")
    for line in failed:
        print(f"REGRESSION {line}")
    return 1 if failed else 0


def main() -> None:
    """Run the benchmarks and print the table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="smaller sizes (under a minute)")
    parser.add_argument("--json", type=Path, help="write the figures as JSON objects to FILE")
    parser.add_argument(
        "--pg", metavar="URL", help="also measure PostgreSQL at this SQLAlchemy URL (its tables are dropped)"
    )
    parser.add_argument(
        "--demo", choices=["county", "province", "national"], help="also time `campaignflow demo --scale`"
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 when a ratio falls below half its target (known gaps: benchmarks/gaps.json)",
    )
    parser.add_argument(
        "--only", choices=["fire", "durable", "start"], help="measure one group of figures only"
    )
    parser.add_argument(
        "--demo-org",
        choices=["province", "national"],
        help="also build the demo's org of SCALE with its people and start the campaign (RSS)",
    )
    parser.add_argument("--one-size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--one-demo-org", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one_size:
        one_size(args.one_size)
        return
    if args.one_demo_org:
        one_demo_org(args.one_demo_org)
        return
    n = 2_000 if args.quick else 10_000
    print(f"campaignflow {cf.__version__}, pid {os.getpid()}, quick={args.quick}")
    wanted = {args.only} if args.only else {"fire", "durable", "start"}
    if "fire" in wanted:
        bench_fire(n)
    for batch in (1, 100, 10_000) if "durable" in wanted else ():
        bench_sqlite(batch, min(n, 500) if batch == 1 else (n if batch < 10_000 else 10_000))
        if args.pg:
            bench_postgres(args.pg, batch, min(n, 500) if batch == 1 else (n if batch < 10_000 else 10_000))
    if "start" in wanted:
        bench_start([40_000, 80_000] if args.quick else [80_000, 160_000, 320_000, 640_000])
    if args.demo_org:
        bench_demo_org(args.demo_org)
    if args.demo:
        bench_demo(args.demo)
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")
    if args.json:
        args.json.write_text("\n".join(json.dumps(r) for r in RESULTS) + "\n", encoding="utf-8")
    if args.check:
        sys.exit(check(Path(__file__).resolve().parent / "gaps.json"))


if __name__ == "__main__":
    main()
