"""`campaignflow migrate` / `store.migrate`: the kept schema-1 fixture, atomicity, SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

import campaignflow as cf
from campaignflow.cli import main
from campaignflow.presets import safety
from campaignflow.report.build import build_report
from campaignflow.store import _migrate as migrations
from campaignflow.store import migrate
from campaignflow.store._tables import SCHEMA_VERSION

FIXTURE = Path(__file__).parent / "fixtures" / "schema1.db"
SITES = ["plant-1", "plant-2", "plant-3", "plant-4"]
LOG = {  # the rows a migration must leave byte for byte as they are, by table
    "cf_steps": "SELECT seq, unit, kind, body, prev_hash, hash FROM cf_steps ORDER BY seq",
    "cf_denials": "SELECT seq, unit, actor, body, prev_hash, hash FROM cf_denials ORDER BY seq",
    "cf_checkpoints": "SELECT id, first_seq, last_seq, heads, hash FROM cf_checkpoints ORDER BY id",
    "cf_units": "SELECT unit, stage, version, body, head FROM cf_units ORDER BY unit",
    "cf_evidence": "SELECT id, unit, kind, seq, live FROM cf_evidence ORDER BY id",
}
REVISIONS = [str(n) for n in range(2, SCHEMA_VERSION + 1)]  # what a schema-1 database goes through
INSPECTOR = cf.Actor(id="wang", roles={"inspector", "secretary"})


def _rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return {t: [tuple(r) for r in conn.exec_driver_sql(q)] for t, q in LOG.items()}
    finally:
        engine.dispose()


def _scalar(url: str, sql: str) -> Any:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.exec_driver_sql(sql).scalar()
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


@pytest.fixture
def old(tmp_path: Path) -> str:
    """A copy of the kept database main wrote at schema 1, as a URL."""
    copy = tmp_path / "schema1.db"
    shutil.copyfile(FIXTURE, copy)
    return f"sqlite:///{copy}"


def test_the_chain_ends_at_this_campaignflows_schema() -> None:
    """The last revision shipped is SCHEMA_VERSION: a store written now needs no migration."""
    from alembic.script import ScriptDirectory  # noqa: PLC0415

    scripts = ScriptDirectory(str(migrations.SCRIPTS))
    assert scripts.get_heads() == [str(SCHEMA_VERSION)]
    assert [s.revision for s in scripts.walk_revisions()] == [str(n) for n in range(SCHEMA_VERSION, 0, -1)]


def test_the_fixture_is_small_and_of_schema_1(old: str) -> None:
    """The kept database is what main wrote before migrations: schema 1, no catalogue, no version table."""
    assert FIXTURE.stat().st_size < 300_000
    url = old
    assert _scalar(url, "SELECT value FROM cf_meta WHERE key = 'schema_version'") == "1"
    assert not {"cf_campaigns", "cf_version"} & _tables(url)


class TestFixture:
    def test_an_old_store_is_refused_with_the_command_that_upgrades_it(self, old: str) -> None:
        """Opening (or starting on) a schema-1 database names `campaignflow migrate` and changes nothing."""
        before = _rows(old)
        with pytest.raises(
            cf.StoreError,
            match=rf"schema 1, this campaignflow reads {SCHEMA_VERSION}: run `campaignflow migrate",
        ):
            safety.campaign().open(SITES, old)
        with pytest.raises(cf.StoreError, match="campaignflow migrate"):
            safety.campaign().verify(SITES, old)
        other = cf.Campaign("other")
        other.stages("a")
        with pytest.raises(cf.StoreError, match="campaignflow migrate"):
            other.start(["x"], store=old)
        assert _rows(old) == before

    def test_migrate_upgrades_it_and_the_log_is_untouched(self, old: str) -> None:
        """After migrate the run opens, verifies and reports; every log row is byte for byte as written."""
        before = _rows(old)
        done = migrate(old)
        assert (done.before, done.after) == (1, SCHEMA_VERSION)
        assert [rev for rev, _ in done.applied] == REVISIONS
        assert "cf_campaigns" in done.explain()
        assert _rows(old) == before
        assert _scalar(old, "SELECT version_num FROM cf_version") == str(SCHEMA_VERSION)
        assert "cf_keys" in _tables(old)
        campaign = safety.campaign()
        report = campaign.verify(SITES, old)
        assert report.ok, report.problem
        assert (report.steps, report.denials) == (19, 1)
        run = campaign.open(SITES, old, clock=cf.FixedClock())
        assert run.stage_of("plant-1") == "closed"
        assert run.state("plant-1").reworks == {"inspect": 1}
        assert run.progress().by_stage["inspect"] == 2
        assert build_report(run).total == len(SITES)
        listed = run.store.campaigns()
        assert [(c.id, c.prefix, c.schema) for c in listed] == [("safety-2026", "cf_", 1)]
        assert listed[0].created_at.startswith("2026-03-02")  # the log's first step

    def test_the_migrated_store_takes_new_steps_and_campaigns(self, old: str) -> None:
        """A migrated store goes on: new steps chain on the old heads; another campaign gets its tables."""
        migrate(old)
        run = safety.campaign().open(SITES, old)
        run.record("plant-4", safety.Briefing(attendees=2), by=INSPECTOR)
        run.fire("plant-4", "start", by=INSPECTOR)
        other = cf.Campaign("review-2026")
        other.stages("open", "closed")
        other.transition("close", "open", "closed", allowed=cf.role("inspector"))
        other.start(["plant-1"], store=old).fire("plant-1", "close", by=INSPECTOR)
        assert safety.campaign().verify(SITES, old).ok
        assert other.verify(["plant-1"], old).ok
        assert {"cf_2_steps", "cf_2_units"} <= _tables(old)

    def test_migrating_a_current_store_is_a_no_op_that_says_so(self, old: str) -> None:
        """A second migrate changes nothing and says the database is current."""
        migrate(old)
        before = _rows(old)
        again = migrate(old)
        assert again.applied == ()
        assert "nothing to migrate" in again.explain()
        assert _rows(old) == before

    def test_a_failed_migration_leaves_the_database_as_it_was(
        self, old: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A failure after the revisions ran rolls every one of them back: schema 1, no new table."""
        made = migrations.config

        def failing(conn: sa.Connection, on_apply: Any = None) -> Any:
            def apply(**kwargs: Any) -> None:
                if on_apply is not None:
                    on_apply(**kwargs)
                if kwargs["step"].is_migration and kwargs["step"].up_revision_id == REVISIONS[-1]:
                    raise OSError("disk full")  # injected: every revision was applied in the transaction

            return made(conn, apply)

        monkeypatch.setattr(migrations, "config", failing)
        before = _rows(old)
        with pytest.raises(cf.StoreError, match=r"rolled back, nothing changed .*disk full"):
            migrate(old)
        assert _scalar(old, "SELECT value FROM cf_meta WHERE key = 'schema_version'") == "1"
        assert not {"cf_campaigns", "cf_version", "cf_keys"} & _tables(old)
        assert _rows(old) == before
        monkeypatch.setattr(migrations, "config", made)
        assert migrate(old).after == SCHEMA_VERSION  # and it still migrates

    def test_a_newer_schema_is_refused_naming_both(self, old: str) -> None:
        """A database of a later schema is not migrated nor opened: both revisions are named."""
        migrate(old)
        engine = sa.create_engine(old)
        with engine.begin() as conn:
            conn.exec_driver_sql("UPDATE cf_meta SET value = '7' WHERE key = 'schema_version'")
        engine.dispose()
        newer = f"schema 7, newer than this campaignflow's {SCHEMA_VERSION}"
        with pytest.raises(cf.StoreError, match=newer):
            migrate(old)
        with pytest.raises(cf.StoreError, match=newer):
            safety.campaign().open(SITES, old)

    def test_a_partly_dropped_store_names_the_reset(self, old: str) -> None:
        """Tables dropped by a list of names leave the catalogue behind: named, not taken over."""
        migrate(old)
        engine = sa.create_engine(old)
        with engine.begin() as conn:
            for table in (*LOG, "cf_meta", "cf_denials", "cf_keys"):
                conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
        engine.dispose()
        with pytest.raises(cf.StoreError, match=r"dropped in part; reset it with .*drop_schema"):
            safety.campaign().start(SITES, store=old)
        from campaignflow.store import drop_schema  # noqa: PLC0415

        drop_schema(old)
        assert safety.campaign().start(SITES, store=old).stage_of("plant-1") == "mobilise"

    def test_nothing_to_migrate_in_a_database_without_a_campaign(self, tmp_path: Path) -> None:
        """An empty file is not a store to migrate: refused, and left empty."""
        (tmp_path / "empty.db").touch()
        url = f"sqlite:///{tmp_path / 'empty.db'}"
        with pytest.raises(cf.StoreError, match="holds no campaign: nothing to migrate"):
            migrate(url)
        assert not _tables(url)

    def test_a_missing_file_is_refused_and_not_created(self, tmp_path: Path) -> None:
        """A SQLite URL naming no file is a typo more often than a database: nothing is created."""
        path = tmp_path / "typo.db"
        with pytest.raises(cf.StoreError, match="no such database file"):
            migrate(f"sqlite:///{path}")
        with pytest.raises(cf.StoreError, match="no such database file"):
            safety.campaign().open(SITES, f"sqlite:///{path}")
        assert not path.exists()

    def test_a_target_that_is_no_url_or_engine_is_a_type_error(self) -> None:
        with pytest.raises(TypeError, match="URL or Engine, got int"):
            migrate(42)  # type: ignore[arg-type]


