"""Shared test set-up: hypothesis profiles and small fixtures."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from hypothesis import HealthCheck, settings

import campaignflow as cf

# No profile lets the machine's speed fail a test: no deadline, no too_slow health check.
settings.register_profile("dev", max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "ci",
    max_examples=100,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("fuzz", max_examples=5_000, deadline=None, suppress_health_check=list(HealthCheck))
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


@pytest.fixture
def clock() -> cf.FixedClock:
    """A clock that starts on 2014-02-24 and stands still unless advanced."""
    return cf.FixedClock()


@pytest.fixture
def admin() -> cf.Actor:
    """An actor with every role used in the tests and the whole org in scope."""
    return cf.Actor(id="admin", roles={"secretary", "inspector", "clerk", "supervisor"})


@pytest.fixture(autouse=True)
def _quiet_structlog() -> object:
    """Leave structlog unconfigured after each test, as a host app that never set it up."""
    yield
    structlog.reset_defaults()


def system_program(script: str, what: str) -> str:
    """The path a scripts/ installer prints (it installs the Debian package when missing, as root).

    In CI (CI=true) a program that cannot be had fails the test; elsewhere it skips.
    """
    done = subprocess.run(
        ["bash", str(Path(__file__).resolve().parent.parent / "scripts" / script)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        message = f"no {what}: {done.stderr.strip()[-300:]}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return done.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A throwaway PostgreSQL server (scripts/pg.sh), for the whole session.

    In CI (CI=true) a server that cannot start fails the tests; elsewhere they skip.
    """
    script = Path(__file__).resolve().parent.parent / "scripts" / "pg.sh"
    # Not under pytest's private tmp dir: the server's own user must reach it.
    data = Path(tempfile.mkdtemp(prefix="campaignflow-pg-", dir="/tmp"))
    done = subprocess.run(
        ["bash", str(script), "start", str(data)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        message = f"PostgreSQL did not start: {done.stderr.strip()[-500:]}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield done.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run(["bash", str(script), "stop", str(data)], capture_output=True, check=False)
        shutil.rmtree(data, ignore_errors=True)


def reset_pg(url: str) -> None:
    """Drop campaignflow's tables, and the app tables tests create, from the database at ``url``."""
    import sqlalchemy as sa  # noqa: PLC0415 - only the PostgreSQL tests need it here

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        # Every campaign's tables (cf_, cf_<n>_), the catalogue and the version table.
        found = conn.execute(
            sa.text(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE :p"
            ),
            {"p": "cf\\_%"},
        ).scalars()
        names = [*(f'"{name}"' for name in found), "app_notes"]
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {', '.join(names)}")
    engine.dispose()


@pytest.fixture
def pg_fresh(pg_url: str) -> str:
    """The PostgreSQL URL with campaignflow's tables (and test app tables) dropped before the test."""
    reset_pg(pg_url)
    return pg_url
