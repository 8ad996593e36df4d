"""Load test: the example web app under gunicorn, many clients, then an audit of the log.

Run by hand (bounded in requests and seconds, loopback only)::

    pip install -e '.[web,test]'
    python benchmarks/webapp_load.py --db sqlite
    python benchmarks/webapp_load.py --db sqlite --preload
    python benchmarks/webapp_load.py --db postgresql                  # a throwaway server (scripts/pg.sh)
    python benchmarks/webapp_load.py --db postgresql --url postgresql+psycopg://u@host/db --preload

Starts ``examples/webapp/app.py`` under ``gunicorn -w 4`` (``--preload``: the
app is built in the master, then forked) on 127.0.0.1, drives it with 16
client threads (records through the JSON converter, fires, send-backs, state,
verdict and progress reads) and prints requests/s and p50/p95/p99 latency per
kind. Then it audits the database: every write a client was told succeeded
(201, or a refusal with its seq) is in the log once, as the step it was told
of, and the log holds nothing else (0 lost, 0 duplicated); every acknowledged
write has its note (the app's row, same transaction); ``verify`` replays the
log to the projection; progress equals a recount.

Every write carries an ``Idempotency-Key``; a share of them (``--resend``,
default 0.1) is sent twice at once, from two threads, so the two copies race
through different workers: both must get the same answer (the same step's
seq), and the log must hold the step once with one note.
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from types import ModuleType
from typing import Any

import sqlalchemy as sa

from campaignflow.store import SQLStore, drop_schema

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "examples" / "webapp" / "app.py"
WRITES = {"record": "record", "fire": "fire", "send_back": "send_back"}


def load_app() -> ModuleType:
    """The example app's module (for init and its campaign)."""
    spec = importlib.util.spec_from_file_location("webapp_app", APP)
    assert spec is not None  # noqa: S101 - a file we ship
    assert spec.loader is not None  # noqa: S101
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def reset(url: str) -> None:
    """Drop campaignflow's tables and the app's from the database at ``url``."""
    drop_schema(url)  # every campaign's tables, the catalogue and the version table
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS clerk_notes")
    engine.dispose()


def request(
    port: int, method: str, path: str, body: dict[str, Any] | None, key: str | None = None
) -> tuple[int, dict[str, Any]]:
    """One HTTP request on a fresh loopback connection; the status and the JSON body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        payload = None if body is None else json.dumps(body)
        headers = {} if body is None else {"Content-Type": "application/json"}
        if key is not None:
            headers["Idempotency-Key"] = key
        conn.request(method, path, body=payload, headers=headers)
        response = conn.getresponse()
        data = response.read()
        try:
            parsed = json.loads(data) if data else {}
        except ValueError:
            parsed = {"raw": data[:200].decode(errors="replace")}
        return response.status, parsed
    finally:
        conn.close()


def next_request(rng: random.Random, units: list[str]) -> tuple[str, str, str, dict[str, Any] | None]:
    """A random request: (kind, method, path, body), writes and reads mixed."""
    unit = rng.choice(units)
    who = {"clerk": f"clerk-{rng.randrange(50)}"}
    roll = rng.random()
    if roll < 0.45:
        kind, value = rng.choice(
            [
                ("Briefing", {"attendees": rng.randrange(1, 40)}),
                ("Inspection", {"hours": rng.choice([1.5, 2.0, 2.5]), "inspector": "王"}),
                ("Exit", {"location": rng.choice(["east", "west"]), "blocked": rng.random() < 0.2}),
                ("SignOff", {"note": "ok"}),
                ("Hazard", {"description": "wiring", "fixed": rng.random() < 0.7}),
            ]
        )
        return "record", "POST", f"/units/{unit}/evidence/{kind}", who | {"value": value, "note": kind}
    if roll < 0.65:
        event = rng.choice(["start", "approve", "close"])
        return "fire", "POST", f"/units/{unit}/fire/{event}", who
    if roll < 0.70:
        return "send_back", "POST", f"/units/{unit}/send_back/inspect", who | {"reason": "redo the rounds"}
    if roll < 0.85:
        return "state", "GET", f"/units/{unit}", None
    if roll < 0.97:
        return "verdict", "GET", f"/units/{unit}/verdict/{rng.choice(['start', 'approve'])}", None
    return "progress", "GET", "/progress", None


class Results:
    """What the clients saw, shared between their threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.status: dict[str, Counter[str]] = defaultdict(Counter)  # "409 InvalidTransition"
        self.acked: list[tuple[int, str, str]] = []  # (seq, unit, step kind) the clients were told of
        self.notes = 0  # acknowledged writes (each wrote a note)
        self.unknown = 0  # responses that leave the outcome unknown (5xx, transport errors)
        self.repeats = 0  # writes sent twice at once with one key
        self.mismatched = 0  # of those, pairs whose answers name different steps

    def pair(self, first: tuple[int, dict[str, Any]], second: tuple[int, dict[str, Any]]) -> None:
        """Compare the answers to one request sent twice with its key."""
        with self.lock:
            self.repeats += 1
            if second[0] >= 500:
                self.unknown += 1
            elif first[1].get("seq") is not None or second[1].get("seq") is not None:
                # A written step (or a kept refusal) is the answer to both copies.
                self.mismatched += (first[0], first[1].get("seq")) != (second[0], second[1].get("seq"))

    def add(self, kind: str, status: int, seconds: float, path: str, body: dict[str, Any]) -> None:
        """Count one response; remember what it acknowledged."""
        with self.lock:
            self.latency[kind].append(seconds)
            error = body.get("kind") if status >= 400 else None
            self.status[kind][f"{status} {error}" if error else str(status)] += 1
            unit = path.split("/")[2] if path.startswith("/units/") else ""
            if status == 201:
                self.acked.append((int(body["seq"]), unit, WRITES[kind]))
                self.notes += 1
            elif status in {403, 422} and body.get("seq") is not None:
                # A refusal the store committed apart (kept) is in the log; one written into
                # the rolled-back request is not, and the client was told so (kept=False).
                if body.get("kept"):
                    self.acked.append((int(body["seq"]), unit, "deny"))
            elif status >= 500:
                self.unknown += 1


