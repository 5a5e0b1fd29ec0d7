"""The kernels a first run compiles, by signature, so that a second process can compile them too.

numba compiles one kernel at a time per process (a global compiler lock), so a first run with
an empty cache uses one core.  :data:`KERNELS` lists, in the order a first ``nichegraph demo``
compiles them, the kernels it calls from Python and their argument types; a helper process
(``python -m nichegraph.engine._warmup --reverse``, started by the CLI at its first cache miss)
compiles them from the other end into the same cache (:func:`engine._jit.cache_dir`), and the
first process loads each one the helper finished instead of compiling it.  Results cannot change:
a kernel loaded from the cache is the same compilation.

An entry that no longer matches the code (a renamed kernel, a changed signature) only costs the
helper a useless compilation; ``benchmarks/compile_profile.py --manifest`` prints the list anew
and ``tests/engine/test_first_run.py`` checks that every entry names a kernel with that many arguments.

Signature notation: ``i4``/``i8``/``u4``/``u8``/``f8``/``b1`` scalars; ``i4[]`` a C-contiguous
writable 1-D array, ``i4[]r`` a read-only one, ``f8[:,:]`` a 2-D one.
"""

from __future__ import annotations

import importlib
import re
import sys

from numba.core import types

_SCALARS: dict[str, types.Type] = {
    "i4": types.int32,
    "i8": types.int64,
    "u4": types.uint32,
    "u8": types.uint64,
    "f8": types.float64,
    "b1": types.boolean,
}
_NAMES = {v: k for k, v in _SCALARS.items()}

#: One kernel a line, in the order a first ``nichegraph demo`` compiles them (``benchmarks/compile_profile.py
#: --manifest demo`` prints it): the kernel under ``nichegraph.engine`` (``module.name``, with ``.serial`` or
#: ``.parallel`` for one variant of a serial-or-parallel pair), then its argument types.
_TABLE = """
pairs._counting_pass.serial: i4[]r, i8, i8[], i8
pairs._collapse: i4[], i4[], f8[], i8[], i8, b1
affinity._symmetric_union: i8[], i4[], f8[], i8[], i4[], f8[]
graph._self_loop_weights: i8[], i4[], f8[]
graph._row_sums: i8[], f8[]
community.partition._first_and_size: i8[]r, i8, i8
community.partition._relabel: i8[]r, i8[], i8
community._rng.block_permutation: u8[], i8, i8
community.local_moving.move_nodes: i8[], i4[], f8[], f8[], i4[], f8, i4[], f8
community._objective._compact_counted: i8[]r, i8, i8
community.refinement._refine_setup: f8[], i4[], i8, i4[], u8[]
community.refinement._refine_all.serial: i8[], i4[], f8[], f8[], i4[], i8, f8, f8, i8[], i4[], f8[], u8
community.refinement._labels_by_first_node: i4[]
community.aggregation._plan_slices: i8[], i4[], i8, i8, i8
community.aggregation._aggregate_slices.serial: i8[], i4[], f8[], i4[], i8, i8[], i4[], i8[], i8[], i8[], i4[], f8[], b1[]
community.aggregation._close_gaps: i8, i8, i8[], i8[], i8[], i4[], f8[]
community.connectivity.split_disconnected_in: i8[], i4[], i4[], b1[]
community._objective.community_totals.serial: i8[], i4[], f8[], f8[], i4[], i8
group_sums._group_sums: i8[], i4[], f8[], i8[], i8
niche_detection._arcs_by_group: i8[], i4[], i8[]
niche_detection._join_small: i8[], i4[], f8[], i8[], i8[], i8
graph._count_rows: i4[]r, i4[]r, i8, b1, b1
graph._scatter: i4[]r, i4[]r, f8[], i8[], b1, b1, i4[], f8[]
graph._sort_and_merge_rows.serial: i8[], i4[], f8[], i8[]
graph._compact: i8[], i4[], f8[], i8[]
centrality._in_csr: i8[], i4[], f8[], i8[], b1
centrality._min_max: f8[]
centrality._pr_sweep.serial: i8[], u4[], f8[], b1, b1, i8, f8[], f8[], f8, f8, f8[], f8[], f8, f8[], f8[], f8[], f8[:,:]
centrality._simple_undirected.serial: i8[], i4[], i8[], i4[]
centrality._core_numbers: i8[], i4[]
niche_centrality._module_strengths: i8[], i4[], f8[], i4[], b1
niche_centrality._intra_filter: i8[], i4[], f8[], i8[]
pagerank_push._push.serial: i8[], u4[], f8[], b1, i4[:,:], f8[], f8[], f8[]
niche_centrality._npr_finish.serial: f8[], f8[], i8[], f8[], f8[], f8, f8[], f8[], i8, f8[]
degree._mutual_counts.serial: i8[], i4[], i8[], i4[]
mutual_ties._ties.serial: i8[], i4[], i8[], i4[], f8[], i8
pairs._sort_rows.serial: i8[], i8[], i8[]r
"""


