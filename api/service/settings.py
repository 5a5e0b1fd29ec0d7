"""Service settings, built by a function (never at import) from arguments and the environment.

Every setting can come from a keyword argument (what ``nichegraph serve`` passes)
or from an environment variable ``NICHEGRAPH_<NAME>``; arguments win.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace


@dataclass(frozen=True)
class Settings:
    """Everything the HTTP service needs to know, fixed for the life of one app.

    Attributes
    ----------
    store : str
        DuckDB path or Neo4j URI holding the analysis runs.
    api_keys_file : str or None
        File of hashed API keys (see :mod:`api.service.security`); ``None`` with
        no ``api_keys`` means the API is open.
    api_keys : str or None
        The same entries inline (``NICHEGRAPH_API_KEYS``), separated by ``;``.
    cors_origins : tuple of str
        Origins allowed by CORS (``*`` for any); empty disables CORS headers.
    default_page_size, max_page_size : int
        Page size when ``limit`` is not given, and the largest allowed.
    max_query_bytes : int
        Longest accepted query string (414 above it).
    max_body_bytes : int
        Largest accepted request body (413 above it).
    rate_limit : float
        Sustained requests per second per API key (per client address when keys
        are off); ``0`` disables rate limiting.
    rate_burst : int
        Token bucket size: requests allowed at once before the rate applies.
    poll_seconds : float
        How often the newest run is checked; ``0`` disables polling.
    cache_max_age : int
        ``Cache-Control: max-age`` for run-based responses, in seconds.
    mutuals : bool
        Load the run's ``mutuals`` table to answer "strongest mutual
        connections" on the account endpoint.
    auth_failure_rate : float
        Per client address, key derivations allowed per second once the burst
        is spent (a successful one is not counted, so this bounds failed
        attempts); over it, 429 without any work.  Only PBKDF2 keys need
        derivations: SHA-256 keys and keys seen before cost one hash.
    auth_failure_burst : int
        Failed-attempt bucket size per client address.
    key_check_threads : int
        Threads that derive PBKDF2 keys, off the event loop (a bounded pool).
    auth_failure_delay : float
        Seconds a request with a wrong key (or refused for too many wrong
        ones) waits before its 401/429/503: a client that guesses keys gets
        one answer per delay per connection, so a flood of guesses cannot
        keep the event loop busy.  The wait is asynchronous (costs nothing).
    cursor_secret : str or None
        Secret that signs pagination cursors; every worker process must share
        it.  ``None``: a random secret per process (``nichegraph serve
        --workers N`` makes one shared secret when none is given).
    plan_workers : int
        Campaign plans computed at once (worker threads, off the event loop).
    plan_queue : int
        Plans admitted at once, running or waiting; more get 503 with ``Retry-After``.
    plan_per_key : int
        Plans one API key (or client address) may have admitted at once; more get 429.
    plan_budget_seconds, plan_budget_window : float
        Per key, at most ``plan_budget_seconds`` of plan compute time per
        ``plan_budget_window`` seconds (a token bucket charged with each plan's
        measured time); over it, 429 with ``Retry-After``.
    """

    store: str = "nichegraph.duckdb"
    api_keys_file: str | None = None
    api_keys: str | None = None
    cors_origins: tuple[str, ...] = ()
    default_page_size: int = 50
    max_page_size: int = 500
    max_query_bytes: int = 4096
    max_body_bytes: int = 1 << 20
    rate_limit: float = 50.0
    rate_burst: int = 100
    poll_seconds: float = 10.0
    cache_max_age: int = 10
    mutuals: bool = True
    auth_failure_rate: float = 1.0
    auth_failure_burst: int = 10
    key_check_threads: int = 1
    auth_failure_delay: float = 1.0
    cursor_secret: str | None = field(default=None, repr=False)
    plan_workers: int = 2
    plan_queue: int = 8
    plan_per_key: int = 2
    plan_budget_seconds: float = 30.0
    plan_budget_window: float = 60.0
    extra: dict = field(default_factory=dict)


def _coerce(kind: type | str, raw: str):
    kind = str(kind)
    if "tuple" in kind:
        return tuple(s.strip() for s in raw.split(",") if s.strip())
    if "bool" in kind:
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if "float" in kind:
        return float(raw)
    if "int" in kind:
        return int(raw)
    return raw


def load_settings(env: Mapping[str, str] | None = None, **overrides) -> Settings:
    """Build :class:`Settings` from ``NICHEGRAPH_*`` environment variables and ``overrides``.

    Parameters
    ----------
    env : mapping, optional
        The environment to read (``os.environ`` by default).
    **overrides
        Values that win over the environment; ``None`` values are ignored.

    Raises
    ------
    ValueError
        When a value is out of range (names the setting and the reason).
    """
    env = os.environ if env is None else env
    values: dict = {}
    for f in fields(Settings):
        if f.name == "extra":
            continue
        raw = env.get(f"NICHEGRAPH_{f.name.upper()}")
        if raw is not None and raw != "":
            try:
                values[f.name] = _coerce(f.type, raw)
            except ValueError as exc:
                raise ValueError(f"NICHEGRAPH_{f.name.upper()}={raw!r}: {exc}") from None
    for key, value in overrides.items():
        if value is not None:
            if key == "cors_origins" and isinstance(value, str):
                value = _coerce("tuple", value)
            values[key] = tuple(value) if key == "cors_origins" else value
    settings = replace(Settings(), **values)
    _check(settings)
    return settings


def _check(s: Settings) -> None:
    from nichegraph.graph_store import is_neo4j_uri, parse_neo4j_uri

    if is_neo4j_uri(s.store):
        parse_neo4j_uri(s.store)  # a malformed URI ends serve at once instead of failing every poll
    if not 1 <= s.default_page_size <= s.max_page_size:
        raise ValueError(
            f"default_page_size {s.default_page_size} must be between 1 and max_page_size {s.max_page_size}"
        )
    if s.max_page_size > 10_000:
        raise ValueError(f"max_page_size {s.max_page_size} is above 10000")
    if s.rate_limit < 0 or s.rate_burst < 1:
        raise ValueError("rate_limit must be >= 0 and rate_burst >= 1")
    if s.poll_seconds < 0:
        raise ValueError("poll_seconds must be >= 0")
    if s.auth_failure_rate <= 0 or s.auth_failure_burst < 1:
        raise ValueError("auth_failure_rate must be > 0 and auth_failure_burst >= 1")
    if not 0 <= s.auth_failure_delay <= 60:
        raise ValueError(f"auth_failure_delay {s.auth_failure_delay} must be between 0 and 60 seconds")
    if not 1 <= s.key_check_threads <= 64:
        raise ValueError(f"key_check_threads {s.key_check_threads} must be between 1 and 64")
    if s.cursor_secret is not None and len(s.cursor_secret) < 16:
        raise ValueError("cursor_secret must be at least 16 characters")
    if s.plan_workers < 1 or s.plan_queue < s.plan_workers or s.plan_per_key < 1:
        raise ValueError("plan_workers and plan_per_key must be >= 1 and plan_queue >= plan_workers")
    if s.plan_budget_seconds <= 0 or s.plan_budget_window <= 0:
        raise ValueError("plan_budget_seconds and plan_budget_window must be > 0")
    if s.max_query_bytes < 256 or s.max_body_bytes < 1024:
        raise ValueError("max_query_bytes must be >= 256 and max_body_bytes >= 1024")
