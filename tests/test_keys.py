"""Idempotency keys on writes: a repeated key returns the first result and writes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import campaignflow as cf
from campaignflow.presets import safety
from campaignflow.store import SQLStore
from campaignflow.store._errors import raced
from campaignflow.store.codec import step_to_dict
from test_verify import _sql

SEC = cf.Actor(id="sec", roles={"secretary", "inspector"})
CAMPAIGN = safety.campaign(limit=9).rework("mobilise", limit=9)  # send-backs from inspect too
TYPES = CAMPAIGN.build().evidence_types
UNITS = ["s1", "s2"]
KINDS = ["memory", "sqlite", "postgresql"]


def _target(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> cf.Store | str:
    if kind == "memory":
        return cf.MemoryStore()
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'k.db'}"
    return str(request.getfixturevalue("pg_fresh"))


def _start(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> tuple[cf.Run, cf.Store | str]:
    target = _target(kind, tmp_path, request)
    run = CAMPAIGN.start(UNITS, store=target, clock=cf.FixedClock(step=timedelta(minutes=1)))
    return run, target


def _log(run: cf.Run) -> list[dict[str, object]]:
    return [step_to_dict(s) | {"seq": s.seq, "hash": s.hash} for s in run.store.steps()]


@pytest.mark.parametrize("kind", KINDS)
class TestRepeats:
    def test_each_verb_repeated_returns_its_first_step_and_writes_once(
        self, kind: str, tmp_path: Path, request: pytest.FixtureRequest
    ) -> None:
        run, target = _start(kind, tmp_path, request)
        inspection: list[str] = []  # the id of the inspection recorded, once it is
        writes: list[Callable[[], cf.Step]] = [
            lambda: run.record("s1", safety.Briefing(attendees=3), by=SEC, key="r"),
            lambda: run.fire("s1", "start", by=SEC, key="f"),
            lambda: run.record("s1", safety.Inspection(hours=1), by=SEC, key="i"),
            lambda: run.retract("s1", inspection[0], reason="typo", by=SEC, key="x"),
            lambda: run.send_back("s1", "mobilise", reason="redo the briefing", by=SEC, key="b"),
        ]
        for write in writes:
            first = write()
            if first.evidence is not None and first.evidence.kind == "Inspection":
                inspection.append(first.evidence.id)
            n = len(list(run.store.steps()))
            again = write()
            assert (again.seq, again.kind, again.unit, again.key) == (first.seq, first.kind, "s1", first.key)
            assert len(list(run.store.steps())) == n
        assert [s.key for s in run.history("s1")] == ["r", "f", "i", "x", "b"]
        assert run.stage_of("s1") == "mobilise"
        assert CAMPAIGN.verify(UNITS, target).ok

    def test_a_repeat_from_another_process_returns_the_first_step(
        self, kind: str, tmp_path: Path, request: pytest.FixtureRequest
    ) -> None:
        """A second run over the same store (a restarted worker) answers the key from the store."""
        run, target = _start(kind, tmp_path, request)
        first = run.record("s1", safety.Briefing(attendees=3), by=SEC, key="r")
        other = CAMPAIGN.open(UNITS, target)
        again = other.record("s1", safety.Briefing(attendees=3), by=SEC, key="r")
        # The memory store hashes its chain when read: compare with the hash as stored.
        (stored,) = other.history("s1")
        assert (again.seq, again.hash, again.evidence) == (first.seq, stored.hash, first.evidence)
        assert first.hash in {"", stored.hash}

    def test_a_refused_fire_repeated_is_refused_again_without_a_second_refusal(
        self, kind: str, tmp_path: Path, request: pytest.FixtureRequest
    ) -> None:
        run, target = _start(kind, tmp_path, request)
        with pytest.raises(cf.GateClosed) as first:
            run.fire("s1", "start", by=SEC, key="f")
        run.record("s1", safety.Briefing(attendees=3), by=SEC)  # the gate would pass now
        with pytest.raises(cf.GateClosed) as again:
            run.fire("s1", "start", by=SEC, key="f")
        assert again.value.seq == first.value.seq
        assert again.value.verdict == first.value.verdict
        assert [s.kind for s in run.history("s1")] == [cf.Kind.DENY, cf.Kind.RECORD]
        assert run.fire("s1", "start", by=SEC, key="f2").kind is cf.Kind.FIRE
        assert CAMPAIGN.verify(UNITS, target).ok

    def test_a_key_reused_for_another_request_is_refused_naming_the_key_and_step(
        self, kind: str, tmp_path: Path, request: pytest.FixtureRequest
    ) -> None:
        run, target = _start(kind, tmp_path, request)
        first = run.record("s1", safety.Briefing(attendees=3), by=SEC, key="k")
        other = cf.Actor(id="wang", roles={"secretary"})
        others: list[Callable[[], object]] = [
            lambda: run.record("s2", safety.Briefing(attendees=3), by=SEC, key="k"),  # another unit
            lambda: run.record("s1", safety.Briefing(attendees=4), by=SEC, key="k"),  # another value
            lambda: run.record("s1", safety.Exit(location="e", blocked=False), by=SEC, key="k"),
            lambda: run.record("s1", safety.Briefing(attendees=3), by=other, key="k"),  # another actor
            lambda: run.fire("s1", "start", by=SEC, key="k"),  # another verb
            lambda: run.send_back("s1", "mobilise", reason="r", by=SEC, key="k"),
        ]
        for write in others:
            with pytest.raises(cf.KeyReused) as refused:
                write()
            assert (refused.value.key, refused.value.seq, refused.value.unit) == ("k", first.seq, "s1")
            assert "'k'" in str(refused.value)
            assert "new key" in str(refused.value)
        assert len(list(run.store.steps())) == 1
        assert CAMPAIGN.verify(UNITS, target).ok


@pytest.mark.parametrize("bad", ["", "x" * 201, "a\nb"])
def test_a_malformed_key_is_an_argument_error(bad: str) -> None:
    run = CAMPAIGN.start(UNITS)
    with pytest.raises(cf.ArgumentError, match="idempotency key"):
        run.record("s1", safety.Briefing(attendees=3), by=SEC, key=bad)
    with pytest.raises(TypeError, match="key must be a str"):
        run.fire("s1", "start", by=SEC, key=7)  # type: ignore[arg-type]
    assert list(run.store.steps()) == []


def test_a_store_without_a_keys_index_refuses_a_key() -> None:
    class Plain:
        """A store of the protocol's methods only: forwards to a memory store, no ``keyed``."""

        def __init__(self) -> None:
            self.inner = cf.MemoryStore()

        def __getattr__(self, name: str) -> object:
            if name in ("keyed", "keys"):
                raise AttributeError(name)
            return getattr(self.inner, name)

    run = CAMPAIGN.start(UNITS, store=Plain())
    with pytest.raises(cf.ArgumentError, match="keeps no idempotency keys"):
        run.record("s1", safety.Briefing(attendees=3), by=SEC, key="k")


