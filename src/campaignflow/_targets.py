"""Resolving what the command line names: a campaign (MODULE:ATTR), an org, a store."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

from campaignflow._campaign import Campaign
from campaignflow.exceptions import CampaignflowError, StoreError
from campaignflow.org.graph import Org


class TargetError(CampaignflowError):
    """A MODULE:ATTR, org file or database named on the command line cannot be used."""


class SpecError(TargetError):
    """What the command line names is malformed (not ``MODULE:ATTR``): a usage error."""


def load_campaign(spec: str) -> Campaign:
    """The campaign named by ``MODULE:ATTR`` (a Campaign, or a zero-argument callable returning one)."""
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        msg = f"{spec!r} is not MODULE:ATTR (e.g. campaignflow.presets.mass_line:campaign)"
        raise SpecError(msg)
    # A console script does not put the working directory on sys.path, as `python -m` does;
    # users name their own modules from where they stand.
    here = str(Path.cwd())
    if here not in sys.path:
        sys.path.insert(0, here)
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # noqa: BLE001 - any failure of the user's module is one line, not a traceback
        msg = f"cannot import {module_name!r}: {type(exc).__name__}: {exc}"
        raise TargetError(msg) from None
    value: Any = getattr(module, attr, None)
    if value is None:
        msg = f"module {module_name!r} has no attribute {attr!r}"
        raise TargetError(msg)
    if not isinstance(value, Campaign) and callable(value):
        try:
            value = value()
        except CampaignflowError:
            raise
        except Exception as exc:  # noqa: BLE001 - the user's factory failing is one line, not a traceback
            msg = f"{spec}() failed: {type(exc).__name__}: {exc}"
            raise TargetError(msg) from None
    if not isinstance(value, Campaign):
        msg = f"{spec} is a {type(value).__name__}, not a Campaign or a function returning one"
        raise TargetError(msg)
    return value


def load_org(path: Path) -> Org:
    """An org from a JSON file, or a units CSV (with people.csv and edges.csv beside it)."""
    if not path.exists():
        msg = f"{path}: no such file"
        raise TargetError(msg)
    if path.suffix == ".json":
        return Org.from_json(path)
    people, edges = path.with_name("people.csv"), path.with_name("edges.csv")
    return Org.from_csv(
        path, people=people if people.exists() else None, edges=edges if edges.exists() else None
    )


def store_url(db: str) -> str:
    """An SQLAlchemy URL from a URL or a path to an existing SQLite file."""
    if "://" in db:
        return db
    if not Path(db).is_file():
        msg = f"{db}: no such database file"
        raise StoreError(msg)
    return f"sqlite:///{db}"
