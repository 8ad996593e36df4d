"""A Flask app where clerks record evidence and fire events: many processes, one database.

The pattern is safe on SQLite and PostgreSQL, under ``gunicorn -w 4`` with or
without ``--preload``:

- **One transaction per request, on the request's own connection.** The run
  is opened on it, the campaign's step and the app's own row (a note in
  ``clerk_notes``) are written in it: both land or neither does.
- **Lost races are retried** with ``cf.retry``: a losing attempt leaves
  nothing behind (the store writes in a savepoint and checks versions before
  inserting; SQLite's write lock is taken first), so the retry is clean.
- **Refusals are kept**: a closed gate or a denied permission rolls the
  request back, but the store committed the refusal on its own connection
  first; the error carries its ``seq``.
- **One engine per process.** ``--preload`` builds the app in the master and
  forks the workers: the engine's pool must not cross the fork, so the child
  disposes what it inherited (``engine.dispose(close=False)``, as SQLAlchemy
  documents for multiprocessing; campaignflow does the same for every engine
  its stores used).
- **Idempotent writes.** A client that may send a request twice (a timeout,
  a double click) sends an ``Idempotency-Key`` header; the app passes it as
  ``key=``: a repeat gets the first response (the same step, marked
  ``Idempotent-Replayed: true``) and writes neither a second step nor a
  second note, whichever worker it reaches. The same key on another
  request is 422 (``KeyReused``).
- **Each library error is an HTTP status**: 409 for a race still lost after
  the retries or an event the unit's stage does not allow, 422 for a closed
  gate (with the verdict), 403 for a denial, 404 for an unknown unit or
  event, 400 for bad evidence, 503 for the store.

Run (the database is created once, before the workers start)::

    pip install -e '.[web]'
    export CF_WEBAPP_DB=sqlite:///webapp.db        # or postgresql+psycopg://...
    python examples/webapp/app.py init
    gunicorn -w 4 --preload --chdir examples/webapp 'app:create_app()'

``benchmarks/webapp_load.py`` drives it with 16 clients and audits the log.
"""

from __future__ import annotations

import os
import sys
import weakref
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Flask, Response, g, jsonify, request

import campaignflow as cf
from campaignflow.presets import safety
from campaignflow.store import SQLStore

UNITS = ["plant-1", "plant-2"]
notes = sa.Table(
    "clerk_notes",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("unit", sa.String(100)),
    sa.Column("text", sa.Text),
    sa.Column("seq", sa.BigInteger, unique=True),  # the step the note goes with
)
# Most specific first: ConcurrentUpdate is a StoreError.
STATUS: list[tuple[type[cf.CampaignflowError], int]] = [
    (cf.ConcurrentUpdate, 409),
    (cf.InvalidTransition, 409),
    (cf.GateClosed, 422),
    (cf.KeyReused, 422),
    (cf.PermissionDenied, 403),
    (cf.UnknownUnit, 404),
    (cf.UnknownEvent, 404),
    (cf.StoreError, 503),
    (cf.CampaignflowError, 400),
]


def units_from_env() -> list[str]:
    """The org's units: ``CF_WEBAPP_UNITS=N`` makes N sites, else the two plants."""
    n = int(os.environ.get("CF_WEBAPP_UNITS", "0"))
    return [f"site-{i:04d}" for i in range(1, n + 1)] if n else list(UNITS)


def make_engine(url: str) -> sa.Engine:
    """The app's engine: one per process (disposed in forked children), WAL on SQLite."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 60})

        @sa.event.listens_for(engine, "connect")
        def _wal(dbapi: Any, _: Any) -> None:
            # Readers never wait for the writer; writers queue on the lock (busy timeout).
            cur = dbapi.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=60000")
            cur.close()
    else:
        engine = sa.create_engine(url, pool_size=8, max_overflow=8)
    _ENGINES.add(engine)
    return engine


_ENGINES: weakref.WeakSet[sa.Engine] = weakref.WeakSet()


def _forget_inherited_pools() -> None:
    # gunicorn --preload forks after building the app: a child must not use the master's pool.
    for engine in list(_ENGINES):
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_forget_inherited_pools)


def init(url: str, units: list[str] | None = None) -> None:
    """Create the app's table and start the campaign (once, before the workers start)."""
    engine = make_engine(url)
    notes.metadata.create_all(engine)
    campaign = safety.campaign()
    types = campaign.build().evidence_types
    with engine.begin() as conn:
        try:
            campaign.open(units or units_from_env(), SQLStore(conn, evidence_types=types))
        except cf.StoreError:
            campaign.start(units or units_from_env(), store=SQLStore(conn, evidence_types=types))
    engine.dispose()


def error_body(exc: cf.CampaignflowError) -> dict[str, object]:
    """The JSON body of an error: its message, its kind, and what a refusal carries."""
    body: dict[str, object] = {"error": str(exc), "kind": type(exc).__name__}
    if isinstance(exc, cf.GateClosed):
        body |= {"verdict": exc.verdict.to_dict(), "seq": exc.seq, "kept": exc.kept, "at": exc.at}
    elif isinstance(exc, cf.PermissionDenied):
        body |= {"seq": exc.seq, "kept": exc.kept, "actor": exc.actor, "action": exc.action}
    return body


