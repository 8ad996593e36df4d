"""A small Flask app where a clerk records evidence and sees verdicts.

Each request writes the campaign's step and the app's own row (a note in the
``clerk_notes`` table) in ONE SQLite transaction: both land or neither does.

Run:  pip install flask && python examples/webapp/app.py   (then open http://127.0.0.1:5000/)
"""

from __future__ import annotations

import contextlib

import sqlalchemy as sa
from flask import Flask, jsonify, request

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
)


def _maybe_fail(body: dict[str, object]) -> None:
    """Simulate the app failing after both writes (for the demonstration and its test)."""
    if body.get("fail_after_write"):
        msg = "the app failed after writing: nothing may remain"
        raise RuntimeError(msg)


def create_app(url: str = "sqlite:///webapp.db") -> Flask:
    """The app, with its campaign run and its own table in the database at ``url``."""
    app = Flask(__name__)
    engine = sa.create_engine(url)
    notes.metadata.create_all(engine)
    campaign = safety.campaign()
    with engine.begin() as conn:
        store = SQLStore(conn, evidence_types=campaign.build().evidence_types)
        with contextlib.suppress(cf.StoreError):  # already started: each request opens it
            campaign.start(UNITS, store=store)

    def run_on(conn: sa.Connection) -> cf.Run:
        return campaign.open(UNITS, SQLStore(conn, evidence_types=campaign.build().evidence_types))

    @app.post("/units/<unit>/briefing")
    def briefing(unit: str) -> tuple[object, int]:
        body = request.get_json(force=True)
        clerk = cf.Actor(id=str(body.get("clerk", "")), roles={"secretary"})
        try:
            with engine.begin() as conn:  # one transaction: the step and the note
                run = run_on(conn)
                step = run.record(unit, safety.Briefing(attendees=int(body["attendees"])), by=clerk)
                conn.execute(notes.insert().values(unit=unit, text=str(body.get("note", ""))))
                _maybe_fail(body)
        except cf.CampaignflowError as exc:
            return {"error": str(exc)}, 400
        except RuntimeError as exc:
            return {"error": str(exc)}, 500
        return {"seq": step.seq}, 201

    @app.get("/units/<unit>/verdict/<event>")
    def verdict(unit: str, event: str) -> tuple[object, int]:
        with engine.connect() as conn:
            try:
                found = run_on(conn).check(unit, event)
            except cf.CampaignflowError as exc:
                return {"error": str(exc)}, 400
        return jsonify(found.to_dict() | {"explain": found.explain()}), 200

    return app


if __name__ == "__main__":
    create_app().run(debug=False)