class TestCommand:
    def test_migrate_then_read_from_the_command_line(self, old: str) -> None:
        """`verify` says to migrate (exit 3); `migrate` prints what it did; then verify and report work."""
        db = old.removeprefix("sqlite:///")
        runner = CliRunner()
        refused = runner.invoke(main, ["verify", db])
        assert refused.exit_code == 3
        assert f"run `campaignflow migrate {db}`" in refused.output
        done = runner.invoke(main, ["migrate", db])
        assert done.exit_code == 0, done.output
        assert f"schema 1 → {SCHEMA_VERSION}" in done.output
        assert all(f"applied revision {rev}" in done.output for rev in REVISIONS)
        again = runner.invoke(main, ["migrate", db])
        assert again.exit_code == 0
        assert "nothing to migrate" in again.output
        verified = runner.invoke(main, ["verify", db])
        assert verified.exit_code == 0, verified.output
        assert "ok: 19 steps of 4 units" in verified.output
        reported = runner.invoke(main, ["report", db, "--format", "json"])
        assert reported.exit_code == 0, reported.output

    def test_a_newer_schema_exits_3(self, old: str) -> None:
        """`migrate` on a newer database exits 3 with one error line naming both revisions."""
        migrate(old)
        engine = sa.create_engine(old)
        with engine.begin() as conn:
            conn.exec_driver_sql("UPDATE cf_meta SET value = '9' WHERE key = 'schema_version'")
        engine.dispose()
        result = CliRunner().invoke(main, ["migrate", old])
        assert result.exit_code == 3
        assert f"schema 9, newer than this campaignflow's {SCHEMA_VERSION}" in result.output


