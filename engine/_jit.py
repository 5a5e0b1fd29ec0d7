"""One place for numba compile options.

Every kernel in :mod:`engine` is compiled through :func:`kernel` (serial) or
:func:`parallel_kernel` (``prange`` loops), so cache, fastmath and error model
settings live here and nowhere else.  Parallel kernels must give results that
do not depend on the thread count: they only use ``prange`` over independent
output slots (no reductions whose order matters for floating point).
:func:`prefetch` is the one low-level hint kernels may use (a cache hint that
cannot change a result).
"""

from __future__ import annotations

import numba
from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic

_OPTIONS = {"cache": True, "nogil": True, "error_model": "numpy"}


def kernel(fn=None, **extra):
    """Compile ``fn`` with nichegraph's serial options (``numba.njit``)."""
    options = {**_OPTIONS, **extra}
    if fn is None:
        return lambda f: numba.njit(**options)(f)
    return numba.njit(**options)(fn)


def parallel_kernel(fn=None, **extra):
    """Compile ``fn`` with ``parallel=True``; use ``numba.prange`` inside."""
    return kernel(fn, parallel=True, **extra)


prange = numba.prange

#: How many visits ahead kernels :func:`prefetch` the next adjacency row: far enough that the row
#: arrives before it is read, near enough that it is still cached (distances 3 to 6 measured alike;
#: benchmarks/RESULTS.md, "communities").
PREFETCH_AHEAD = 4


@intrinsic
def prefetch(typingctx, arr, i):
    """Hint the CPU to load ``arr[i]`` into cache (``llvm.prefetch``, read, high locality).

    Only a hint: no effect on results, and an index past the end is harmless
    (prefetches never fault).  Kernels whose next memory access is known a
    few steps ahead but not to the hardware prefetcher (the next node of a
    random visiting order) use it to overlap that access with current work.
    """
    if not isinstance(arr, types.Array) or not isinstance(i, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [args[1]], wraparound=False)
        i8p = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")
        builder.call(fn, [builder.bitcast(ptr, i8p), ir.Constant(i32, 0), ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return types.void(arr, i), codegen
