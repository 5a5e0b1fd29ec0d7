"""One place for numba compile options.

Every kernel in :mod:`engine` is compiled through :func:`kernel` (serial) or
:func:`parallel_kernel` (``prange`` loops), so cache, fastmath and error model
settings live here and nowhere else.  Parallel kernels must give results that
do not depend on the thread count: they only use ``prange`` over independent
output slots (no reductions whose order matters for floating point).
"""

from __future__ import annotations

import numba

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
