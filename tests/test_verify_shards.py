"""A large SQLite log is verified in shards of units, one process each: clean or not, as one pass says."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import campaignflow as cf
from campaignflow.org.graph import Org
from campaignflow.presets import safety
from campaignflow.run import verify as verifying
from campaignflow.store import SQLStore, open_store
from test_store_properties import OPERATIONS, UNITS, _apply
from test_verify import TAMPERS, _sql
from test_verify import UNITS as VERIFY_UNITS
from test_verify import _store as _twelve_steps


@pytest.fixture(autouse=True)
def _any_log_in_shards(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(verifying, "SHARDED_FROM", 0)
    monkeypatch.setattr(verifying.os, "cpu_count", lambda: 2)


def _in_shards(c: cf.Campaign, units: list[str], url: str, processes: int = 2) -> cf.VerifyReport | None:
    """What the shards say of ``url``: its report when every shard finds it clean, else ``None``."""
    definition = c.build()
    store = open_store(url, evidence_types=definition.evidence_types)
    store.bind(definition.id, fresh=False, evidence_types=definition.evidence_types)
    return verifying._sharded(definition, Org.coerce(units), store, processes)


def _one_pass(c: cf.Campaign, units: list[str], url: str, monkeypatch: pytest.MonkeyPatch) -> cf.VerifyReport:
    with monkeypatch.context() as m:
        m.setattr(verifying, "SHARDED_FROM", 1 << 60)
        return c.verify(units, url)


def test_a_clean_store_verifies_in_shards_with_the_one_pass_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every shard clean: the report counts every step and denial, as one pass does."""
    c, url = _twelve_steps(tmp_path)
    run = c.open(VERIFY_UNITS, url)
    with pytest.raises(cf.CampaignflowError):
        run.fire("s3", "approve", by=cf.Actor(id="nobody", roles=set()))  # a denial, and a deny step
    shards = _in_shards(c, VERIFY_UNITS, url)
    assert shards is not None
    assert shards == _one_pass(c, VERIFY_UNITS, url, monkeypatch) == c.verify(VERIFY_UNITS, url, processes=2)
    assert shards.ok


EXTRA = [
    pytest.param("DELETE FROM cf_steps WHERE seq = 12", id="last-step-deleted"),
    pytest.param("DELETE FROM cf_steps WHERE seq = 1", id="first-step-deleted"),
    pytest.param("UPDATE cf_steps SET body = replace(body, '\"li\"', '\"wang\"') WHERE seq = 4", id="edited"),
    pytest.param("UPDATE cf_checkpoints SET hash = 'x' WHERE last_seq = 6", id="checkpoint-hash"),
    pytest.param("UPDATE cf_steps SET unit = 's9' WHERE seq = 3", id="unit-outside-the-org"),
    pytest.param("UPDATE cf_steps SET unit = 's2' WHERE seq = 3", id="unit-of-another-shard"),
    pytest.param("UPDATE cf_evidence SET unit = 's2' WHERE seq = 11", id="index-row-to-another-shard"),
    pytest.param("UPDATE cf_evidence SET live = 1 WHERE live = 0", id="retraction-undone-in-the-index"),
    pytest.param("UPDATE cf_evidence SET seq = 3 WHERE seq = 2", id="index-row-moved-to-another-seq"),
    pytest.param(
        "INSERT INTO cf_evidence (id, unit, kind, seq, live) VALUES ('forged', 's2', 'Briefing', 2, 0)",
        id="dead-index-row-inserted",
    ),
]


@pytest.mark.parametrize("statement", [*(p.values[0] for p in TAMPERS), *(p.values[0] for p in EXTRA)])
def test_a_tamper_is_left_to_the_one_pass_verify_which_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, statement: str
) -> None:
    """A shard that finds anything amiss says so; verify's report is then the one pass's."""
    c, url = _twelve_steps(tmp_path)
    _sql(url, statement)
    one = _one_pass(c, VERIFY_UNITS, url, monkeypatch)
    assert not one.ok
    assert _in_shards(c, VERIFY_UNITS, url) is None
    assert c.verify(VERIFY_UNITS, url, processes=2) == one


