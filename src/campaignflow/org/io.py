"""Reading and writing an organisation as CSV and JSON files."""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from os import PathLike
from pathlib import Path
from typing import Any

from campaignflow.exceptions import OrgError
from campaignflow.org.build import (
    CONTACTS,
    SUPERVISES,
    Builder,
    EdgeRow,
    PersonRow,
    UnitRow,
    Where,
    clean_id,
    parse_bool,
    parse_roles,
    working_group_row,
)
from campaignflow.org.bulk import gc_paused

MAX_JSON_BYTES = 50 * 1024 * 1024
MAX_JSON_DEPTH = 64
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(row: Mapping[str, str | None], key: str) -> str:
    return unescape_cell((row.get(key) or "").strip())


def _rows(path: str | PathLike[str], required: tuple[str, ...]) -> Any:
    """Yield ``(line, row)`` of a CSV file, checking its header."""
    name = str(path)
    if not isinstance(path, str | PathLike) or not Path(path).is_file():
        raise OrgError("cannot read: no such file", path=name)
    with Path(path).open(encoding="utf-8-sig", newline="") as handle:
        try:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            missing = [c for c in required if c not in header]
            if missing:
                raise OrgError(
                    f"missing column(s) {', '.join(missing)}; the header must start "
                    f"{','.join(required)} (found {','.join(header) or 'nothing'})",
                    path=name,
                    line=1,
                )
            for row in reader:
                yield reader.line_num, row
        except UnicodeDecodeError:
            raise OrgError("not UTF-8 text: save the file as UTF-8", path=name) from None
        except csv.Error as exc:
            raise OrgError(f"malformed CSV: {exc}", path=name) from None


@gc_paused()
def read_csv(
    builder: Builder,
    units: str | PathLike[str],
    people: str | PathLike[str] | None,
    edges: str | PathLike[str] | None,
) -> None:
    """Fill ``builder`` from the units, edges and people files."""
    for line, row in _rows(units, ("id", "parent", "level")):
        where = Where(path=str(units), line=line)
        uid = clean_id(_cell(row, "id"), "unit id", where)
        parent_raw = _cell(row, "parent")
        builder.unit(
            UnitRow(
                id=uid,
                parent=clean_id(parent_raw, "parent id", where) if parent_raw else None,
                level=clean_id(_cell(row, "level"), "level", where),
                name=_cell(row, "name") or uid,
                pilot=parse_bool(row.get("pilot"), where),
                where=where,
            )
        )
    if edges is not None:
        for line, row in _rows(edges, ("source", "target", "type")):
            where = Where(path=str(edges), line=line)
            kind = _cell(row, "type")
            source = clean_id(_cell(row, "source"), "source id", where)
            name = _cell(row, "name")
            if kind == SUPERVISES:
                builder.group(source, name, where)
            elif kind != CONTACTS:
                raise where.error(f"unknown edge type {kind!r}: use 'supervises' or 'contacts'")
            builder.edges.append(
                EdgeRow(
                    source=source,
                    target=clean_id(_cell(row, "target"), "target id", where),
                    type=kind,
                    name=name,
                    where=where,
                )
            )
    if people is not None:
        for line, row in _rows(people, ("id", "name", "unit", "roles")):
            where = Where(path=str(people), line=line)
            builder.people.append(
                PersonRow(
                    id=clean_id(_cell(row, "id"), "person id", where),
                    name=_cell(row, "name"),
                    unit=clean_id(_cell(row, "unit"), "unit id", where),
                    roles=parse_roles(row.get("roles") or "", where),
                    where=where,
                )
            )


def _depth(value: object, limit: int) -> int:
    """Nesting depth of parsed JSON, stopping once past ``limit``."""
    stack: list[tuple[object, int]] = [(value, 1)]
    deepest = 0
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
    return deepest


