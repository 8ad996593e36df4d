"""Every store error reaches the caller as a CampaignflowError, with the driver's message kept."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

import campaignflow as cf
from campaignflow.store import SQLStore

ACTOR = cf.Actor(id="op")


def _campaign() -> cf.Campaign:
    c = cf.Campaign("errors")
    c.stages("a", "b")
    c.transition("go", "a", "b")
    return c


class TestPostgreSQL:
    @pytest.mark.parametrize("bulk", [False, True])
    def test_a_lock_timeout_is_a_store_error_with_the_drivers_message(
        self, pg_fresh: str, bulk: bool
    ) -> None:
        """A write that waits past lock_timeout raises StoreError naming the lock, not psycopg's error."""
        units = [f"u{i}" for i in range(5)]
        _campaign().start(units, store=pg_fresh)
        engine = sa.create_engine(pg_fresh, connect_args={"options": "-c lock_timeout=200"})
        run = _campaign().open(units, SQLStore(engine))
        holder = sa.create_engine(pg_fresh)
        locked, release = threading.Event(), threading.Event()

        def hold() -> None:
            with holder.begin() as conn:
                conn.exec_driver_sql("LOCK TABLE cf_steps, cf_units IN ACCESS EXCLUSIVE MODE")
                locked.set()
                release.wait(30)

        thread = threading.Thread(target=hold)
        thread.start()
        try:
            assert locked.wait(30)
            write = (
                (lambda: run.fire_many(units, "go", by=ACTOR))
                if bulk
                else (lambda: run.fire("u0", "go", by=ACTOR))
            )
            with pytest.raises(cf.StoreError, match="lock timeout") as raised:
                write()
            assert not isinstance(raised.value, cf.ConcurrentUpdate)
        finally:
            release.set()
            thread.join()
            engine.dispose()
            holder.dispose()
        assert _campaign().verify(units, pg_fresh).ok

    def test_an_oversize_unit_id_is_refused_before_the_store(self, pg_fresh: str) -> None:
        """A unit id wider than the id columns is an OrgError at load, never StringDataRightTruncation."""
        with pytest.raises(cf.OrgError, match="keep ids to 200 characters"):
            _campaign().start(["u" * 201], store=pg_fresh)
