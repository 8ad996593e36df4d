"""Writing the user's files whole or not at all: a reader never sees half a page."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from campaignflow._targets import TargetError


def write_text_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file beside it: a reader never sees half of it.

    Raises:
        TargetError: the file cannot be written (missing folder, no permission, disk full),
            naming the path and the reason; nothing is left at ``path``'s temporary name.
    """
    write_lines_atomically(path, (text,))


def write_lines_atomically(path: Path, lines: Iterable[str]) -> int:
    """Stream ``lines`` into ``path`` through a temporary file beside it; returns the lines written.

    Raises:
        TargetError: the file cannot be written, naming the path and the reason;
            nothing is left at ``path`` or at its temporary name.
    """
    temp = path.with_name(f".{path.name}.partial")
    n = 0
    try:
        with temp.open("w", encoding="utf-8", newline="") as f:
            for line in lines:
                f.write(line)
                n += 1
        temp.replace(path)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        msg = f"cannot write {path}: {exc.strerror or exc}"
        raise TargetError(msg) from None
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return n
