"""A real server for the tests: ``nichegraph serve`` as a subprocess on a free loopback port."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(store_path: str, *options: str, env: dict[str, str] | None = None,
          ready_timeout: float = 60.0) -> Iterator[str]:
    """Run ``nichegraph serve --store store_path OPTIONS`` on 127.0.0.1 until ``/readyz`` is 200; yield its base URL.

    The process gets SIGINT on exit (SIGKILL if it has not stopped within 15 s) and must exit cleanly.
    """
    with serve_process(store_path, *options, env=env, ready_timeout=ready_timeout) as (base, _):
        yield base


@contextlib.contextmanager
def serve_process(store_path: str, *options: str, env: dict[str, str] | None = None,
                  ready_timeout: float = 60.0) -> Iterator[tuple[str, subprocess.Popen]]:
    """:func:`serve`, yielding the base URL and the server process (an option given twice: the last wins)."""
    port = free_port()
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("NICHEGRAPH_")}
    full_env["PYTHONPATH"] = str(ROOT)
    full_env.update(env or {})
    proc = subprocess.Popen(
        [sys.executable, "-m", "nichegraph.api.cli", "serve", "--store", store_path, "--host", "127.0.0.1",
         "--port", str(port), "--poll-seconds", "0", "--log-level", "warning", *options],
        cwd=ROOT, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + ready_timeout
        while True:
            try:
                if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, proc.stdout.read().decode()
            assert time.time() < deadline, "server did not become ready"
            time.sleep(0.2)
        yield base, proc
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert proc.returncode in (0, -signal.SIGINT), proc.stdout.read().decode()
