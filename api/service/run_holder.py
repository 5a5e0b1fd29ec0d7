"""The run being served: one :class:`Snapshot` behind a single reference, swapped when a newer run appears.

Only :meth:`SnapshotHolder.refresh` (the lifespan and a daemon thread) opens the
store; requests read ``holder.current`` and nothing else.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from nichegraph.graph_store import RESULT_TABLES, NoRunError, RunRecord, Store, StoreError

from ..run_query import Snapshot

log = logging.getLogger("nichegraph.service")

NO_RUN = "no analysis run in the store yet; run `nichegraph analyze`"


class SnapshotHolder:
    """The current snapshot behind one reference, refreshed from the store.

    Parameters
    ----------
    open_store : callable returning a Store
        Opens the store (read-only where possible).  The holder opens it for
        each check in its own thread and closes it before building the
        snapshot, so an embedded DuckDB file stays free for ``nichegraph load``
        and ``analyze`` in other processes; requests never open it.
    mutuals : bool
        Also load the run's ``mutuals`` table (mutual connections of an account).
    version : callable, optional
        A cheap token that changes whenever the store may have changed (for a
        DuckDB file, its and its WAL's size and modification time); while it
        stays the same the holder does not open the store at all.
    """

    def __init__(
        self, open_store: Callable[[], Store], *, mutuals: bool = True, version: Callable[[], object] | None = None
    ):
        self._open = open_store
        self._mutuals = mutuals
        self._version = version
        self._seen_version: object = None
        self.current: Snapshot | None = None
        self.runs: list[RunRecord] = []
        self.last_check: float | None = None
        self.last_error: str | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def refresh(self) -> bool:
        """Load the newest run when it differs from the current one; True when swapped."""
        with self._lock:
            version = self._version() if self._version is not None else None
            if version is not None and version == self._seen_version and self.current is not None:
                self.last_check = time.time()
                return False
            try:
                store = self._open()
                try:
                    runs = store.list_runs()
                    self.runs = runs
                    self.last_check = time.time()
                    if not runs:
                        self.last_error = NO_RUN
                        return False
                    if self.current is not None and self.current.run_id == runs[0].run_id:
                        self.last_error = None
                        self._seen_version = version
                        return False
                    wanted = [t for t in RESULT_TABLES if self._mutuals or t != "mutuals"]
                    run, tables = store.read_run(runs[0].run_id, tables=wanted)
                finally:
                    store.close()  # before the snapshot is built: writers wait for no index building
                if "accounts" not in tables:
                    raise NoRunError(f"run {run.run_id} has no accounts table")
                snap = Snapshot.from_tables(run, tables, mutuals=self._mutuals)
            # messages for clients (/readyz) are fixed strings: paths and exception texts stay in the log
            except NoRunError as exc:
                log.warning("%s", exc)
                self.last_error = NO_RUN
                return False
            except StoreError as exc:  # e.g. a writer holds the DuckDB file: try again at the next check
                log.warning("cannot read the store: %s", exc)
                self.last_error = "the store could not be read at the last check"
                return False
            except Exception:  # keep serving the old snapshot
                log.exception("loading the newest run failed")
                self.last_error = "loading the newest run failed; see the server log"
                return False
            self._seen_version = version
            self.current = snap  # the atomic swap: one reference
            self.last_error = None
            log.info("serving run %s (%d accounts)", snap.run_id, snap.n)
            return True

    def start(self, every: float) -> None:
        """Poll the store every ``every`` seconds in a daemon thread (0: never)."""
        if every <= 0 or self._thread is not None:
            return

        def loop():
            while not self._stop.wait(every):
                self.refresh()

        self._thread = threading.Thread(target=loop, name="nichegraph-run-poller", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


def file_version(location: str) -> Callable[[], object] | None:
    """For a DuckDB file, a function returning its and its WAL's ``(size, mtime_ns)``; None for other stores."""
    from nichegraph.graph_store import is_neo4j_uri

    if is_neo4j_uri(location) or location == ":memory:":
        return None
    paths = (Path(location), Path(location + ".wal"))

    def version() -> object:
        out: list[tuple[int, int] | None] = []
        for p in paths:
            try:
                st = p.stat()
                out.append((st.st_size, st.st_mtime_ns))
            except OSError:
                out.append(None)
        return tuple(out)

    return version
