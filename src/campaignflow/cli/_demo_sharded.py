"""``campaignflow demo --db postgresql+psycopg://... --workers N``: the demo sharded by province.

The coordinator (this process) starts the campaign in the database and
simulates the root; ``N`` worker processes simulate the provinces (the
subtrees under the root), as ``campaignflow.presets.mass_line.shards`` does
on several hosts. Then the run is opened from the database, replayed and
summed up as the SQLite demo does.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from pathlib import Path

from campaignflow import _demo
from campaignflow._files import write_text_atomically
from campaignflow._targets import TargetError
from campaignflow.exceptions import StoreError
from campaignflow.org.graph import Org
from campaignflow.presets.mass_line import campaign as mass_line_campaign
from campaignflow.presets.mass_line import shards
from campaignflow.report.build import build_report
from campaignflow.run.clock import FixedClock
from campaignflow.store import SQLStore, drop_schema

PAGE = Path("mass-line-demo.html")
"""Where the dashboard of a demo in a database server goes (the current directory)."""


def org_of(scale: str, seed: int) -> Org:
    """The demo's org (module level: worker processes build it from this)."""
    return _demo.build_org(scale, seed)


def shown(url: str) -> str:
    """The URL without its password, to print."""
    import sqlalchemy as sa  # noqa: PLC0415 - only the database demo needs it

    return sa.make_url(url).render_as_string(hide_password=True)


def check_url(url: str, page: Path) -> None:
    """Refuse a database holding another campaign, and a page the dashboard would overwrite.

    Raises:
        TargetError: the database holds a campaign other than the demo's, or
            ``page`` exists and is not a campaignflow dashboard.
    """
    try:
        held = [c.id for c in SQLStore(url).campaigns()]
    except StoreError:
        held = []  # no campaignflow tables yet
    demo = mass_line_campaign().build().id
    others = [c for c in held if c != demo]
    if others:
        msg = (
            f"--db {shown(url)} holds campaign(s) {others}: the demo replaces only its own; "
            "pass another database"
        )
        raise TargetError(msg)
    _demo.check_page(page, "run the demo elsewhere")


def run_sharded_demo(
    *,
    seed: int,
    url: str,
    scale: str,
    workers: int,
    on_progress: Callable[[str, int, int], None],
    page: Path = PAGE,
) -> tuple[_demo.DemoResult, shards.ShardedSimulation]:
    """Simulate the campaign into the database at ``url`` with ``workers`` processes and sum it up."""
    check_url(url, page)
    started = time.perf_counter()
    on_progress("building the org", 0, 0)
    org = org_of(scale, seed)
    shards.plan(org, workers)  # a count the org cannot take is refused before anything is dropped
    drop_schema(url)  # the demo's own earlier run, if any (check_url refused anything else)
    done = shards.simulate_sharded(
        functools.partial(org_of, scale, seed),
        url,
        workers=workers,
        seed=seed,
        org=org,
        on_progress=on_progress,
    )
    seconds = time.perf_counter() - started
    run = done.run
    store = run.store
    if isinstance(store, SQLStore):
        last = _demo.finish_store(store, org)
        if last is not None:  # judged at the simulation's last step, not at its first
            run.clock = FixedClock(start=last)
    mark = time.perf_counter()
    on_progress("replay check: replaying every step from the database", 0, 0)
    report = mass_line_campaign().verify(org, url)
    phases = [("replay check", time.perf_counter() - mark)]
    mark = time.perf_counter()
    on_progress("summing up the roll-up and the duties", 0, 0)
    summed = _demo.summary(run)
    phases.append(("roll-up and duties", time.perf_counter() - mark))
    mark = time.perf_counter()
    on_progress("writing the dashboard", 0, 0)
    write_text_atomically(page, build_report(run, drill_down=True).to_html())
    phases.append(("dashboard", time.perf_counter() - mark))
    result = _demo.DemoResult(
        **summed,
        run=run,
        db=shown(url),
        seconds=seconds,
        steps=report.steps,
        refused=done.refused,
        sent_back=done.sent_back,
        example=done.example,
        verified=report.ok,
        dashboard=page,
        total=time.perf_counter() - started,
        phases=tuple(phases),
    )
    return result, done
