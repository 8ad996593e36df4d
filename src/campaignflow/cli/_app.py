"""The command group, its exit codes, and the one way a command fails: one ``error:`` line."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from campaignflow.exceptions import (
    CampaignflowError,
    GateClosed,
    UnknownEvent,
    UnknownStage,
    UnknownUnit,
)

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

OK = 0
"""The command did what was asked and the answer is positive."""
NEGATIVE = 1
"""A negative answer: a verify mismatch, an overdue duty, a closed gate, a campaign with errors."""
USAGE = 2
"""A usage error: click's own (unknown option, bad value), or a name the input does not hold."""
UNREADABLE = 3
"""An input that cannot be read or written: a missing or foreign database, an unreadable
org file, a campaign module that fails to import or build, an unwritable ``--out``."""
INTERRUPTED = 130
"""Ctrl-C, as shells expect."""

EXIT_CODES = (
    "Exit codes (the same for every command): 0 ok; 1 a negative answer (verify mismatch, "
    "overdue duty, gate closed, campaign errors); 2 usage error; 3 an input that cannot be "
    "read or written (missing or foreign database, unreadable org file, a module that fails "
    "to import, an unwritable --out); 130 interrupted."
)


def fail(message: str, code: int = UNREADABLE) -> NoReturn:
    """Print one ``error:`` line (never wrapped) and exit with ``code``."""
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def exit_code_of(exc: CampaignflowError) -> int:
    """The exit code of an error a command met: see :data:`EXIT_CODES`."""
    from campaignflow._targets import SpecError  # noqa: PLC0415 - keep --help fast

    if isinstance(exc, GateClosed):
        return NEGATIVE
    if isinstance(exc, SpecError | UnknownUnit | UnknownEvent | UnknownStage):
        return USAGE
    return UNREADABLE


def guard(fn: Callable[[], T]) -> T:
    """Run ``fn``; what the user's input or environment caused becomes one clear line, never a traceback.

    A CampaignflowError exits with :func:`exit_code_of`, an OS error (a file that
    cannot be read or written) with 3, an interrupt (Ctrl-C) with 130.
    """
    try:
        return fn()
    except CampaignflowError as exc:
        fail(str(exc).splitlines()[0], exit_code_of(exc))
    except BrokenPipeError:
        # The reader stopped reading (`| head`): not an error of ours. Python would
        # complain again when it flushes stdout at exit, so point stdout at nothing.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(OK)
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        fail(f"{where}{exc.strerror or exc}")
    except KeyboardInterrupt:
        click.echo("interrupted: nothing half-written was left behind", err=True)
        sys.exit(INTERRUPTED)


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, epilog=EXIT_CODES)
@click.version_option(package_name="campaignflow")
def main() -> None:
    """Run, check and inspect multi-stage inspection campaigns."""


def command(**kwargs: Any) -> Callable[[F], F]:
    """``main.command``, with the exit codes in the command's ``--help``."""

    def register(fn: F) -> F:
        main.command(epilog=EXIT_CODES, **kwargs)(fn)
        return fn

    return register


CHOSEN = "campaignflow.campaign_id"  # where --campaign-id keeps its value, in the click context's meta


def _choose(ctx: click.Context, _: click.Parameter, value: str | None) -> None:
    ctx.meta[CHOSEN] = value


CAMPAIGN_ID = click.option(
    "--campaign-id",
    metavar="ID",
    default=None,
    expose_value=False,  # read by open_db from the context: every DB command takes it alike
    callback=_choose,
    help="The campaign to read when DB holds several (`campaignflow campaigns DB` lists them).",
)


def chosen_campaign() -> str | None:
    """The ``--campaign-id`` of the command running, if any."""
    ctx = click.get_current_context(silent=True)
    return None if ctx is None else ctx.meta.get(CHOSEN)


def require_one(db: str, url: str, chosen: str | None) -> str | None:
    """The campaign to read: ``chosen``, or DB's only one (``None``: it holds none).

    Several and none chosen, or a chosen id DB does not hold, is a usage error:
    one ``error:`` line, then the campaigns DB holds.
    """
    from campaignflow.cli._catalogue import listing, table  # noqa: PLC0415 - keep --help fast
    from campaignflow.store import SQLStore  # noqa: PLC0415

    held = [c.id for c in SQLStore(url).campaigns()]
    if chosen in held or (chosen is None and len(held) <= 1):
        return chosen or (held[0] if held else None)
    if chosen is None:
        line = f"{db} holds {len(held)} campaigns: choose one with --campaign-id ID"
    else:
        line = f"{db} holds no campaign {chosen!r} (--campaign-id): it holds {', '.join(map(repr, held))}"
    click.echo(f"error: {line}", err=True)
    click.echo(table(listing(url)), err=True)
    sys.exit(USAGE)


def open_db(db: str, campaign_ref: str | None, org_path: Path | None) -> tuple[Any, Any, Any]:
    """(campaign, org, store) of a database written by campaignflow, the store bound to the campaign.

    The campaign is the one ``--campaign-id`` names, or the one ``--campaign``
    builds, or the database's only one; a database holding several, none
    chosen, is a usage error listing them.
    """
    from campaignflow import _targets  # noqa: PLC0415 - keep --help fast
    from campaignflow.org.graph import Org  # noqa: PLC0415
    from campaignflow.store import SQLStore  # noqa: PLC0415

    url = _targets.store_url(db)
    chosen = chosen_campaign()
    store = None
    ref = campaign_ref
    if ref is None:
        store = SQLStore(url, campaign=require_one(db, url, chosen))
        ref = store.meta("factory")
        if ref is None:
            recorded = store.meta("campaign")  # the campaign id the store is bound to
            why = (
                f"records campaign {recorded!r} but no importable MODULE:ATTR "
                "(it was built in a script run as __main__, or inside a function's body)"
                if recorded
                else "does not record its campaign"
            )
            msg = f"{db} {why}: pass --campaign MODULE:ATTR"
            raise _targets.TargetError(msg)
    campaign = _targets.load_campaign(ref)
    org = _targets.load_org(org_path) if org_path is not None else None
    definition = campaign.build()  # bound now: reading the log decodes its evidence
    if chosen is not None and definition.id != chosen:
        given = f"--campaign {ref}" if campaign_ref else f"the recorded {ref}"
        msg = f"{given} builds campaign {definition.id!r}, not {chosen!r} (--campaign-id): pass --campaign"
        raise _targets.TargetError(msg)
    if store is None:  # --campaign named it: its id selects it
        store = SQLStore(url, campaign=definition.id)
    if org is None:
        recorded = store.meta("org")
        if recorded is None:
            msg = f"{db} does not record its org (orgs over 100,000 units are not recorded): pass --org FILE"
            raise _targets.TargetError(msg)
        org = Org.from_json(recorded)
    store.bind(definition.id, fresh=False, evidence_types=definition.evidence_types)
    return campaign, org, store


CAMPAIGN = click.option(
    "--campaign", "campaign_ref", help="MODULE:ATTR of the campaign (default: recorded in DB)."
)
ORG = click.option(
    "--org",
    "org_path",
    type=click.Path(path_type=Path),
    help="Org as JSON or units.csv (default: recorded in DB).",
)
OUT = click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE instead of stdout."
)
