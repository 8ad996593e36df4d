"""verify checks every column and table a run reads against the hashed bodies, and names where."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import attrs
import pytest
import sqlalchemy as sa

import campaignflow as cf
from campaignflow.presets import safety
from campaignflow.store.codec import chain_hash as cf_chain_hash
from campaignflow.store.codec import step_from_dict, step_to_dict

CLERK = cf.Actor(id="li", roles={"secretary", "inspector"})
UNITS = ["s1", "s2", "s3"]


def _store(tmp_path: Path) -> tuple[cf.Campaign, str]:
    """A log of single writes and batches over three units (seqs 1..12)."""
    url = f"sqlite:///{tmp_path / 'v.db'}"
    c = safety.campaign()
    run = c.start(UNITS, store=url, clock=cf.FixedClock(step=timedelta(hours=1)), ids=cf.CountingIds())
    run.record_many([(u, safety.Briefing(attendees=3)) for u in UNITS], by=CLERK)  # 1-3
    run.fire_many(UNITS, "start", by=CLERK)  # 4-6
    run.record("s1", safety.Inspection(hours=1), by=CLERK)  # 7
    run.record_many([("s2", safety.Inspection(hours=2)), ("s1", safety.Inspection(hours=3))], by=CLERK)  # 8-9
    live = run.evidence("s1", safety.Inspection)
    run.retract("s1", live[0].id, reason="duplicate", by=CLERK)  # 10
    run.record("s3", safety.Inspection(hours=4), by=CLERK)  # 11
    run.record("s2", safety.Inspection(hours=5), by=CLERK)  # 12
    assert c.verify(UNITS, url).ok
    return c, url


def _sql(url: str, *statements: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)
    engine.dispose()


def _units_by_seq(url: str) -> dict[int, str]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        found = {int(s): str(u) for s, u in conn.exec_driver_sql("SELECT seq, unit FROM cf_steps")}
    engine.dispose()
    return found


# One SQL tamper each: the seq and/or unit verify must name (None: not checked) and a fragment of
# its problem (None: not checked).
TAMPERS = [
    # A step's unit column rewritten (what every per-unit read uses) is named by its seq.
    pytest.param("UPDATE cf_steps SET unit = 's3' WHERE seq = 7", 7, None, "unit column", id="unit-column"),
    # A step's kind column rewritten is named by its seq.
    pytest.param(
        "UPDATE cf_steps SET kind = 'retract' WHERE seq = 8", 8, None, "kind column", id="kind-column"
    ),
    # A step moved to an unused seq after its unit's next step breaks that unit's chain there:
    # s2's next step (12) no longer follows its previous one.
    pytest.param(
        "UPDATE cf_steps SET seq = 100 WHERE seq = 8", 12, None, None, id="seq-column-moved-to-a-gap"
    ),
    # A body that is not JSON is a mismatch naming its seq, not a traceback.
    pytest.param(
        "UPDATE cf_steps SET body = '{not json' WHERE seq = 5", 5, None, "does not parse", id="body-not-json"
    ),
    # A body that parses but is no step is a mismatch naming its seq.
    pytest.param(
        "UPDATE cf_steps SET body = '[1, 2]' WHERE seq = 6", 6, None, None, id="body-of-the-wrong-shape"
    ),
    # Evidence hidden from gates by flipping its live flag is named by its step.
    pytest.param(
        "UPDATE cf_evidence SET live = 0 WHERE seq = 11",
        11,
        "s3",
        "live=False",
        id="evidence-live-flag-flipped-off",
    ),
    # Retracted evidence flipped back to live is named by the step that recorded it.
    pytest.param(
        "UPDATE cf_evidence SET live = 1 WHERE seq = 7", 7, None, None, id="retracted-evidence-revived"
    ),
    # An index row pointed at another unit or kind is named by its step.
    pytest.param(
        "UPDATE cf_evidence SET unit = 's1' WHERE seq = 12",
        12,
        None,
        None,
        id="index-row-moved-to-another-unit",
    ),
    # A live record's index row deleted is named by its step.
    pytest.param(
        "DELETE FROM cf_evidence WHERE seq = 2",
        2,
        None,
        "missing from the evidence index",
        id="index-row-deleted",
    ),
    # An index row no step recorded is named.
    pytest.param(
        "INSERT INTO cf_evidence (id, unit, kind, seq, live) VALUES ('forged', 's1', 'Briefing', 4, 1)",
        4,
        None,
        "'forged'",
        id="index-row-inserted",
    ),
    # A projection row moved to another stage is named by its unit.
    pytest.param(
        "UPDATE cf_units SET stage = 'mobilise' WHERE unit = 's2'",
        None,
        "s2",
        None,
        id="projection-stage-rewritten",
    ),
    # A projection row's version edited is named by its unit.
    pytest.param(
        "UPDATE cf_units SET version = 99 WHERE unit = 's3'",
        None,
        "s3",
        None,
        id="projection-version-rewritten",
    ),
    # A projection row added for a unit the org lacks is named.
    pytest.param(
        "INSERT INTO cf_units (unit, stage, version, body, head) "
        "SELECT 'x9', stage, version, body, head FROM cf_units WHERE unit = 's1'",
        None,
        "x9",
        None,
        id="projection-row-for-a-unit-outside-the-org",
    ),
]


@pytest.mark.parametrize(("statement", "seq", "unit", "problem"), TAMPERS)
def test_a_tampered_column_index_row_or_projection_row_is_named(
    tmp_path: Path, statement: str, seq: int | None, unit: str | None, problem: str | None
) -> None:
    """Each column and table a run reads, edited behind the log's back, is named by its seq or unit."""
    c, url = _store(tmp_path)
    _sql(url, statement)
    report = c.verify(UNITS, url)
    named = (report.ok, report.seq if seq is not None else None, report.unit if unit is not None else None)
    assert named == (False, seq, unit), report.problem
    if problem is not None:
        assert problem in report.problem