def _entry(line: str) -> tuple[str, str, str, str]:
    """``(module, kernel, variant, argument types)`` of one :data:`_TABLE` line."""
    path, sig = line.split(": ", 1)
    parts = path.split(".")
    variant = parts.pop() if parts[-1] in ("serial", "parallel") else ""
    return ".".join(parts[:-1]), parts[-1], variant, sig


#: (module under nichegraph.engine, kernel, ``serial``/``parallel`` or ``""`` for a plain kernel, argument types)
KERNELS: tuple[tuple[str, str, str, str], ...] = tuple(_entry(line) for line in _TABLE.strip().splitlines())


def parse_signature(text: str) -> tuple[types.Type, ...]:
    """Argument types of the notation above, e.g. ``"i8[], i4[]r, b1"``."""
    out: list[types.Type] = []
    for token in re.findall(r"\w+(?:\[[^\]]*\]r?)?", text):
        if "[" not in token:
            out.append(_SCALARS[token])
            continue
        name, rest = token.split("[", 1)
        dims, flag = rest.rsplit("]", 1)
        ndim = 1 if dims == "" else dims.count(":")
        out.append(types.Array(_SCALARS[name], ndim, "C", readonly=flag == "r"))
    return tuple(out)


def describe_signature(args: tuple) -> str | None:
    """The notation of numba argument types, or None when one has no notation (then it is left out)."""
    parts = []
    for a in args:
        if isinstance(a, types.Array):
            if a.layout != "C" or a.dtype not in _NAMES or not a.aligned:
                return None
            dims = "" if a.ndim == 1 else ",".join([":"] * a.ndim)
            parts.append(f"{_NAMES[a.dtype]}[{dims}]{'' if a.mutable else 'r'}")
        elif a in _NAMES:
            parts.append(_NAMES[a])
        else:
            return None
    return ", ".join(parts)


def dispatcher(module: str, name: str, variant: str):
    """The numba dispatcher of one :data:`KERNELS` entry."""
    obj = getattr(importlib.import_module(f"nichegraph.engine.{module}"), name)
    return getattr(obj, variant) if variant else obj


def compile_kernels(entries) -> int:
    """Compile (or load from the cache) every entry; return how many compiled.  A stale entry is skipped."""
    done = 0
    for module, name, variant, sig in entries:
        try:
            dispatcher(module, name, variant).compile(parse_signature(sig))
            done += 1
        except Exception:  # a stale entry (renamed kernel, changed types) must not stop the others
            continue
    return done


def main(argv: list[str] | None = None) -> None:
    """``python -m nichegraph.engine._warmup [--reverse]``: compile :data:`KERNELS` (last first with ``--reverse``)."""
    argv = sys.argv[1:] if argv is None else argv
    entries = list(reversed(KERNELS)) if "--reverse" in argv else list(KERNELS)
    compile_kernels(entries)


if __name__ == "__main__":
    main()
