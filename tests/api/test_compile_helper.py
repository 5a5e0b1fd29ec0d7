"""The CLI's compile helper: started at the first cache miss, a real process compiling into the same cache,
stopped when the command exits, and off with NICHEGRAPH_COMPILE_HELPER=0."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from nichegraph.api import compile_notice


def test_helper_can_be_turned_off(monkeypatch):
    monkeypatch.setenv("NICHEGRAPH_COMPILE_HELPER", "0")
    assert compile_notice.start_helper() is None
    monkeypatch.delenv("NICHEGRAPH_COMPILE_HELPER")
    monkeypatch.setattr(compile_notice.os, "cpu_count", lambda: 1)
    monkeypatch.setattr(compile_notice, "busy_cores", lambda: 0.0)
    assert compile_notice.start_helper() is None  # one core: nothing to gain


def test_helper_by_default_only_on_an_idle_core(monkeypatch, tmp_path):
    monkeypatch.delenv("NICHEGRAPH_COMPILE_HELPER", raising=False)
    monkeypatch.setenv("NICHEGRAPH_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(compile_notice.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(compile_notice, "busy_cores", lambda: 2.0)
    assert compile_notice.start_helper() is None  # both cores busy (this process and another)
    monkeypatch.setattr(compile_notice, "busy_cores", lambda: 1.0)
    helper = compile_notice.start_helper()  # only this process runs: the other core is idle
    assert helper is not None
    compile_notice._stop(helper)


def test_busy_cores_counts_what_runs_now_else_the_load_average(monkeypatch):
    # this process is running while it reads /proc/loadavg, so at least one task runs
    assert compile_notice.busy_cores() >= 1.0

    def unreadable(*args, **kwargs):
        raise OSError("no /proc")

    monkeypatch.setattr(compile_notice, "open", unreadable, raising=False)
    monkeypatch.setattr(compile_notice.os, "getloadavg", lambda: (3.25, 1.0, 1.0))
    assert compile_notice.busy_cores() == 3.25  # not Linux: the one-minute load average


def test_helper_runs_the_warmup_module_and_stops(monkeypatch, tmp_path):
    monkeypatch.setenv("NICHEGRAPH_COMPILE_HELPER", "1")
    monkeypatch.setenv("NICHEGRAPH_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(compile_notice.os, "cpu_count", lambda: 1)  # forced: even on one core
    helper = compile_notice.start_helper()
    assert helper is not None and helper.args[1:] == ["-m", "nichegraph.engine._warmup", "--reverse"]
    compile_notice._stop(helper)
    assert helper.returncode is not None


_CLI = textwrap.dedent("""
    import subprocess, sys
    from nichegraph.api.cli import install_compile_notice_when_numba_loads
    started = []
    real = subprocess.Popen
    class Spy(real):
        def __init__(self, *a, **k):
            started.append(a[0])
            super().__init__(*a, **k)
    subprocess.Popen = Spy
    install_compile_notice_when_numba_loads()
    assert "numba" not in sys.modules  # the notice waits for numba: --help never imports it
    import numpy as np
    from nichegraph import engine
    engine.from_edges(np.array([0, 1]), np.array([1, 0]))
    print(len(started), started[0][1:] if started else None)
""")


def test_first_cache_miss_shows_the_notice_and_starts_one_helper(tmp_path):
    env = {**os.environ, "NICHEGRAPH_CACHE_DIR": str(tmp_path), "NICHEGRAPH_COMPILE_HELPER": "1"}
    done = subprocess.run([sys.executable, "-c", _CLI], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "1 ['-m', 'nichegraph.engine._warmup', '--reverse']"
    assert "compiling its kernels" in done.stderr
