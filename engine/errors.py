"""The engine's exception hierarchy: raised, never returned as status fields."""

from __future__ import annotations


class EngineError(Exception):
    """Base class for every error raised by :mod:`engine`."""


class GraphInputError(EngineError, ValueError):
    """Arrays given to a graph constructor or an algorithm are not usable.

    The message says which argument is wrong and how to fix it.
    """


class NotConverged(EngineError, RuntimeError):
    """An iterative method did not reach its tolerance within ``max_iter``."""