def test_revision_1_builds_the_tables_main_built(tmp_path: Path) -> None:
    """The frozen revision-1 DDL makes the tables (columns, keys, indexes) main's start() made."""
    by_start = f"sqlite:///{tmp_path / 'start.db'}"
    shutil.copyfile(FIXTURE, tmp_path / "start.db")
    by_script = f"sqlite:///{tmp_path / 'script.db'}"
    migrations.migrate(by_script, revision="1")

    def shape(url: str) -> dict[str, Any]:
        engine = sa.create_engine(url)
        try:
            inspector = sa.inspect(engine)
            return {
                t: (
                    [(c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(t)],
                    inspector.get_pk_constraint(t)["constrained_columns"],
                    sorted((i["name"], tuple(i["column_names"])) for i in inspector.get_indexes(t)),
                )
                for t in LOG | {"cf_meta": ""}
            }
        finally:
            engine.dispose()

    assert shape(by_script) == shape(by_start)


def test_migrate_on_postgresql(pg_fresh: str, old: str) -> None:
    """A PostgreSQL store at schema 1 (revision 1's DDL, the fixture's rows) migrates like SQLite's."""
    migrations.migrate(pg_fresh, revision="1")
    source = sa.create_engine(old)
    target = sa.create_engine(pg_fresh)
    with source.connect() as src, target.begin() as dst:
        dst.exec_driver_sql("DROP TABLE cf_version")  # schema 1 was written before the version table
        for table in ("cf_meta", *LOG):
            rows = [dict(r._mapping) for r in src.exec_driver_sql(f"SELECT * FROM {table}")]  # noqa: S608
            if table == "cf_meta":
                rows = [r for r in rows if r["key"] != "schema_version"]
            if table == "cf_evidence":
                rows = [{**r, "live": bool(r["live"])} for r in rows]
            if rows:
                dst.execute(sa.table(table, *(sa.column(k) for k in rows[0])).insert(), rows)
        for table, column in (("cf_steps", "seq"), ("cf_checkpoints", "id")):
            top = f"(SELECT max({column}) FROM {table})"  # noqa: S608 - the test's own names
            dst.exec_driver_sql(  # as the rows' own inserts would have left the sequences
                f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), {top})"
            )
    source.dispose()
    target.dispose()
    before = _rows(pg_fresh)
    with pytest.raises(cf.StoreError, match="campaignflow migrate"):
        safety.campaign().open(SITES, pg_fresh)
    done = migrate(pg_fresh)
    assert (done.before, done.after, [r for r, _ in done.applied]) == (1, SCHEMA_VERSION, REVISIONS)
    assert _rows(pg_fresh) == before
    report = safety.campaign().verify(SITES, pg_fresh)
    assert report.ok, report.problem
    assert (report.steps, report.denials) == (19, 1)
    run = safety.campaign().open(SITES, pg_fresh)
    run.record("plant-4", safety.Briefing(attendees=2), by=INSPECTOR)
    assert safety.campaign().verify(SITES, pg_fresh).ok
    assert migrate(pg_fresh).applied == ()
