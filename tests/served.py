"""What the end-to-end, crash and in-process tests share: a real gunicorn, and the oracle."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from search_service.textnorm import normalise

from .conftest import REPO

TEXT_FIELDS = ("title", "body", "department", "author")


def containing(records: dict[str, dict], text: str,
               fields: Iterable[str] = TEXT_FIELDS) -> set[str]:
    """Ids of the records containing text after the documented folding (width, case,
    spaces, traditional script): what a search for it must find."""
    needle = normalise(text)
    return {i for i, r in records.items()
            if any(needle in normalise(r.get(f) or "") for f in fields)}


def env(**extra: str) -> dict[str, str]:
    """The environment for a child process running this checkout's package."""
    out = dict(os.environ)
    out.pop("SEARCH_SERVICE_INDEX_DIR", None)
    out["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), out.get("PYTHONPATH")]))
    out.update(extra)
    return out


def cli_command(*args: str) -> list[str]:
    """The command line of `search-service ARGS` with this interpreter."""
    return [sys.executable, "-m", "search_service.cli", *args]


@dataclass
class Server:
    """A running gunicorn: its base URL, its process and its log."""

    base: str
    proc: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-5000:]


@contextmanager
def gunicorn(index_dir: Path, log_path: Path, reload_interval: str,
             workers: int = 2) -> Iterator[Server]:
    """Serve index_dir with a real gunicorn on a free port until the block ends.

    Fails the test if it exits or does not answer /health within 60 s.
    """
    port = _free_port()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            cli_command("serve", "--index-dir", str(index_dir),
                        "--bind", f"127.0.0.1:{port}", "--workers", str(workers)),
            cwd=REPO, env=env(SEARCH_SERVICE_RELOAD_INTERVAL=reload_interval),
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        server = Server(f"http://127.0.0.1:{port}", proc, log_path)
        try:
            _wait_until_healthy(server)
            yield server
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=10)


def _wait_until_healthy(server: Server, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if server.proc.poll() is not None:
            pytest.fail(f"gunicorn exited with {server.proc.returncode}:\n{server.log()}")
        try:
            with urllib.request.urlopen(server.base + "/health", timeout=5) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"gunicorn did not answer /health within {timeout:.0f} s:\n"
                        f"{server.log()}")
        time.sleep(0.25)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
