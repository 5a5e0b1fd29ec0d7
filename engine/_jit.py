"""One place for numba compile options.

Every kernel in :mod:`engine` is compiled through :func:`kernel` (serial) or
:func:`parallel_kernel` (``prange`` loops), so cache, fastmath and error model
settings live here and nowhere else.

Compiled kernels are cached on disk in :func:`cache_dir`, a directory keyed by
nichegraph's version and install location, with one folder per module name:
numba's own cache (``__pycache__`` next to the source) only checks the source
text and bytecode, so an upgrade that renamed a module without changing its
file (``engine.graph`` became ``nichegraph.engine.graph``) loaded entries
pickled under the old name and failed with ``No module named 'engine'``.  Parallel kernels must give results that
do not depend on the thread count: they only use ``prange`` over independent
output slots (no reductions whose order matters for floating point).
:func:`prefetch` is the one low-level hint kernels may use (a cache hint that
cannot change a result).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
from importlib import metadata
from pathlib import Path

import numba
import numpy as np
from llvmlite import ir
from numba.core import caching, cgutils, types
from numba.extending import intrinsic

_OPTIONS = {"nogil": True, "error_model": "numpy"}


@functools.cache
def cache_dir() -> Path:
    """Where compiled kernels are cached: ``<root>/<version>-<install hash>``.

    ``<root>`` is ``$NICHEGRAPH_CACHE_DIR``, else ``$NUMBA_CACHE_DIR/nichegraph``,
    else ``$XDG_CACHE_HOME/nichegraph/numba`` (``~/.cache/nichegraph/numba``).
    The version and a hash of this package's folder keep two installs, or an
    upgrade and what it replaced, from reading each other's entries.
    """
    if os.environ.get("NICHEGRAPH_CACHE_DIR"):
        root = Path(os.environ["NICHEGRAPH_CACHE_DIR"])
    elif os.environ.get("NUMBA_CACHE_DIR"):
        root = Path(os.environ["NUMBA_CACHE_DIR"]) / "nichegraph"
    else:
        root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "nichegraph" / "numba"
    try:
        version = metadata.version("nichegraph")
    except metadata.PackageNotFoundError:
        version = "unknown"
    where = hashlib.sha256(str(Path(__file__).resolve().parent).encode()).hexdigest()[:12]
    return root / f"{version}-{where}"


class _ModuleCacheLocator(caching._SourceFileBackedLocatorMixin, caching._CacheLocator):
    """numba cache locator: :func:`cache_dir` / the function's module name (``nichegraph.engine.graph``).

    The source stamp (numba's check that the file did not change) comes from the mixin.
    ``variant`` tells the serial and parallel compilations of one function apart (numba's
    index key has the signature and bytecode but not the options, so they would share entries).
    """

    variant = ""

    def __init__(self, py_func, py_file):
        self._py_file = py_file
        self._lineno = py_func.__code__.co_firstlineno
        self._cache_path = str(cache_dir() / py_func.__module__)

    def get_cache_path(self):
        return self._cache_path

    def get_disambiguator(self):
        return f"{self._lineno}{self.variant}"


def _function_cache(variant: str) -> type:
    locator = type(f"_ModuleCacheLocator{variant}", (_ModuleCacheLocator,), {"variant": variant})
    impl = type(f"_ModuleCacheImpl{variant}", (caching.CompileResultCacheImpl,), {"_locator_classes": [locator]})
    return type(f"_ModuleFunctionCache{variant}", (caching.FunctionCache,), {"_impl_class": impl})


_CACHES = {False: _function_cache(""), True: _function_cache("-parallel")}


def _cached(dispatcher):
    """Give ``dispatcher`` the :func:`cache_dir` cache (what ``cache=True`` does, with our locator)."""
    parallel = bool(dispatcher.targetoptions.get("parallel"))
    # no writable cache directory (RuntimeError): compile in every process, as without cache=True
    with contextlib.suppress(RuntimeError):
        dispatcher._cache = _CACHES[parallel](dispatcher.py_func)
    return dispatcher


def kernel(fn=None, **extra):
    """Compile ``fn`` with nichegraph's serial options (``numba.njit``), cached in :func:`cache_dir`."""
    options = {**_OPTIONS, **extra}
    if fn is None:
        return lambda f: _cached(numba.njit(**options)(f))
    return _cached(numba.njit(**options)(fn))


def parallel_kernel(fn=None, **extra):
    """Compile ``fn`` with ``parallel=True``; use ``numba.prange`` inside."""
    return kernel(fn, parallel=True, **extra)


prange = numba.prange


def read_only(a, dtype) -> np.ndarray:
    """``a`` as a C-contiguous read-only array of ``dtype`` for a kernel that only reads it.

    numba compiles a kernel once per argument type, and a read-only array (a column of a
    frozen result, an Arrow buffer) is another type than a writable one: passing every input
    through here gives a kernel one signature.  Only a dtype or layout change copies; a
    writable array becomes a read-only view (no copy).
    """
    a = np.ascontiguousarray(a, dtype=dtype)
    if a.flags.writeable:
        a = a.view()
        a.flags.writeable = False
    return a


#: Work items (arcs, usually) from which :class:`SerialOrParallel` runs the parallel compilation.
#: Below it the serial one runs: same results (parallel kernels never depend on the thread count),
#: and a small graph gains nothing from threads but would pay seconds to compile them (the first
#: ``nichegraph demo`` spent most of its compile time on parallel variants).
PARALLEL_MIN_WORK = 200_000


class SerialOrParallel:
    """One function compiled serially (:func:`kernel`) and with ``prange`` (:func:`parallel_kernel`).

    Each variant is compiled the first time it is picked, so a run on small graphs never
    compiles the parallel one.  Call ``.pick(work)(...)`` with the size of the work.
    """

    def __init__(self, fn, **extra):
        self.serial = kernel(fn, **extra)
        self.parallel = parallel_kernel(fn, **extra)
        self.__doc__ = fn.__doc__
        self.__name__ = fn.__name__

    def pick(self, work: int):
        """The parallel dispatcher for ``work >= PARALLEL_MIN_WORK``, else the serial one."""
        return self.parallel if work >= PARALLEL_MIN_WORK else self.serial


def serial_or_parallel(fn=None, **extra):
    """Decorator: :class:`SerialOrParallel` of ``fn``."""
    if fn is None:
        return lambda f: SerialOrParallel(f, **extra)
    return SerialOrParallel(fn, **extra)


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
