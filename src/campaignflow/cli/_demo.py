"""``campaignflow demo``: the mass-line campaign simulated over Zhongmou, shown as a roll-up."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as Bar
from rich.table import Table

from campaignflow._targets import TargetError
from campaignflow.cli._app import command, guard

if TYPE_CHECKING:
    from campaignflow._demo import DemoResult, Inbox
    from campaignflow.run.run import Run

SCALES = ("county", "province", "national")


@command()
@click.option(
    "--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Seed of the simulation."
)
@click.option(
    "--db",
    default="zhongmou-demo.db",
    show_default=True,
    help="SQLite file to write (a campaignflow database there is replaced; any other file is refused). "
    "The dashboard is written beside it as NAME.html. Or a PostgreSQL URL "
    "(postgresql+psycopg://user@host/db): the demo's earlier run there is replaced, a database holding "
    "another campaign is refused, and the dashboard goes to ./mass-line-demo.html.",
)
@click.option(
    "--scale",
    type=click.Choice(SCALES),
    default="county",
    show_default=True,
    help="county: Zhongmou (362 units); province: ~60k; national: ~640k.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes simulating the provinces (the subtrees under the root) in parallel, beside "
    "this coordinator; needs a PostgreSQL --db URL (default there: 1). Per-unit random choices: the "
    "numbers differ from the one-process SQLite demo's, and not with the count of workers.",
)
def demo(seed: int, db: str, scale: str, workers: int | None) -> None:
    """Run the mass-line campaign over Zhongmou county and show the roll-up.

    Example: campaignflow demo --seed 7 --db /tmp/zhongmou.db
    """
    from campaignflow import _demo  # noqa: PLC0415 - keep --help fast

    def simulate(progress: Callable[[str, int, int], None]) -> DemoResult:
        if "://" in db:
            return _sharded(seed=seed, url=db, scale=scale, workers=workers or 1, on_progress=progress)
        if workers is not None:
            msg = (
                f"--workers {workers} needs a database server: pass --db postgresql+psycopg://user@host/db "
                "(a SQLite file takes one writer at a time)"
            )
            raise TargetError(msg)
        return _demo.run_demo(seed=seed, db=Path(db), scale=scale, on_progress=progress)

    console = Console()
    if not console.is_terminal:
        # Logs and CI read plain lines; the bar is for people at a terminal.
        def say(phase: str, done: int, total: int) -> None:
            print(f"[{done}/{total}] {phase}" if total else f"... {phase}", flush=True)

        result = guard(lambda: simulate(say))
        _show(console, result)
        return
    with Bar(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("building the org", total=None)

        def progress(phase: str, done: int, total: int) -> None:
            bar.update(task, description=phase, completed=done, total=total or None)

        result = guard(lambda: simulate(progress))
    _show(console, result)


def _sharded(
    *, seed: int, url: str, scale: str, workers: int, on_progress: Callable[[str, int, int], None]
) -> DemoResult:
    from campaignflow.cli._demo_sharded import run_sharded_demo  # noqa: PLC0415 - keep --help fast

    result, done = run_sharded_demo(seed=seed, url=url, scale=scale, workers=workers, on_progress=on_progress)
    for r in done.reports:
        rate = r.steps / r.cpu if r.cpu > 0 else 0.0
        print(
            f"shard {r.shard}: {r.units:,} units, {r.steps:,} steps, wall {r.wall:.1f} s "
            f"(waiting {r.waited:.1f} s), CPU {r.cpu:.1f} s, {rate:,.0f} steps per CPU-second",
            flush=True,
        )
    return result


def _show(console: Console, result: DemoResult) -> None:
    run = result.run
    d = run.definition
    console.print(
        f"[bold]{d.label}[/bold] over {run.org.name_of(run.org.root())}: "
        f"{len(run.org)} units, {result.steps} steps in {result.seconds:.1f} s"
    )
    console.print(result.timings(), markup=False, soft_wrap=True)
    table = Table(title=f"{result.leaf_level} units per stage, by {result.row_level}")
    table.add_column(result.row_level, no_wrap=True)
    for stage in d.leaves:
        table.add_column(d.label_of(stage)[:2], justify="right")
    table.add_column("blocked", justify="right")
    table.add_column("返工", justify="right")
    table.add_column("逾期", justify="right")  # overdue duties (visits, diaries) in the subtree
    for row in result.townships:
        table.add_row(
            row.name, *(str(n) for n in row.by_stage), str(row.blocked), str(row.sent_back), str(row.overdue)
        )
    console.print(table)
    if result.obligations is not None:
        console.print(result.obligations.explain(limit=5), markup=False, soft_wrap=True)
    if result.blocked:
        blocked = Table(title="Blocked units and why")
        blocked.add_column("unit")
        blocked.add_column("event")
        blocked.add_column("reasons")
        for b in result.blocked:
            blocked.add_row(run.org.name_of(b.unit), b.event, "\n".join(b.reasons))
        console.print(blocked)
    board = Table(title="曝光台: sent back past the limit")
    board.add_column("unit")
    board.add_column("stage")
    board.add_column("times", justify="right")
    board.add_column("last reason")
    for e in result.exposed:
        board.add_row(run.org.name_of(e.unit), d.label_of(e.stage), str(e.count), e.reason)
    console.print(board)
    for inbox in result.inboxes:
        _inbox(console, run, inbox)
    console.print(f"refused attempts: {result.refused}   send-backs: {result.sent_back}")
    console.print(f"first refusal, as a clerk reads it:\n{result.example}", markup=False, soft_wrap=True)
    console.print(f"replay check: {'ok' if result.verified else 'MISMATCH'}  database: {result.db}")
    console.print(f"dashboard: {result.dashboard.resolve()}", soft_wrap=True)


def _inbox(console: Console, run: Run, inbox: Inbox) -> None:
    """One actor's awaiting list (run.awaiting), or what its units wait on when it is empty."""
    org = run.org
    if not inbox.items:
        console.print(f"Inbox of {inbox.who}: run.awaiting() is empty; its units wait on:", markup=False)
        for action in inbox.stuck:
            reasons = "; ".join(action.waits_on)
            console.print(
                f"  {org.name_of(action.unit)} {action.label}: {reasons}", markup=False, soft_wrap=True
            )
        return
    table = Table(title=f"Inbox of {inbox.who}: run.awaiting()")
    table.add_column("unit")
    table.add_column("event")
    table.add_column("to do")
    table.add_column("since")
    table.add_column("waits on")
    for item in inbox.items:
        table.add_row(
            org.name_of(item.unit),
            item.label,
            item.action,
            item.since[:16] or "start",
            "\n".join(item.waits_on),
        )
    console.print(table)