class TestColumns:
    def test_a_body_saying_the_same_in_another_json_form_still_verifies(self, tmp_path: Path) -> None:
        """A body that does not hash as stored is decoded and encoded again, as its writer hashed it."""
        c, url = _store(tmp_path)
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            body = conn.exec_driver_sql("SELECT body FROM cf_steps WHERE seq = 8").scalar_one()
            spread = json.dumps(json.loads(body), indent=2, ensure_ascii=False)
            conn.execute(sa.text("UPDATE cf_steps SET body = :b WHERE seq = 8"), {"b": spread})
        engine.dispose()
        assert spread != body
        assert c.verify(UNITS, url).ok
        _sql(url, "UPDATE cf_steps SET body = replace(body, '\"hours\": 2', '\"hours\": 7') WHERE seq = 8")
        report = c.verify(UNITS, url)
        assert (report.ok, report.seq) == (False, 8)
        assert "altered" in report.problem

    @pytest.mark.parametrize(
        "bad",
        [
            {"root": None},
            {"root": {"status": "maybe"}},
            {"root": {"children": [{"rule": "r"}]}},
            {"stage": None, "root": "x"},
        ],
        ids=["no-root", "bad-status", "child-of-the-wrong-shape", "root-not-a-finding"],
    )
    def test_a_fire_with_a_verdict_of_the_wrong_shape_hashed_as_stored(
        self, tmp_path: Path, bad: dict[str, object]
    ) -> None:
        """A body that hashes as stored is decoded without its fire's verdict, but refused as before."""
        c, url = _store(tmp_path)
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            body, prev = conn.exec_driver_sql("SELECT body, prev_hash FROM cf_steps WHERE seq = 4").one()
            data = json.loads(body)
            assert data["kind"] == "fire"
            assert data["verdict"] is not None
            verdict = data["verdict"]
            for key, value in bad.items():
                if isinstance(value, dict):
                    verdict[key] = {**verdict[key], **value}
                else:
                    verdict[key] = value
            forged = json.dumps(data, sort_keys=True, separators=(",", ":"))
            digest = cf_chain_hash(prev, forged.encode())
            conn.execute(
                sa.text("UPDATE cf_steps SET body = :b, hash = :h WHERE seq = 4"), {"b": forged, "h": digest}
            )
        engine.dispose()
        report = c.verify(UNITS, url)
        assert (report.ok, report.seq) == (False, 4)
        assert "does not parse" in report.problem


