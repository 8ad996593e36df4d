"""Shared test set-up: hypothesis profiles and small fixtures."""

from __future__ import annotations

import os

import pytest
import structlog
from hypothesis import HealthCheck, settings

import campaignflow as cf

settings.register_profile("dev", max_examples=50, deadline=None)
settings.register_profile(
    "ci",
    max_examples=100,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
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
