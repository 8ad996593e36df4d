"""Audit: tampering with a stored log is caught at the right seq; denials hold for any actor."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

import campaignflow as cf
from campaignflow.presets import safety
from campaignflow.testing import strategies as cst

CLERK = cf.Actor(id="li", roles={"secretary", "inspector"})


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A SQLite file, or the PostgreSQL server's database emptied (CI=true starts one)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'audit.db'}"
    return str(request.getfixturevalue("pg_fresh"))


def _store(url: str) -> tuple[cf.Campaign, str, cf.Run]:
    c = safety.campaign()
    run = c.start(["s1", "s2"], store=url, clock=cf.FixedClock(step=timedelta(hours=1)), ids=cf.CountingIds())
    run.record("s1", safety.Briefing(attendees=3), by=CLERK)
    run.record("s2", safety.Briefing(attendees=4), by=CLERK)
    run.fire("s1", "start", by=CLERK)
    run.record("s1", safety.Inspection(hours=1), by=CLERK)
    run.record("s1", safety.Inspection(hours=2), by=CLERK)
    return c, url, run


def _sql(url: str, statement: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(statement)
    engine.dispose()


# Each tamper kind: what is done to the stored log, and where verify must say it broke.
TAMPERS = [
    pytest.param(
        ["UPDATE cf_steps SET body = replace(body, '\"li\"', '\"wang\"') WHERE seq = 4"],
        None,
        4,
        "",
        id="edited step, named by its seq",
    ),
    pytest.param(
        ["DELETE FROM cf_steps WHERE seq = 3"],
        None,
        4,
        "",
        id="deleted step, caught at its unit's next step",
    ),
    pytest.param(
        [
            "UPDATE cf_steps SET seq = 99 WHERE seq = 4",
            "UPDATE cf_steps SET seq = 4 WHERE seq = 5",
            "UPDATE cf_steps SET seq = 5 WHERE seq = 99",
        ],
        None,
        4,
        "",
        id="two steps of one unit swapped, caught at the first",
    ),
    pytest.param(
        [
            (
                "INSERT INTO cf_steps (seq, unit, kind, body, prev_hash, hash) "
                "SELECT 50, unit, kind, body, prev_hash, hash FROM cf_steps WHERE seq = 4"
            )
        ],
        None,
        50,
        "",
        id="copied-in step, off its unit's chain",
    ),
    pytest.param(
        ["DELETE FROM cf_steps WHERE seq = 5"],
        None,
        5,
        "steps up to it were removed",
        id="log's last step cut, caught by its checkpoint",
    ),
    pytest.param(
        [
            "DELETE FROM cf_steps WHERE unit = 's2'",
            "DELETE FROM cf_units WHERE unit = 's2'",
            "DELETE FROM cf_evidence WHERE unit = 's2'",
        ],
        "s2",
        2,
        "cut short",
        id="a unit's whole chain and projection removed, named by the checkpoint",
    ),
    pytest.param(
        ["UPDATE cf_checkpoints SET heads = '[]' WHERE last_seq = 2"],
        None,
        2,
        "checkpoint 2 was altered",
        id="checkpoint edited to match a forged log",
    ),
]


class TestTampering:
    @pytest.mark.parametrize(("statements", "unit", "seq", "problem"), TAMPERS)
    def test_tamper_is_caught_where_it_happened(
        self, target: str, statements: list[str], unit: str | None, seq: int, problem: str
    ) -> None:
        """Each way of editing the stored log fails verify at the seq (and unit) where it was done."""
        c, url, _ = _store(target)
        assert c.verify(["s1", "s2"], url).ok
        for statement in statements:
            _sql(url, statement)
        report = c.verify(["s1", "s2"], url)
        assert (report.ok, report.seq) == (False, seq)
        if unit is not None:
            assert report.unit == unit
        assert problem in report.problem

    def test_checkpoints_are_read_in_pages_and_checked_in_order(self, tmp_path: Path) -> None:
        """Past one page of checkpoints, each is still read once, in order, and checked."""
        c = safety.campaign()
        url = f"sqlite:///{tmp_path / 'pages.db'}"
        run = c.start(["s1", "s2"], store=url)
        for n in range(150):  # one checkpoint per write: more than two pages
            run.record("s1" if n % 2 else "s2", safety.Briefing(attendees=n + 1), by=CLERK)
        points = list(run.store.checkpoints())
        assert [p.last_seq for p in points] == sorted({p.last_seq for p in points})
        assert len(points) == 150
        assert c.verify(["s1", "s2"], url).ok
        _sql(url, "UPDATE cf_checkpoints SET heads = '[]' WHERE last_seq = 140")
        report = c.verify(["s1", "s2"], url)
        assert (report.ok, report.seq) == (False, 140)


class TestWhyBlocked:
    def test_the_log_says_why_a_unit_was_blocked_that_day(self) -> None:
        """blocked_on answers from the history: blocked after a refusal, not after the move."""
        clock = cf.FixedClock(start=datetime(2014, 3, 1, tzinfo=UTC), step=timedelta(days=1))
        run = safety.campaign().start(["s1"], clock=clock)
        with pytest.raises(cf.GateClosed):
            run.fire("s1", "start", by=CLERK)
        run.record("s1", safety.Briefing(attendees=3), by=CLERK)
        run.fire("s1", "start", by=CLERK)
        refused_on = run.history("s1")[0].at
        blocked = run.blocked_on("s1", refused_on)
        assert blocked is not None
        assert blocked.reasons == ("召开动员会: 0 of 1 Briefing recorded (1 missing)",)
        assert run.blocked_on("s1", datetime(2015, 1, 1, tzinfo=UTC)) is None


ROLES = ("secretary", "inspector", "clerk")


class TestAuthorisation:
    @settings(max_examples=60)
    @given(
        org=cst.orgs(levels=("county", "township", "village"), fanout=(1, 3), pilots=False),
        data=st.data(),
    )
    def test_only_in_scope_in_role_actors_succeed(self, org: cf.Org, data: st.DataObject) -> None:
        """An actor outside its scope or role is always denied (and audited); one inside always passes."""
        run = safety.campaign().start(org)
        units = list(org)
        unit = data.draw(st.sampled_from(units))
        scope = data.draw(st.one_of(st.none(), st.lists(st.sampled_from(units), min_size=1, max_size=2)))
        roles = data.draw(st.sets(st.sampled_from(ROLES)))
        actor = cf.Actor(id="someone", roles=roles, scope=scope)
        run.record(unit, safety.Briefing(attendees=3), by=CLERK)
        in_scope = scope is None or any(org.is_ancestor(s, unit) for s in scope)
        allowed = bool(roles & {"secretary", "inspector"})
        denied: cf.PermissionDenied | None = None
        before = (run.history(unit), run.state(unit).version)
        try:
            run.fire(unit, "start", by=actor)
        except cf.PermissionDenied as exc:
            denied = exc
        if denied is not None:
            assert not (in_scope and allowed)
            assert ("outside its scope" in str(denied)) == (not in_scope)
            assert (run.history(unit), run.state(unit).version) == before  # the unit's chain is not touched
            (logged,) = run.store.denials()  # type: ignore[attr-defined]
            assert (logged.seq, logged.unit, logged.actor, logged.action) == (
                denied.seq,
                unit,
                "someone",
                "start",
            )
            assert run.stage_of(unit) == "mobilise"
        else:
            assert in_scope
            assert allowed
            assert run.stage_of(unit) == "inspect"
        recorded: cf.PermissionDenied | None = None
        try:
            run.record(unit, safety.Briefing(attendees=1), by=actor)
        except cf.PermissionDenied as exc:
            recorded = exc
        assert (recorded is None) == in_scope, "recording is allowed exactly within the actor's scope"

    def test_send_back_needs_someone_above(self) -> None:
        """A village's own actor cannot send it back; its township's can."""
        org = cf.Org.from_dicts(
            [
                {"id": "t", "parent": None, "level": "township"},
                {"id": "v", "parent": "t", "level": "village"},
            ],
            levels=("township", "village"),
        )
        run = safety.campaign().start(org)
        run.record("v", safety.Briefing(attendees=3), by=CLERK)
        run.fire("v", "start", by=CLERK)
        with pytest.raises(cf.PermissionDenied, match="level above"):
            run.send_back("v", "inspect", reason="x", by=cf.Actor(id="own", scope={"v"}))
        with pytest.raises(cf.InvalidTransition):  # allowed, but the unit is not past 'inspect'
            run.send_back("v", "inspect", reason="x", by=cf.Actor(id="boss", scope={"t"}))

    @pytest.mark.parametrize("bad", ["", "  ", "a\x00b", "x" * 201])
    def test_forged_actor_ids_are_refused(self, bad: str) -> None:
        """Empty, control-laden or overlong actor ids are ActorErrors."""
        with pytest.raises(cf.ActorError):
            cf.Actor(id=bad)


class TestFuzzedLoaders:
    """Run long with ``HYPOTHESIS_PROFILE=fuzz`` (5,000 cases each)."""

    @given(st.text(max_size=300))
    def test_csv_text_loads_or_is_an_org_error(self, text: str) -> None:
        """Any units file either loads or gives an OrgError: never another exception."""
        import tempfile  # noqa: PLC0415

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "units.csv"
            path.write_text("id,parent,level,name,pilot\n" + text, encoding="utf-8")
            with contextlib.suppress(cf.OrgError):
                cf.Org.from_csv(path)

    @given(
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=5),
            lambda inner: (
                st.lists(inner, max_size=3)
                | st.dictionaries(
                    st.sampled_from(
                        [
                            *("units", "id", "parent", "level", "people", "groups", "unit"),
                            *("roles", "supervises", "levels", "name", "contacts", "person", "pilot"),
                        ]
                    ),
                    inner,
                    max_size=4,
                )
            ),
            max_leaves=20,
        )
    )
    def test_json_documents_load_or_are_org_errors(self, document: object) -> None:
        """Any JSON document either loads or gives an OrgError."""
        import json  # noqa: PLC0415

        with contextlib.suppress(cf.OrgError):
            cf.Org.from_json(json.dumps({"units": document} if not isinstance(document, dict) else document))