class Backend:
    """What every request needs: the process's engine and the campaign over the org."""

    def __init__(self, url: str, units: list[str]) -> None:
        self.engine = make_engine(url)
        self.org = cf.Org.from_units(units)  # built once per process, not per request
        self.campaign = safety.campaign()
        self.types = self.campaign.build().evidence_types

    def run_on(self, conn: sa.Connection) -> cf.Run:
        """The run, opened on the request's connection (reads the projection only)."""
        return self.campaign.open(self.org, SQLStore(conn, evidence_types=self.types))

    def write(self, unit: str, note: str, work: Callable[[cf.Run, str | None], cf.Step]) -> cf.Step:
        """One request's write: the step (retried on a lost race) and the note, one transaction.

        ``work`` gets the run and the request's ``Idempotency-Key`` (or None). A
        repeated key returns the step the first request wrote; that request
        committed its note with it, so the note is written only for a new step.
        """
        key = request.headers.get("Idempotency-Key")
        with self.engine.begin() as conn:
            run = self.run_on(conn)
            step = cf.retry(run, lambda: work(run, key), attempts=8)
            noted = (
                key is not None and conn.execute(sa.select(notes.c.id).where(notes.c.seq == step.seq)).first()
            )
            if not noted:
                conn.execute(notes.insert().values(unit=unit, text=note, seq=step.seq))
            _maybe_fail(request.get_json(silent=True) or {})
        g.replayed = bool(noted)
        return step


def clerk() -> cf.Actor:
    """The acting clerk, from the request body (a real app takes it from its login)."""
    body = request.get_json(silent=True) or {}
    return cf.Actor(id=str(body.get("clerk", "")), roles={"secretary", "inspector"})


def create_app(url: str | None = None, units: list[str] | None = None) -> Flask:
    """The app over the database at ``url`` (default ``$CF_WEBAPP_DB``, else ``webapp.db``)."""
    url = url or os.environ.get("CF_WEBAPP_DB", "sqlite:///webapp.db")
    units = units or units_from_env()
    init(url, units)  # a no-op once the campaign exists
    app = Flask(__name__)
    backend = Backend(url, units)
    _writes(app, backend)
    _reads(app, backend)

    @app.after_request
    def mark_replay(response: Response) -> Response:
        if g.get("replayed"):
            response.headers["Idempotent-Replayed"] = "true"
        return response

    @app.errorhandler(cf.CampaignflowError)
    def refused(exc: cf.CampaignflowError) -> tuple[Response, int]:
        status = next(code for kind, code in STATUS if isinstance(exc, kind))
        return jsonify(error_body(exc)), status

    @app.errorhandler(RuntimeError)
    def failed(exc: RuntimeError) -> tuple[Response, int]:
        return jsonify({"error": str(exc), "kind": "RuntimeError"}), 500

    return app


def _writes(app: Flask, backend: Backend) -> None:
    @app.post("/units/<unit>/evidence/<kind>")
    def record(unit: str, kind: str) -> tuple[object, int]:
        body = request.get_json(force=True)
        actor = clerk()

        def work(run: cf.Run, key: str | None) -> cf.Step:
            return run.record(unit, run.evidence_from(kind, body.get("value"), unit=unit), by=actor, key=key)

        step = backend.write(unit, str(body.get("note", "")), work)
        return {"seq": step.seq, "unit": unit, "kind": step.kind.value}, 201

    @app.post("/units/<unit>/briefing")
    def briefing(unit: str) -> tuple[object, int]:
        body = request.get_json(force=True)
        actor = clerk()
        value = safety.Briefing(attendees=int(body["attendees"]))
        step = backend.write(
            unit, str(body.get("note", "")), lambda run, key: run.record(unit, value, by=actor, key=key)
        )
        return {"seq": step.seq}, 201

    @app.post("/units/<unit>/fire/<event>")
    def fire(unit: str, event: str) -> tuple[object, int]:
        actor = clerk()
        step = backend.write(
            unit, f"fired {event}", lambda run, key: run.fire(unit, event, by=actor, key=key)
        )
        return {"seq": step.seq, "unit": unit, "kind": step.kind.value, "stage": step.dest}, 201

    @app.post("/units/<unit>/send_back/<stage>")
    def send_back(unit: str, stage: str) -> tuple[object, int]:
        body = request.get_json(force=True)
        actor = clerk()
        reason = str(body.get("reason", ""))
        step = backend.write(
            unit, reason, lambda run, key: run.send_back(unit, stage, reason=reason, by=actor, key=key)
        )
        return {"seq": step.seq, "unit": unit, "kind": step.kind.value, "stage": step.dest}, 201


def _reads(app: Flask, backend: Backend) -> None:
    @app.get("/units/<unit>")
    def state(unit: str) -> tuple[object, int]:
        with backend.engine.connect() as conn:
            return jsonify(backend.run_on(conn).state(unit).to_dict()), 200

    @app.get("/units/<unit>/verdict/<event>")
    def verdict(unit: str, event: str) -> tuple[object, int]:
        with backend.engine.connect() as conn:
            found = backend.run_on(conn).check(unit, event)
        return jsonify(found.to_dict() | {"explain": found.explain()}), 200

    @app.get("/progress")
    def progress() -> tuple[object, int]:
        with backend.engine.connect() as conn:
            return jsonify(backend.run_on(conn).progress().to_dict()), 200


def _maybe_fail(body: dict[str, object]) -> None:
    """Simulate the app failing after both writes (for the demonstration and its test)."""
    if body.get("fail_after_write"):
        msg = "the app failed after writing: nothing may remain"
        raise RuntimeError(msg)


if __name__ == "__main__":
    if sys.argv[1:] == ["init"]:
        init(os.environ.get("CF_WEBAPP_DB", "sqlite:///webapp.db"))
    else:
        create_app().run(debug=False)
