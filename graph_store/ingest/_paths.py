"""Checks on the paths of a load, made before any input is parsed or anything is written.

The rejects file is the only file a load writes besides the store, so it must never be
the store itself (its DuckDB file or write-ahead log) or one of the inputs, under any
spelling: relative, absolute, through a symbolic link or as a hard link to the same file.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from ..errors import StoreError


class RejectsPathError(StoreError, ValueError):
    """``--rejects`` names a file a load must not write (the store, an input) or cannot write."""


def _store_files(store_location: str | None) -> list[Path]:
    if not store_location or store_location == ":memory:" or "://" in store_location:
        return []
    base = Path(store_location)
    return [base, Path(f"{store_location}.wal")]


def _same_file(a: Path, b: Path) -> bool:
    """True when ``a`` and ``b`` name one file (same inode where both exist, same resolved path otherwise)."""
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return a.resolve() == b.resolve()


def check_rejects_path(
    rejects: str | os.PathLike | None, inputs: Iterable[str | os.PathLike] = (), store_location: str | None = None
) -> None:
    """Refuse a ``--rejects`` path that would destroy data or fail only after the whole parse.

    Parameters
    ----------
    rejects : path, optional
        The rejects CSV to be written (None: nothing to check).
    inputs : iterable of paths
        The load's input files; the rejects file may be none of them.
    store_location : str, optional
        The store's ``--store`` value; a DuckDB file (and its ``.wal``) may not be the rejects file.

    Raises
    ------
    RejectsPathError
        With the reason: same file as the store / an input, a folder, a missing or unwritable folder.
    """
    if rejects is None:
        return
    target = Path(rejects)
    shown = str(rejects)
    for store_file in _store_files(store_location):
        if _same_file(target, store_file):
            raise RejectsPathError(
                f"--rejects {shown} is the store's file ({store_file}); writing it would "
                "destroy the store. Give a new file name, e.g. rejects.csv"
            )
    for p in inputs:
        if _same_file(target, Path(p)):
            raise RejectsPathError(
                f"--rejects {shown} is the input file {p}; writing it would overwrite your "
                "data. Give a new file name, e.g. rejects.csv"
            )
    if target.is_dir():
        raise RejectsPathError(f"--rejects {shown} is a folder; give a file name inside it")
    parent = target.parent
    if not parent.is_dir():
        raise RejectsPathError(f"--rejects {shown}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise RejectsPathError(f"--rejects {shown}: no permission to write there")