def test_a_store_on_the_callers_connection_or_in_memory_is_verified_in_one_pass(tmp_path: Path) -> None:
    """Only a file other processes can read is sharded (a caller's transaction is its own)."""
    _, url = _twelve_steps(tmp_path)
    assert SQLStore(url).shared_file() == (str(tmp_path / "v.db"), "cf_")
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        assert SQLStore(conn).shared_file() is None
    engine.dispose()
    assert SQLStore("sqlite://").shared_file() is None


TAMPER_SQL = st.sampled_from(
    [
        "",
        "UPDATE cf_steps SET body = replace(body, '\"op\"', '\"xx\"') WHERE seq = {seq}",
        "DELETE FROM cf_steps WHERE seq = {seq}",
        "UPDATE cf_steps SET unit = 's1' WHERE seq = {seq}",
        "UPDATE cf_steps SET kind = 'deny' WHERE seq = {seq}",
        "UPDATE cf_evidence SET live = 1 - live WHERE seq = {seq}",
        "UPDATE cf_evidence SET unit = 's3' WHERE seq = {seq}",
        "DELETE FROM cf_evidence WHERE seq = {seq}",
        "UPDATE cf_units SET version = version + 1 WHERE unit = 's2'",
        "DELETE FROM cf_checkpoints WHERE last_seq = {seq}",
    ]
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(OPERATIONS, TAMPER_SQL, st.integers(min_value=1, max_value=40))
def test_shards_call_a_store_clean_only_when_one_pass_does(
    monkeypatch: pytest.MonkeyPatch, plan: list[tuple[str, str, str]], tamper: str, seq: int
) -> None:
    """After any run and any one tamper: clean in shards only if clean in one pass, with its report."""
    c = safety.campaign()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'p.db'}"
        run = c.start(list(UNITS), store=url, clock=cf.FixedClock(), ids=cf.CountingIds())
        for unit, op, event in plan:
            _apply(run, unit, op, event)
        if tamper:
            _sql(url, tamper.format(seq=seq))
        one = _one_pass(c, list(UNITS), url, monkeypatch)
        if not tamper:
            assert one.ok, one.problem
        for processes in (1, 2):  # one shard in this process, or two forked
            shards = _in_shards(c, list(UNITS), url, processes)
            if shards is not None:
                assert shards == one
            elif not tamper:
                pytest.fail(f"a clean store was not found clean in {processes} shard(s)")


def test_verify_forks_only_when_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The default is one shard in this process: forking a host's (threaded) process is the host's call."""
    c, url = _twelve_steps(tmp_path)
    forks: list[str] = []
    real = verifying.multiprocessing.get_context

    def counted(method: str | None = None) -> object:
        forks.append(str(method))
        return real(method)

    monkeypatch.setattr(verifying.multiprocessing, "get_context", counted)
    one = c.verify(VERIFY_UNITS, url)
    assert one.ok
    assert forks == []
    assert c.verify(VERIFY_UNITS, url, processes=2) == one
    assert forks == ["fork"]


@pytest.mark.parametrize(
    ("processes", "error"),
    [(0, cf.ArgumentError), (-1, cf.ArgumentError), ("2", TypeError), (True, TypeError)],
)
def test_a_bad_process_count_is_refused_naming_it(tmp_path: Path, processes: object, error: type) -> None:
    c, url = _twelve_steps(tmp_path)
    with pytest.raises(error, match="processes"):
        c.verify(VERIFY_UNITS, url, processes=processes)  # type: ignore[arg-type]


def test_the_cli_verifies_in_processes(tmp_path: Path) -> None:
    """``campaignflow verify DB --processes N``: the same verdict line for 1 and 2."""
    from click.testing import CliRunner  # noqa: PLC0415

    from campaignflow.cli import main  # noqa: PLC0415

    _, url = _twelve_steps(tmp_path)
    db = url.removeprefix("sqlite:///")
    lines = []
    for n in ("1", "2"):
        result = CliRunner().invoke(main, ["verify", db, "--processes", n])
        assert result.exit_code == 0, result.output
        lines.append(result.output)
    assert lines[0] == lines[1]
    assert "ok:" in lines[0]
    refused = CliRunner().invoke(main, ["verify", db, "--processes", "0"])
    assert refused.exit_code == 2
