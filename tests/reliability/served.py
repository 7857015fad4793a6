"""A real HTTP server of the API on a free local port: uvicorn in a thread of the test, or
`alstrack serve` in a subprocess.

Both serve requests concurrently (the event loop and its request threads). The subprocess is a
process of its own, as in production, and a test can SIGKILL it; the thread starts in a moment,
the app being imported already.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx2
import uvicorn
from fastapi import FastAPI

ALSTRACK = Path(sys.executable).with_name("alstrack")
STARTUP_SECONDS = 60


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def kill(self) -> None:
        """SIGKILL every process of the server (the supervisor and its workers), as a power cut
        would, and wait for the supervisor."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def serving(
    database_url: str, log: Path, *, threads: int = 8, workers: int = 2
) -> Iterator[Server]:
    """Serve the API over ``database_url`` until the block ends (or the test kills it).

    Two worker processes by default, as `alstrack serve` runs on a machine with two cores or
    more: they write to the database side by side. The server has a process group of its own."""
    port = free_port()
    env = os.environ | {
        "ALSTRACK_DATABASE_URL": database_url,
        "ALSTRACK_REQUEST_THREADS": str(threads),
        "ALSTRACK_WORKERS": str(workers),
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(ALSTRACK), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(f"http://127.0.0.1:{port}", process, log)
    try:
        _wait_until_up(server)
        yield server
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # any worker left behind


@contextmanager
def serving_in_thread(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` with uvicorn in a thread until the block ends; yields its URL."""
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=5
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def _wait_until_up(server: Server) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"alstrack serve exited:\n{server.log.read_text()}")
        try:
            if httpx2.get(f"{server.url}/health", timeout=2).status_code == 200:
                return
        except httpx2.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(
        f"alstrack serve did not answer in {STARTUP_SECONDS} s:\n{server.log.read_text()}"
    )
