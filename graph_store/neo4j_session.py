"""Sessions on a Neo4j driver: managed transactions, retried across lost connections.

Every failure leaves this module as a :class:`graph_store.errors.StoreError` that names
the server and what was being done.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from .errors import StoreError

try:  # a core dependency; the message covers installs that left it out
    import neo4j
    from neo4j import exceptions as neo4j_errors
except ImportError as _exc:  # pragma: no cover - exercised only without the extra
    raise StoreError("the Neo4j store needs the `neo4j` package: pip install neo4j neo4j-rust-ext") from _exc

_log = logging.getLogger(__name__)


def open_driver(
    uri: str,
    *,
    user: str | None,
    password: str | None,
    max_retry_time: float,
    connection_timeout: float,
    **driver_options: Any,
) -> neo4j.Driver:
    """A driver to ``uri`` whose server answered; bad credentials, URIs and servers as :class:`StoreError`.

    The server's notifications about statements (deprecations, performance hints, schema notes)
    stay on: the driver reports them, so a statement that stops being right shows up instead of
    failing later (the store's statements raise none: tests/store/test_neo4j_notifications.py).
    Only ``UNRECOGNIZED`` is off: "the property ``weight`` does not exist" depends on the data
    (a database whose events all have the default weight stores none), not on the statement.
    """
    auth = (user or "neo4j", password or "") if (user or password) else None
    try:
        driver = neo4j.GraphDatabase.driver(
            uri,
            auth=auth,
            max_transaction_retry_time=max_retry_time,
            connection_timeout=connection_timeout,
            notifications_disabled_classifications=driver_options.pop(
                "notifications_disabled_classifications", ["UNRECOGNIZED"]
            ),
            liveness_check_timeout=driver_options.pop("liveness_check_timeout", 30.0),
            **driver_options,
        )
        driver.verify_connectivity()
    except neo4j_errors.AuthError as exc:
        raise StoreError(
            f"Neo4j at {uri} refused the credentials (set NICHEGRAPH_NEO4J_USER / "
            f"NICHEGRAPH_NEO4J_PASSWORD): {exc.message}"
        ) from exc
    except (neo4j_errors.ServiceUnavailable, OSError) as exc:
        raise StoreError(f"cannot reach Neo4j at {uri}: {exc}") from exc
    except (neo4j_errors.ConfigurationError, ValueError) as exc:
        raise StoreError(f"bad Neo4j URI {uri!r}: {exc}") from exc
    return driver


def records_as_dicts(result: neo4j.Result) -> list[dict]:
    """The records as dicts.

    ``Record.data()`` would walk every element of every list value to convert graph objects,
    which none of the store's statements return.
    """
    return [dict(zip(r.keys(), r)) for r in result]


class Sessions:
    """Managed read and write transactions on one driver, each retried as a whole.

    Parameters
    ----------
    driver : neo4j.Driver
        An open driver (not closed here).
    location : str
        The URI, for messages.
    database : str, optional
        Database name (the server default when None).
    max_retry_time : float
        Seconds to keep retrying a transaction whose connection was lost.
    tx_timeout : float
        Server-side limit for one transaction (a stuck lock wait ends as an error instead of
        hanging the caller).
    """

    def __init__(
        self, driver: neo4j.Driver, location: str, *, database: str | None, max_retry_time: float, tx_timeout: float
    ):
        self.driver = driver
        self.location = location
        self.database = database
        self.max_retry_time = float(max_retry_time)
        self.tx_timeout = float(tx_timeout)

    def session(self, write: bool = True) -> neo4j.Session:
        return self.driver.session(
            database=self.database, default_access_mode=neo4j.WRITE_ACCESS if write else neo4j.READ_ACCESS
        )

    def retrying(self, fn: Callable[[], Any], what: str) -> Any:
        """Call ``fn`` (a managed transaction), retrying lost connections with backoff.

        The driver retries transient errors itself but not a commit whose outcome is
        unknown (``IncompleteCommit``), nor a server that stays away longer than its
        own retry window.  Every statement the store runs is idempotent, so running it
        again is always safe.
        """
        deadline = time.monotonic() + self.max_retry_time
        delay = 0.5
        while True:
            try:
                return fn()
            except (neo4j_errors.ServiceUnavailable, neo4j_errors.SessionExpired) as exc:
                # IncompleteCommit is a ServiceUnavailable
                if time.monotonic() + delay > deadline:
                    raise
                _log.warning(
                    "Neo4j %s: %s lost the connection (%s); retrying in %.1fs", self.location, what, exc, delay
                )
                time.sleep(delay)
                delay = min(delay * 2, 8.0)

    def transaction(self, work: Callable[[neo4j.ManagedTransaction], Any], *, write: bool, what: str) -> Any:
        """``work(tx)`` in one managed transaction (retried as a whole); errors as :class:`StoreError`."""
        unit = neo4j.unit_of_work(timeout=self.tx_timeout)(work)

        def once() -> Any:
            with self.session(write) as s:
                return s.execute_write(unit) if write else s.execute_read(unit)

        with self.errors(what):
            return self.retrying(once, what)

    def write(
        self, query: str, params: dict | None = None, *, what: str = "write", retry_query: str | None = None
    ) -> list[dict]:
        """Run one statement in its own write transaction; its records as dicts.

        ``retry_query``: the idempotent statement to use on every attempt after the first
        (the first may be a faster plain ``CREATE`` whose commit outcome could be unknown).
        """
        attempts = [0]

        def work(tx: neo4j.ManagedTransaction) -> list[dict]:
            q = query if attempts[0] == 0 or retry_query is None else retry_query
            if attempts[0]:
                _log.info(
                    "Neo4j %s: %s: attempt %d (the driver retries transient errors such as deadlocks)",
                    self.location,
                    what,
                    attempts[0] + 1,
                )
            attempts[0] += 1
            return records_as_dicts(tx.run(q, params or {}))

        return self.transaction(work, write=True, what=what)

    def read(self, query: str, params: dict | None = None, *, what: str = "read") -> list[dict]:
        """Run one statement in a read transaction; its records as dicts."""
        return self.transaction(lambda tx: records_as_dicts(tx.run(query, params or {})), write=False, what=what)

    def read_values(self, query: str, params: dict | None = None, *, what: str = "read") -> list[list]:
        """Like :meth:`read` but the records' values (no dict per record)."""
        return self.transaction(lambda tx: tx.run(query, params or {}).values(), write=False, what=what)

    @contextmanager
    def errors(self, what: str) -> Iterator[None]:
        """Turn the driver's errors inside the block into :class:`StoreError`."""
        try:
            yield
        except neo4j_errors.Neo4jError as exc:
            raise StoreError(f"Neo4j {self.location}: {what} failed: {exc.code}: {exc.message}") from exc
        except (neo4j_errors.DriverError, OSError) as exc:
            raise StoreError(f"Neo4j {self.location}: {what} failed after retries: {exc}") from exc
