"""The production start, as an operator runs it: ``coopzone serve`` in a subprocess on a free
port with a temporary SQLite database."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import coopzone
from coopzone.migrate import upgrade

SECRET = "a-production-secret-of-forty-characters!"
SRC = Path(coopzone.__file__).resolve().parents[1]
# Generous: on a loaded 2-core machine a worker takes many seconds to import the app.
START_DEADLINE_SECONDS = 240


def production_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COOPZONE_")}
    env.update(PYTHONPATH=os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")]).rstrip(
        os.pathsep), COOPZONE_ENV="production", COOPZONE_SECRET_KEY=SECRET,
        COOPZONE_DATA_DIR=str(data_dir), COOPZONE_COOKIE_SECURE="true")
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def json_lines(path: Path) -> list[dict[str, object]]:
    text = path.read_text("utf-8")
    return [json.loads(line) for line in text.splitlines() if line]


def parent_of(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])


def test_serve_with_two_workers_answers_and_logs_json_lines(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    upgrade(f"sqlite:///{data_dir / 'coopzone.sqlite3'}")
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "coopzone", "serve", "--host", "127.0.0.1", "--port",
             str(port), "--workers", "2"],
            env=production_env(data_dir), cwd=tmp_path, stdout=sink, stderr=subprocess.STDOUT)
    try:
        health: dict[str, object] = {}
        workers: set[int] = set()
        deadline = time.monotonic() + START_DEADLINE_SECONDS
        while time.monotonic() < deadline and proc.poll() is None:
            workers = {int(str(e["message"]).split("[")[1].rstrip("]"))
                       for e in json_lines(log)
                       if str(e["message"]).startswith("Started server process")}
            if len(workers) == 2 and not health:
                try:
                    with urllib.request.urlopen(
                            f"http://127.0.0.1:{port}/api/v1/health", timeout=10) as answer:
                        health = json.loads(answer.read())
                except OSError:
                    pass
            if health:
                break
            time.sleep(0.5)
        assert proc.poll() is None, log.read_text()
        assert health == {"status": "ok", "version": coopzone.__version__, "database": "ok"}
        assert len(workers) == 2 and proc.pid not in workers
        assert {parent_of(pid) for pid in workers} == {proc.pid}
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    assert proc.returncode == 0
    entries = json_lines(log)  # every line is one JSON object
    assert all({"time", "level", "logger", "message", "pid"} <= set(e) for e in entries)
    started = [e for e in entries if e["message"] == "Application startup complete."]
    assert {e["pid"] for e in started} == workers
    access = [e for e in entries if e["logger"] == "uvicorn.access"]
    assert any(e["path"] == "/api/v1/health" and e["status"] == 200 for e in access)
    assert all(not Path(f"/proc/{pid}").exists() for pid in workers)


def test_serve_in_production_refuses_bad_settings_with_json_lines(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    upgrade(f"sqlite:///{data_dir / 'coopzone.sqlite3'}")
    bad = subprocess.run(
        [sys.executable, "-m", "coopzone", "serve", "--port", str(free_port())],
        env=production_env(data_dir, COOPZONE_COOKIE_SECURE="false",
                           COOPZONE_SECRET_KEY="only-twenty-chars-xx"),
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    assert bad.returncode == 3
    entries = [json.loads(line) for line in (bad.stdout + bad.stderr).splitlines() if line]
    refused = [e["message"] for e in entries if e["level"] == "ERROR"]
    assert [m.split(":")[0] for m in refused] == ["secret", "cookie_secure", "refusing to start"]
    unset = subprocess.run(
        [sys.executable, "-m", "coopzone", "serve"],
        env={k: v for k, v in production_env(data_dir).items() if k != "COOPZONE_SECRET_KEY"},
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    assert unset.returncode == 3
    (entry,) = [json.loads(line) for line in unset.stderr.splitlines() if line]
    assert entry["level"] == "ERROR" and "COOPZONE_SECRET_KEY must be set" in entry["message"]
