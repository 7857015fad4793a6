"""`alstrack serve` answers with several worker processes: one per CPU core by default, at most 4,
or as many as `--workers` / `ALSTRACK_WORKERS` say; a count out of range is refused by name."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2
import pytest
from typer.testing import CliRunner

from alstrack import config
from alstrack.cli.main import app
from alstrack.config import Settings

ALSTRACK = Path(sys.executable).with_name("alstrack")
runner = CliRunner()


@pytest.mark.parametrize(("cores", "expected"), [(None, 1), (1, 1), (2, 2), (4, 4), (32, 4)])
def test_the_default_is_one_process_per_core_and_at_most_four(
    monkeypatch: pytest.MonkeyPatch, cores: int | None, expected: int
) -> None:
    monkeypatch.delenv("ALSTRACK_WORKERS", raising=False)
    monkeypatch.setattr(config.os, "cpu_count", lambda: cores)
    assert Settings().effective_workers == expected


def test_alstrack_workers_overrides_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALSTRACK_WORKERS", "7")
    assert Settings().effective_workers == 7


def test_a_worker_count_out_of_range_is_refused_naming_the_option(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ALSTRACK_WORKERS", "0")
    with pytest.raises(ValueError, match="workers"):
        Settings()
    result = runner.invoke(app, ["serve", "--workers", "0"])
    assert result.exit_code == 2
    assert "--workers" in result.output
    assert "greater than or equal to 1" in result.output


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _workers(pid: int) -> list[int]:
    """The server's worker processes (not multiprocessing's resource tracker)."""
    children = [
        int(child)
        for task in Path(f"/proc/{pid}/task").iterdir()
        for child in (task / "children").read_text().split()
    ]
    return [c for c in children if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="counts processes in /proc")
def test_serve_with_three_workers_answers_from_three_processes_and_rotates_connections(
    tmp_path: Path,
) -> None:
    env = os.environ | {"ALSTRACK_DATA_DIR": str(tmp_path), "ALSTRACK_KEEPALIVE_REQUESTS": "4"}
    env.pop("ALSTRACK_DATABASE_URL", None)
    subprocess.run([str(ALSTRACK), "db", "upgrade"], env=env, check=True, capture_output=True)
    port = _free_port()
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [str(ALSTRACK), "serve", "--port", str(port), "--workers", "3"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        workers: list[int] = []
        while time.monotonic() < deadline:
            assert server.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                up = httpx2.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200
            except httpx2.TransportError:
                up = False
            # uvicorn's supervisor starts its workers and restarts any that dies: wait for all.
            workers = _workers(server.pid)
            if up and len(workers) == 3:
                break
            time.sleep(0.2)
        assert len(workers) == 3, (tmp_path / "serve.log").read_text()
        assert "(3 processes)" in (tmp_path / "serve.log").read_text()
        # Every 4th answer on a keep-alive connection closes it, so that clients spread over
        # the processes; the client's next request goes on a new connection.
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        closing = []
        for _ in range(8):
            conn.request("GET", "/health")
            response = conn.getresponse()
            response.read()
            assert response.status == 200
            closing.append(response.getheader("connection") == "close")
            assert response.getheader("server") is None  # the software is not announced
        conn.close()
        assert closing == [False, False, False, True] * 2
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)
