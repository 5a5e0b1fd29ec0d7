"""Start and stop a real Neo4j 5.26 Community for the tests (no Docker).

The server is the small Java launcher in this folder (``Launcher.java``), built by
``.ci/neo4j.sh`` (``mvn package``) from Maven Central artifacts cached in ``~/.m2``.
It listens on a free port on 127.0.0.1 only, runs with a modest heap, and stops when
its standard input closes, so it never outlives the process that started it.

Run ``python tests/neo4j_server/server.py`` to start one by hand; it prints the Bolt URI
and stops on Ctrl-C.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGET = HERE / "target"
MAIN_CLASS = "nichegraph.testserver.Launcher"


class LauncherNotBuilt(RuntimeError):
    """The launcher jar or its dependencies are missing: run .ci/neo4j.sh."""


def build(quiet: bool = True) -> None:
    """Build the launcher with Maven (downloads Neo4j into ~/.m2 the first time)."""
    cmd = ["mvn", "-B", "package", "-DskipTests"] + (["-q"] if quiet else [])
    subprocess.run(cmd, cwd=HERE, check=True)


def is_built() -> bool:
    return (TARGET / "classes" / "nichegraph" / "testserver" / "Launcher.class").exists() and any(
        (TARGET / "lib").glob("neo4j-5.26*.jar"))


class Neo4jServer:
    """A Neo4j process on 127.0.0.1.

    Parameters
    ----------
    home : path, optional
        Data folder; a fresh temporary one (removed on :meth:`stop`) when None.
    port : int, default 0
        Bolt port; 0 picks a free one.
    heap : str, default "1g"
        JVM heap (reserved up front, half of it for the young generation).
    settings : dict, optional
        Extra Neo4j settings (default: ``NICHEGRAPH_TEST_NEO4J_CONF``, ``name=value`` pairs split on
        spaces); the listen addresses cannot be changed.
    jvm_options : sequence of str, optional
        Extra JVM options (default: ``NICHEGRAPH_TEST_NEO4J_JVM``, split on spaces).
    extra_classpath : sequence of path, optional
        More jars (or ``dir/*``) after Neo4j's own, e.g. plugins for a benchmark; Neo4j's jars come
        first, so a library both ship resolves to Neo4j's version.
    """

    def __init__(self, home: str | Path | None = None, *, port: int = 0, heap: str = "1g",
                 pagecache: str = "256m", startup_timeout: float = 180.0,
                 jvm_options: tuple[str, ...] | None = None, settings: dict[str, str] | None = None,
                 extra_classpath: tuple[str | Path, ...] = ()):
        self._own_home = home is None
        self.home = Path(home) if home is not None else Path(tempfile.mkdtemp(prefix="nichegraph-neo4j-"))
        self.port = port or free_port()
        self.heap = heap
        self.pagecache = pagecache
        self.startup_timeout = startup_timeout
        self.settings = dict(settings) if settings is not None else dict(
            kv.split("=", 1) for kv in os.environ.get("NICHEGRAPH_TEST_NEO4J_CONF", "").split() if "=" in kv)
        self.jvm_options = tuple(jvm_options) if jvm_options is not None else tuple(
            os.environ.get("NICHEGRAPH_TEST_NEO4J_JVM", "").split())
        self.extra_classpath = tuple(str(p) for p in extra_classpath)
        self.proc: subprocess.Popen | None = None
        self.uri: str | None = None
        self._log: list[str] = []

    def start(self) -> str:
        """Start the server and wait until Bolt answers; return the Bolt URI."""
        if not is_built():
            raise LauncherNotBuilt(f"Neo4j test launcher not built in {TARGET}; run .ci/neo4j.sh")
        java = shutil.which("java") or "java"
        cp = os.pathsep.join([str(TARGET / "classes"), str(TARGET / "lib" / "*"), *self.extra_classpath])
        # the whole heap up front, half of it young: a small heap that the serial collector never grows
        # spent a third of a large load's time in full collections (tx state is short-lived garbage)
        cmd = [java, f"-Xms{self.heap}", f"-Xmx{self.heap}", "-XX:NewRatio=1", "-XX:+UseSerialGC",
               "-XX:ActiveProcessorCount=2", *self.jvm_options, "-cp", cp, MAIN_CLASS, "--home", str(self.home), "--port", str(self.port),
               "--pagecache", self.pagecache,
               *(a for k, v in self.settings.items() for a in ("--conf", f"{k}={v}"))]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, bufsize=1)
        ready = threading.Event()

        def pump() -> None:
            assert self.proc is not None and self.proc.stdout is not None
            for line in self.proc.stdout:
                self._log.append(line.rstrip("\n"))
                del self._log[:-200]
                if line.startswith("BOLT "):
                    self.uri = line.split(None, 1)[1].strip()
                    ready.set()

        threading.Thread(target=pump, daemon=True).start()
        deadline = time.monotonic() + self.startup_timeout
        while not ready.is_set():
            if self.proc.poll() is not None:
                raise RuntimeError("Neo4j launcher exited early:\n" + "\n".join(self._log[-40:]))
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"Neo4j did not start in {self.startup_timeout}s:\n" + "\n".join(self._log[-40:]))
            ready.wait(0.2)
        wait_for_bolt("127.0.0.1", self.port, timeout=30)
        return self.uri

    def stop(self, timeout: float = 60.0) -> None:
        """Stop cleanly (stdin ``stop``), kill after ``timeout``; remove a temporary home."""
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            try:
                assert proc.stdin is not None
                proc.stdin.write("stop\n")
                proc.stdin.flush()
                proc.stdin.close()
            except (BrokenPipeError, OSError):
                pass
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        if self._own_home:
            shutil.rmtree(self.home, ignore_errors=True)

    def kill(self) -> None:
        """Kill the JVM at once (SIGKILL), keeping its data folder for a restart."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(30)
            self.proc = None

    def log_tail(self, n: int = 40) -> str:
        return "\n".join(self._log[-n:])

    def __enter__(self) -> "Neo4jServer":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_bolt(host: str, port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"Bolt port {host}:{port} not reachable after {timeout}s")
            time.sleep(0.2)


if __name__ == "__main__":
    srv = Neo4jServer(port=int(sys.argv[1]) if len(sys.argv) > 1 else 0)
    print(srv.start(), flush=True)
    try:
        while srv.proc is not None and srv.proc.poll() is None:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        srv.stop()