class TestEvidenceIndex:
    @pytest.mark.parametrize("page", [2_000, 2])
    @pytest.mark.parametrize(
        "case",
        [
            # The log's own evidence first, whatever stray rows have lower seqs.
            (
                [
                    "INSERT INTO cf_evidence VALUES ('aaa', 's1', 'Briefing', 1, 1)",
                    "INSERT INTO cf_evidence VALUES ('zzz', 's2', 'Briefing', 3, 1)",
                    "UPDATE cf_evidence SET live = 0 WHERE seq = 12",
                    "DELETE FROM cf_evidence WHERE seq = 9",
                ],
                9,
                "missing from the evidence index",
            ),
            # Only stray rows: the lowest seq, whatever the order of their ids.
            (
                [
                    "INSERT INTO cf_evidence VALUES ('aaa', 's1', 'Briefing', 5, 1)",
                    "INSERT INTO cf_evidence VALUES ('zzz', 's2', 'Briefing', 3, 1)",
                ],
                3,
                "'zzz'",
            ),
        ],
    )
    def test_the_first_problem_is_named_whatever_order_the_index_is_read_in(
        self,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        page: int,
        case: tuple[list[str], int, str],
    ) -> None:
        """With several tampers the index's problem of lowest log seq is named, read in pages or at once."""
        monkeypatch.setattr("campaignflow.store._sql_audit.CHUNK", page)
        tampers, seq, fragment = case
        c, url = _store(tmp_path)
        _sql(url, *tampers)
        report = c.verify(UNITS, url)
        assert (report.ok, report.seq) == (False, seq)
        assert fragment in report.problem


class TestDeletedSteps:
    @pytest.mark.parametrize("seq", range(1, 13))
    def test_a_deleted_step_is_named_by_its_seq_or_its_units_next_step(
        self, tmp_path: Path, seq: int
    ) -> None:
        """Wherever a step is deleted, verify names it or the next step of the same unit, never another's."""
        c, url = _store(tmp_path)
        units = _units_by_seq(url)
        unit = units[seq]
        later = sorted(s for s, u in units.items() if u == unit and s > seq)
        _sql(url, f"DELETE FROM cf_steps WHERE seq = {seq}")  # noqa: S608 - a test's own integer
        report = c.verify(UNITS, url)
        assert not report.ok
        assert report.unit == unit
        assert report.seq == (later[0] if later else seq), report.problem

    def test_the_tail_cut_with_its_checkpoints_too_is_not_detected(self, tmp_path: Path) -> None:
        """The documented limit: the last batch removed with its checkpoint and rows rebuilt passes."""
        c, url = _store(tmp_path)
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            head = conn.exec_driver_sql("SELECT hash FROM cf_steps WHERE unit = 's2' AND seq = 8").scalar()
            body = conn.exec_driver_sql("SELECT body FROM cf_units WHERE unit = 's2'").scalar()
        engine.dispose()
        assert body is not None
        _sql(
            url,
            "DELETE FROM cf_steps WHERE seq = 12",
            "DELETE FROM cf_evidence WHERE seq = 12",
            "DELETE FROM cf_checkpoints WHERE last_seq = 12",
            f"UPDATE cf_units SET version = version - 1, head = '{head}' WHERE unit = 's2'",  # noqa: S608
        )
        assert c.verify(UNITS, url).ok  # security.md: only an external copy of the last checkpoint finds this


class TestMemory:
    def test_a_memory_run_verifies(self) -> None:
        """The memory store's evidence index agrees with its log."""
        c = safety.campaign()
        store = cf.MemoryStore()
        run = c.start(UNITS, store=store)
        run.record("s1", safety.Inspection(hours=1), by=CLERK)
        run.record("s1", safety.Inspection(hours=2), by=CLERK)
        run.retract("s1", run.evidence("s1", safety.Inspection)[0].id, reason="x", by=CLERK)
        assert c.verify(UNITS, store).ok


class TestLeanDecoding:
    def test_lean_decoding_gives_the_steps_the_log_gives_less_the_verdicts_replay_does_not_read(
        self, tmp_path: Path
    ) -> None:
        """A body decoded lean is the full step, with only a refusal's verdict kept."""
        c, url = _store(tmp_path)
        run = c.open(UNITS, url)
        with pytest.raises(cf.CampaignflowError):
            run.fire("s3", "approve", by=CLERK)  # its gate refuses it: a deny step with its verdict
        full = list(run.store.steps())
        assert len(full) >= 12
        assert {s.kind for s in full if s.verdict is not None} == {cf.Kind.FIRE, cf.Kind.DENY}
        types = c.build().evidence_types
        for step in full:
            lean = step_from_dict(
                step_to_dict(step),
                seq=step.seq,
                prev_hash=step.prev_hash,
                hash=step.hash,
                evidence_types=types,
                lean=True,
            )
            kept = step.verdict if step.kind is cf.Kind.DENY else None
            assert lean == attrs.evolve(step, verdict=kept)
