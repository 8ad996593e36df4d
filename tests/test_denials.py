"""Denials are audited in a hash-chained log of their own, never in the denied unit's chain or version."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

import campaignflow as cf
from campaignflow.presets import safety

CLERK = cf.Actor(id="li", roles={"secretary", "inspector"})
OUTSIDER = cf.Actor(id="wang", roles={"secretary", "inspector"}, scope={"s2"})
UNITS = ["s1", "s2"]


@pytest.fixture(params=["memory", "sqlite"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> object:
    """A memory store and a SQLite file."""
    return cf.MemoryStore() if request.param == "memory" else f"sqlite:///{tmp_path / 'd.db'}"


def _sql(url: str, *statements: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)
    engine.dispose()


class TestDenialLog:
    def test_an_outsider_cannot_touch_a_units_chain_or_version(self, target: object) -> None:
        """Refused attempts leave the unit's chain and version as they were; its writers never conflict."""
        c = safety.campaign()
        writer = c.start(UNITS, store=target)
        writer.record("s1", safety.Briefing(attendees=3), by=CLERK)
        before = (writer.history("s1"), writer.state("s1").version)
        outsider = c.open(UNITS, target)
        for _ in range(3):
            with pytest.raises(cf.PermissionDenied, match="outside its scope"):
                outsider.record("s1", safety.Briefing(attendees=1), by=OUTSIDER)
        with pytest.raises(cf.PermissionDenied):
            outsider.fire("s1", "start", by=OUTSIDER)
        assert (outsider.history("s1"), outsider.state("s1").version) == before
        writer.fire("s1", "start", by=CLERK)  # the writer's view is still current: no ConcurrentUpdate
        denials = list(writer.store.denials())  # type: ignore[attr-defined]
        assert [(d.seq, d.unit, d.actor, d.action) for d in denials] == [
            (1, "s1", "wang", "record"),
            (2, "s1", "wang", "record"),
            (3, "s1", "wang", "record"),
            (4, "s1", "wang", "start"),
        ]
        report = c.verify(UNITS, target)
        assert (report.ok, report.denials) == (True, 4)

    def test_the_error_names_its_denial(self, target: object) -> None:
        """PermissionDenied carries the denial's seq and time."""
        run = safety.campaign().start(UNITS, store=target)
        with pytest.raises(cf.PermissionDenied) as refused:
            run.record("s1", safety.Briefing(attendees=1), by=OUTSIDER)
        (denial,) = run.store.denials()  # type: ignore[attr-defined]
        assert (refused.value.seq, refused.value.at, refused.value.kept) == (denial.seq, denial.at, True)


def _denied(tmp_path: Path) -> tuple[cf.Campaign, str]:
    url = f"sqlite:///{tmp_path / 't.db'}"
    c = safety.campaign()
    run = c.start(UNITS, store=url)
    for n in range(4):
        with pytest.raises(cf.PermissionDenied):
            run.record("s1", safety.Briefing(attendees=n + 1), by=OUTSIDER)
    assert c.verify(UNITS, url).ok
    return c, url


class TestTamperedDenials:
    @pytest.mark.parametrize(
        ("statement", "seq", "problem"),
        [
            # A denial's body edited is named by its seq.
            pytest.param(
                "UPDATE cf_denials SET body = replace(body, 'wang', 'zhao') WHERE seq = 2",
                2,
                None,
                id="an-edited-denial",
            ),
            # A denial deleted mid-log is named by the next one.
            pytest.param(
                "DELETE FROM cf_denials WHERE seq = 2", 3, "does not follow denial 1", id="a-deleted-denial"
            ),
            # A denial's unit column rewritten is named by its seq.
            pytest.param(
                "UPDATE cf_denials SET unit = 's2' WHERE seq = 3", 3, "columns", id="a-denials-unit-column"
            ),
            # A denial body that is not JSON is named by its seq, no traceback.
            pytest.param(
                "UPDATE cf_denials SET body = '{' WHERE seq = 4", 4, None, id="a-body-that-does-not-parse"
            ),
        ],
    )
    def test_a_tampered_denial_is_named_by_its_seq(
        self, tmp_path: Path, statement: str, seq: int, problem: str | None
    ) -> None:
        """A denial edited, deleted or garbled behind the log's back is named where its chain breaks."""
        c, url = _denied(tmp_path)
        _sql(url, statement)
        report = c.verify(UNITS, url)
        assert (report.ok, report.seq) == (False, seq)
        if problem is not None:
            assert problem in report.problem

    def test_a_store_from_before_the_denial_log_verifies_and_gains_one(self, tmp_path: Path) -> None:
        """Without a cf_denials table a store verifies with no denials, and the first refusal creates it."""
        c, url = _denied(tmp_path)
        _sql(url, "DROP TABLE cf_denials")
        assert (c.verify(UNITS, url).ok, c.verify(UNITS, url).denials) == (True, 0)
        with pytest.raises(cf.PermissionDenied) as refused:
            c.open(UNITS, url).record("s1", safety.Briefing(attendees=1), by=OUTSIDER)
        assert refused.value.seq == 1
        assert c.verify(UNITS, url).denials == 1


class _StoreWithoutDenialLog:
    """A host's own store written before the denial log: everything but ``append_denial``."""

    def __init__(self, inner: cf.MemoryStore) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> object:
        if name in {"append_denial", "denials"}:
            raise AttributeError(name)
        return getattr(self._inner, name)


def test_a_store_without_a_denial_log_keeps_the_refusal_in_the_units_chain() -> None:
    """The fallback for older stores: a deny step in the unit's chain, its seq on the error."""
    c = safety.campaign()
    run = c.start(UNITS, store=_StoreWithoutDenialLog(cf.MemoryStore()))
    before = run.state("s1").version
    with pytest.raises(cf.PermissionDenied) as refused:
        run.record("s1", safety.Briefing(attendees=3), by=OUTSIDER)
    (step,) = run.history("s1")
    assert step.kind is cf.Kind.DENY
    assert step.actor == OUTSIDER.id
    assert refused.value.seq == step.seq
    assert run.state("s1").version == before + 1