def test_a_collision_on_the_keys_index_is_a_lost_race() -> None:
    """The insert of a key a concurrent request committed first fails as the database reports it."""
    for text in (
        'duplicate key value violates unique constraint "cf_keys_pkey"',
        "UNIQUE constraint failed: cf_keys.key",
    ):
        lost = raced(sa.exc.IntegrityError("INSERT", {}, Exception(text)), {"s1": 2})
        assert isinstance(lost, cf.ConcurrentUpdate)
        assert lost.unit == "s1"


# ------------------------------------------------------------------ tampering and old stores


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
class TestTamperedKeys:
    def _keyed(self, kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
        run, target = _start(kind, tmp_path, request)
        run.record("s1", safety.Briefing(attendees=3), by=SEC, key="k1")  # 1
        run.record("s2", safety.Briefing(attendees=3), by=SEC)  # 2
        run.record("s2", safety.Briefing(attendees=5), by=SEC, key="k3")  # 3
        assert CAMPAIGN.verify(UNITS, target).ok
        return str(target)

    @pytest.mark.parametrize(
        "case",
        [
            ("DELETE FROM cf_keys WHERE key = 'k1'", 1, "lacks"),
            ("UPDATE cf_keys SET seq = 2, unit = 's2' WHERE key = 'k3'", 2, "hashed log gives it to step 3"),
            ("INSERT INTO cf_keys (key, unit, seq) VALUES ('k2', 's2', 2)", 2, "no step"),
            ("UPDATE cf_keys SET key = 'k9' WHERE key = 'k1'", 1, "'k9'"),
        ],
    )
    def test_an_edited_keys_index_is_found(
        self, kind: str, tmp_path: Path, request: pytest.FixtureRequest, case: tuple[str, int, str]
    ) -> None:
        statement, seq, says = case
        url = self._keyed(kind, tmp_path, request)
        _sql(url, statement)
        report = CAMPAIGN.verify(UNITS, url)
        assert not report.ok
        assert report.seq == seq
        assert says in report.problem

    def test_a_key_edited_in_a_step_body_breaks_its_hash(
        self, kind: str, tmp_path: Path, request: pytest.FixtureRequest
    ) -> None:
        url = self._keyed(kind, tmp_path, request)
        _sql(
            url,
            'UPDATE cf_steps SET body = REPLACE(body, \'"key":"k1"\', \'"key":"k2"\') WHERE seq = 1',
            "UPDATE cf_keys SET key = 'k2' WHERE key = 'k1'",
        )
        report = CAMPAIGN.verify(UNITS, url)
        assert (report.ok, report.seq) == (False, 1)

    def test_a_store_written_before_the_keys_index_opens_and_gains_it(
        self, kind: str, tmp_path: Path, request: pytest.FixtureRequest
    ) -> None:
        run, target = _start(kind, tmp_path, request)
        run.record("s1", safety.Briefing(attendees=3), by=SEC)
        _sql(str(target), "DROP TABLE cf_keys")
        engine = sa.create_engine(str(target))  # a new engine: it has not seen the keys index
        reopened = CAMPAIGN.open(UNITS, SQLStore(engine, evidence_types=TYPES))
        assert CAMPAIGN.verify(UNITS, reopened.store).ok
        first = reopened.fire("s1", "start", by=SEC, key="f")
        assert reopened.fire("s1", "start", by=SEC, key="f").seq == first.seq
        assert CAMPAIGN.verify(UNITS, reopened.store).ok
        assert len(reopened.history("s1")) == 2
        engine.dispose()


# ------------------------------------------------------------------ racing requests


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
class TestRacingKeys:
    def _race(
        self, kind: str, tmp_path: Path, request: pytest.FixtureRequest, *, winner_unit: str
    ) -> tuple[str, Callable[[], cf.Step]]:
        """Request A looks the key up and finds nothing; B then writes it and commits; A writes.

        The interleaving is forced by wrapping A's lookup, with no threads and no sleeps.
        """
        url = str(_target(kind, tmp_path, request))
        engine = sa.create_engine(url)  # the app's engine, two connections of it
        with engine.begin() as conn:
            CAMPAIGN.start(UNITS, store=SQLStore(conn, evidence_types=TYPES))
        won: list[cf.Step] = []

        def b_request() -> None:
            with engine.begin() as b:
                run_b = CAMPAIGN.open(UNITS, SQLStore(b, evidence_types=TYPES))
                won.append(run_b.record(winner_unit, safety.Briefing(attendees=3), by=SEC, key="K"))

        self.engine = engine
        a = engine.connect()
        a.begin()
        store_a = SQLStore(a, evidence_types=TYPES)
        run_a = CAMPAIGN.open(UNITS, store_a)
        look = store_a.keyed

        def racing(key: str) -> cf.Step | None:
            found = look(key)
            if not won:
                b_request()  # B wins between A's lookup and A's write
            return found

        store_a.keyed = racing  # type: ignore[method-assign]
        self.a = a

        def a_request() -> cf.Step:
            return cf.retry(run_a, lambda: run_a.record("s1", safety.Briefing(attendees=3), by=SEC, key="K"))

        return url, a_request

    def test_the_loser_of_a_race_on_one_key_gets_the_winners_step(
        self, kind: str, tmp_path: Path, request: pytest.FixtureRequest
    ) -> None:
        url, a_request = self._race(kind, tmp_path, request, winner_unit="s1")
        step = a_request()
        self.a.commit()
        self.a.close()
        self.engine.dispose()
        (only,) = SQLStore(url, evidence_types=TYPES).history("s1")
        assert (step.seq, step.key) == (only.seq, "K")
        assert CAMPAIGN.verify(UNITS, url).ok

    def test_a_race_on_one_key_for_another_unit_is_refused_for_the_loser(
        self, kind: str, tmp_path: Path, request: pytest.FixtureRequest
    ) -> None:
        """Different units: no version conflict; the key's own check inside the write finds the rival."""
        url, a_request = self._race(kind, tmp_path, request, winner_unit="s2")
        with pytest.raises(cf.KeyReused) as refused:
            a_request()
        self.a.rollback()
        self.a.close()
        self.engine.dispose()
        store = SQLStore(url, evidence_types=TYPES)
        assert store.history("s1") == ()
        assert refused.value.unit == "s2"
        assert refused.value.seq == store.history("s2")[0].seq
        assert CAMPAIGN.verify(UNITS, url).ok


# ------------------------------------------------------------------ the log with and without repeats

ACTIONS = st.lists(
    st.tuples(st.sampled_from(["record", "fire", "send_back"]), st.sampled_from(UNITS), st.integers(1, 3)),
    min_size=1,
    max_size=12,
)


def _apply(run: cf.Run, n: int, action: tuple[str, str, int]) -> bool:
    """Send request ``n``; True when it wrote a step (a refusal too)."""
    verb, unit, size = action
    key = f"req-{n}"
    try:
        if verb == "record":
            run.record(unit, safety.Briefing(attendees=size), by=SEC, key=key)
        elif verb == "fire":
            run.fire(unit, "start", by=SEC, key=key)
        else:
            run.send_back(unit, "mobilise", reason=f"redo {size}", by=SEC, key=key)
    except cf.GateClosed:
        return True  # the refusal is in the log, under the key
    except cf.InvalidTransition:
        return False  # nothing written, so the key was not used: a later send is a new attempt
    return True


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=ACTIONS, repeats=st.lists(st.integers(0, 11), max_size=8))
def test_repeating_keyed_requests_leaves_the_log_of_the_requests_once(
    actions: list[tuple[str, str, int]], repeats: list[int]
) -> None:
    """Each request sent once, or those that wrote sent again later with their key: the same log."""

    def fresh() -> cf.Run:
        # A clock standing still: a repeat reads the clock (to check evidence) before finding its key.
        return CAMPAIGN.start(UNITS, clock=cf.FixedClock(), ids=cf.CountingIds())

    once, repeated = fresh(), fresh()
    wrote = [_apply(once, n, action) for n, action in enumerate(actions)]
    sent = list(enumerate(actions))
    for at in repeats:  # a request that wrote, sent again later (a client retrying after a timeout)
        if at < len(sent) and wrote[sent[at][0]]:
            sent.insert(at + 1 + at % 3, sent[at])
    for n, action in sent:
        _apply(repeated, n, action)
    assert _log(repeated) == _log(once)
    assert CAMPAIGN.verify(UNITS, repeated.store).ok


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_repeats_leave_the_same_log_on_sql_stores(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The property's fixed case on SQL: a record, a refusal and a send-back, each sent twice."""
    actions = [("fire", "s1", 1), ("record", "s1", 2), ("fire", "s1", 1), ("send_back", "s1", 1)]
    target = _target(kind, tmp_path, request)
    run = CAMPAIGN.start(UNITS, store=target, clock=cf.FixedClock(), ids=cf.CountingIds())
    for n, action in enumerate(actions):
        _apply(run, n, action)
        _apply(run, n, action)
    assert [s.kind for s in run.store.steps()] == [
        cf.Kind.DENY,
        cf.Kind.RECORD,
        cf.Kind.FIRE,
        cf.Kind.SEND_BACK,
    ]
    assert CAMPAIGN.verify(UNITS, target).ok