def twice(
    port: int, method: str, path: str, body: dict[str, Any] | None, key: str
) -> list[tuple[int, dict[str, Any]]]:
    """The same request sent at once from two threads (a client retrying while its first try runs)."""
    answers: list[tuple[int, dict[str, Any]]] = [(0, {}), (0, {})]

    def send(i: int) -> None:
        try:
            answers[i] = request(port, method, path, body, key)
        except (OSError, http.client.HTTPException):
            answers[i] = (599, {})

    threads = [threading.Thread(target=send, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


def drive(
    port: int, units: list[str], clients: int, total: int, seconds: float, *, resend: float = 0.0
) -> tuple[Results, float]:
    """Run ``clients`` threads until ``total`` requests or ``seconds`` passed; the results and time."""
    results = Results()
    counter = iter(range(total))
    counter_lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(seed: int) -> None:
        rng = random.Random(seed)
        while time.monotonic() < deadline:
            with counter_lock:
                if next(counter, None) is None:
                    return
            kind, method, path, body = next_request(rng, units)
            key = f"{seed}-{rng.getrandbits(64):016x}" if method == "POST" else None
            began = time.perf_counter()
            if key is not None and rng.random() < resend:
                first, second = twice(port, method, path, body, key)
                results.add(kind, first[0], time.perf_counter() - began, path, first[1])
                results.pair(first, second)
                continue
            try:
                status, data = request(port, method, path, body, key)
            except (OSError, http.client.HTTPException):
                with results.lock:
                    results.unknown += 1
                continue
            results.add(kind, status, time.perf_counter() - began, path, data)

    threads = [threading.Thread(target=client, args=(seed,)) for seed in range(clients)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, time.perf_counter() - began


def percentile(values: list[float], p: float) -> float:
    """The ``p``-th percentile (nearest rank) of ``values``, in milliseconds."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank] * 1000


def audit(app: ModuleType, url: str, units: list[str], results: Results) -> dict[str, Any]:
    """Compare what the clients were told with what the database holds."""
    campaign = app.safety.campaign()
    types = campaign.build().evidence_types
    store = SQLStore(url, evidence_types=types)
    logged = {s.seq: (s.unit, s.kind.value) for s in store.steps()}
    told = Counter(seq for seq, _, _ in results.acked)
    duplicated_acks = sum(n - 1 for n in told.values() if n > 1)
    lost = [seq for seq, unit, kind in results.acked if logged.get(seq) != (unit, kind)]
    unacknowledged = sorted(set(logged) - set(told))
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        notes = conn.exec_driver_sql("SELECT count(*) FROM clerk_notes").scalar()
    engine.dispose()
    run = campaign.open(units, store)
    report = campaign.verify(units, store)
    return {
        "steps": len(logged),
        "acknowledged": len(results.acked),
        "lost": len(lost),
        "duplicated": duplicated_acks + len(unacknowledged),
        "notes": notes,
        "acknowledged_writes": results.notes,
        "verify_ok": report.ok,
        "verify_problem": report.problem,
        "progress_equals_recount": run.progress().counts() == run.recount().counts(),
        "unknown_outcomes": results.unknown,
        "sent_twice": results.repeats,
        "twice_answered_differently": results.mismatched,
    }


def pg_script(action: str, data: Path) -> subprocess.CompletedProcess[str]:
    """Run ``scripts/pg.sh action data`` (a throwaway PostgreSQL server)."""
    command = ["/bin/bash", str(ROOT / "scripts" / "pg.sh"), action, str(data)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - ours
    if action == "start" and done.returncode != 0:
        msg = f"PostgreSQL did not start: {done.stderr.strip()[-500:]}"
        raise SystemExit(msg)
    return done


def wait_ready(port: int, proc: subprocess.Popen[bytes], seconds: float = 60) -> None:
    """Poll the app until it answers (a benchmark's start-up, not a test)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            msg = f"gunicorn exited with {proc.returncode}"
            raise SystemExit(msg)
        try:
            if request(port, "GET", "/progress", None)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    msg = "the app did not answer within a minute"
    raise SystemExit(msg)


def main() -> None:
    """Set up the database, start gunicorn, drive it, stop it, audit and report."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--url", help="a PostgreSQL URL (default: start a throwaway server)")
    parser.add_argument(
        "--preload", action="store_true", help="gunicorn --preload (build the app, then fork)"
    )
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--units", type=int, default=362, help="sites in the org (Zhongmou's count)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--resend", type=float, default=0.1, help="share of writes sent twice at once with their key"
    )
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="cf-webload-", dir="/tmp"))
    pg_data = None
    if args.db == "sqlite":
        url = f"sqlite:///{workdir / 'webapp.db'}"
    elif args.url:
        url = args.url
    else:
        # Its own directory under /tmp: the server's user must reach it (scripts/pg.sh chowns it).
        pg_data = Path(tempfile.mkdtemp(prefix="cf-webload-pg-", dir="/tmp"))
        url = pg_script("start", pg_data).stdout.strip().splitlines()[-1]
    try:
        reset(url)
        app = load_app()
        units = [f"site-{i:04d}" for i in range(1, args.units + 1)]
        app.init(url, units)
        port = free_port()
        command = [sys.executable, "-m", "gunicorn", "-w", str(args.workers), "-b", f"127.0.0.1:{port}"]
        command += ["--chdir", str(APP.parent), "--log-level", "warning", "--timeout", "120"]
        command += ["--preload"] if args.preload else []
        env = {
            "CF_WEBAPP_DB": url,
            "CF_WEBAPP_UNITS": str(args.units),
            "PATH": str(Path(sys.executable).parent),
            # The workers import the campaignflow this script runs with (a checkout's src/ first).
            "PYTHONPATH": os.pathsep.join(sys.path),
        }
        proc = subprocess.Popen([*command, "app:create_app()"], env=env)  # noqa: S603 - our own command line
        try:
            wait_ready(port, proc)
            random.seed(args.seed)
            results, elapsed = drive(
                port, units, args.clients, args.requests, args.seconds, resend=args.resend
            )
        finally:
            proc.terminate()
            proc.wait(timeout=60)
        found = audit(app, url, units, results)
    finally:
        if pg_data is not None:
            pg_script("stop", pg_data)
    done = sum(len(v) for v in results.latency.values())
    mode = f"{args.db}, {args.workers} workers{', --preload' if args.preload else ''}, {args.clients} clients"
    print(f"{mode}: {done} requests in {elapsed:.1f} s = {done / elapsed:.0f} req/s")
    print(f"{'kind':<10} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  statuses")
    for kind in sorted(results.latency):
        values = results.latency[kind]
        statuses = " ".join(f"{code}:{n}" for code, n in sorted(results.status[kind].items()))
        print(
            f"{kind:<10} {len(values):>6} {percentile(values, 50):>8.1f} {percentile(values, 95):>8.1f} "
            f"{percentile(values, 99):>8.1f}  {statuses}"
        )
    print("audit:", json.dumps(found))
    clean = (
        found["lost"] == 0
        and found["duplicated"] == 0
        and found["verify_ok"]
        and found["progress_equals_recount"]
        and found["notes"] == found["acknowledged_writes"]
        and found["unknown_outcomes"] == 0
        and found["twice_answered_differently"] == 0
    )
    print("audit clean" if clean else "AUDIT FAILED")
    sys.exit(0 if clean else 1)


if __name__ == "__main__":
    main()
