"""README command 1 and the five-minute tour, run as written in a fresh virtual environment.

The repository's tracked files are copied to a temporary folder; there README command 1
(``python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/nichegraph demo``) runs as it
stands, then every command of the tour's code block, in order, with two changes only: a smaller
synthetic world (``--accounts``/``--edges``) so the test takes minutes, and ``serve`` started in the
background on a free loopback port, answered one request, and stopped.  pip may use its cache and
the machine's find-links (its own configuration); nothing else is installed.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()

pytestmark = pytest.mark.slow


def readme_command_1() -> str:
    block = re.search(r"```bash\n# 1\..*?\n(.*?)\n", README, re.S)
    assert block, "README lost command 1"
    return block.group(1).strip()


def tour_commands() -> list[str]:
    """The tour's commands, continuation lines joined, comments dropped."""
    section = README.split("## Five-minute tour", 1)[1]
    code = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    code = re.sub(r"\\\n\s*", " ", code)
    commands = []
    for line in code.splitlines():
        line = re.sub(r"\s+#.*$", "", line).strip()
        if line and not line.startswith("#"):
            commands.append(line)
    return commands


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_SERVE = """{cmd} --port {port} &
server=$!
python - <<'PY'
import json, time, urllib.request
for _ in range(600):
    try:
        with urllib.request.urlopen("http://127.0.0.1:{port}{path}", timeout=5) as r:
            body = json.load(r)
            assert r.status == 200 and body, body
            print("served", len(json.dumps(body)), "bytes")
            break
    except OSError:
        time.sleep(0.5)
else:
    raise SystemExit("serve never answered")
PY
kill $server
wait $server || true
"""


def tour_script() -> str:
    lines = ["set -euxo pipefail"]
    for cmd in tour_commands():
        cmd = re.sub(r"--accounts \d+ --edges \d+", "--accounts 400 --edges 6000", cmd)
        if cmd.startswith("nichegraph serve"):
            path = re.search(r"GET http://[^/]+(\S+)", README).group(1)
            lines.append(_SERVE.format(cmd=re.sub(r"\s--port \d+", "", cmd), port=_free_port(), path=path))
        else:
            lines.append(cmd)
    return "\n".join(lines) + "\n"


def test_the_tour_covers_every_command():
    names = [c.split()[1] for c in tour_commands() if c.startswith("nichegraph ")]
    for name in ("synth", "load", "info", "analyze", "rank", "plan", "report", "serve", "export"):
        assert name in names, name
    assert names.count("rank") >= 3


def test_readme_install_and_tour_in_a_fresh_venv(tmp_path):
    copy = tmp_path / "nichegraph"
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, check=True).stdout.decode().split("\0")
    for rel in filter(None, files):
        src = ROOT / rel
        if src.is_file():
            (copy / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, copy / rel)
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["NICHEGRAPH_CACHE_DIR"] = str(tmp_path / "kernel-cache")
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if not p.startswith(sys.prefix))
    install = subprocess.run(["bash", "-c", "set -e\n" + readme_command_1()], cwd=copy, env=env,
                             capture_output=True, text=True, timeout=1800)
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    assert "Hidden influencers" in install.stdout
    tour = subprocess.run(["bash", "-c", tour_script()], cwd=copy, env=env, capture_output=True, text=True,
                          timeout=1800)
    assert tour.returncode == 0, tour.stdout[-3000:] + tour.stderr[-5000:]
    assert "served" in tour.stdout
    assert (copy / "report.html").stat().st_size > 10_000
    assert (copy / "fans.csv").read_text().startswith("rank,") or (copy / "fans.csv").stat().st_size > 0