def _text(source: str | PathLike[str]) -> tuple[str, str | None]:
    """The JSON text of a path, or of a string that is the document itself."""
    if isinstance(source, str) and source.lstrip().startswith("{"):
        if len(source.encode()) > MAX_JSON_BYTES:
            raise OrgError(f"the document is larger than {MAX_JSON_BYTES} bytes")
        return source, None
    path = str(source)
    if not path.strip():
        raise OrgError("no org document: give a file path or the JSON text itself")
    file = Path(source)
    try:
        size = file.stat().st_size
        if size > MAX_JSON_BYTES:
            raise OrgError(f"{size} bytes is more than the {MAX_JSON_BYTES} allowed", path=path)
        return file.read_text(encoding="utf-8-sig"), path
    except OSError as exc:  # missing, a directory, unreadable, a name too long
        raise OrgError(f"cannot read: {exc.strerror or exc}", path=path) from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise OrgError(f"cannot read as UTF-8 text: {exc}", path=path) from None


def read_json(
    source: str | PathLike[str] | Mapping[str, Any],
) -> tuple[Mapping[str, Any], str | None]:
    """Parse an org document: a mapping, a path, or JSON text."""
    path = None
    if isinstance(source, Mapping):
        data: object = source
    else:
        text, path = _text(source)
        try:
            data = json.loads(text)
        except RecursionError:
            raise OrgError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels", path=path) from None
        except json.JSONDecodeError as exc:
            where = f"line {exc.lineno}, column {exc.colno}"
            raise OrgError(f"malformed JSON: {exc.msg} ({where})", path=path) from None
    if _depth(data, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
        raise OrgError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels", path=path)
    if not isinstance(data, Mapping):
        raise OrgError("an org document must be a JSON object with a 'units' list", path=path)
    for key in ("units", "people", "groups", "contacts"):
        value = data.get(key, [])
        if value is not None and not isinstance(value, list):
            raise OrgError(f"{key!r} must be a list", path=path)
        if any(not isinstance(v, Mapping) for v in value or ()):
            raise OrgError(f"every entry of {key!r} must be an object", path=path)
    return data, path


def escape_cell(value: object) -> str:
    """A CSV cell that spreadsheets will show, not execute."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def unescape_cell(text: str) -> str:
    """Undo :func:`escape_cell` (a leading ``'`` before a formula character)."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_START) else text


def write_csv(data: Mapping[str, Any], directory: Path) -> tuple[Path, Path, Path]:
    """Write an org's three CSV files into ``directory`` from its ``Org.to_dict()`` data.

    The readers and this writer know rows, not the graph: ``org.graph`` builds
    the graph from what they return, so this module never imports it.
    """
    directory.mkdir(parents=True, exist_ok=True)
    units_path = directory / "units.csv"
    people_path = directory / "people.csv"
    edges_path = directory / "edges.csv"
    with units_path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "parent", "level", "name", "pilot"])
        for u in data["units"]:
            w.writerow(
                [
                    escape_cell(u["id"]),
                    escape_cell(u["parent"] or ""),
                    escape_cell(u["level"]),
                    escape_cell(u["name"]),
                    "1" if u["pilot"] else "0",
                ]
            )
    with edges_path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["source", "target", "type", "name"])
        for g in data["groups"]:
            for target in g["supervises"]:
                w.writerow([escape_cell(g["id"]), escape_cell(target), SUPERVISES, escape_cell(g["name"])])
        for c in data["contacts"]:
            w.writerow([escape_cell(c["person"]), escape_cell(c["unit"]), CONTACTS, ""])
    with people_path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "name", "unit", "roles"])
        for p in data["people"]:
            w.writerow(
                [
                    escape_cell(p["id"]),
                    escape_cell(p["name"]),
                    escape_cell(p["unit"]),
                    ";".join(p["roles"]),
                ]
            )
    return units_path, people_path, edges_path


def read_working_groups(builder: Builder, path: str | PathLike[str]) -> None:
    """Fill ``builder``'s working groups from ``id,name,leader,members,units`` (lists separated by ``;``)."""
    for line, row in _rows(path, ("id", "leader", "members", "units")):
        where = Where(path=str(path), line=line)
        data = {k: _cell(row, k) for k in ("id", "name", "leader", "members", "units")}
        builder.working.append(working_group_row(data, where))
