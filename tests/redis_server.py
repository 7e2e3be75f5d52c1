"""A real, throw-away ``redis-server`` for tests (a plain module, not a conftest).

Tests run against the real binary rather than a fake: atomicity across processes is the point, and
only a server shows it. CI installs Debian's ``redis-server``; a missing binary fails loudly.

Use from a test module (pytest runs with ``--import-mode=importlib``, so load it by path)::

    redis_server = load_helper()          # see tests/test_idempotency_redis.py
    redis_url = redis_server.redis_url    # a module-scoped fixture: re-export it in your module
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

INSTALL_HINT = "redis-server not found on PATH: install Debian's redis-server (apt-get install redis-server)"
STARTUP_LIMIT_S = 15.0


def free_port() -> int:
    """A port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def run_redis_server(
    workdir: Path, extra_args: Sequence[str] = (), password: str | None = None
) -> Iterator[str]:
    """Start ``redis-server`` on a free port in ``workdir``, wait for PING, yield its URL, stop it."""
    import redis

    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail(INSTALL_HINT, pytrace=False)
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = workdir / f"redis-{port}.log"
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    args += ["--dir", str(workdir), "--logfile", str(log), *extra_args]
    if password:
        args += ["--requirepass", password]
    proc = subprocess.Popen(args, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        client = redis.Redis(host="127.0.0.1", port=port, password=password, socket_timeout=1)
        deadline = time.monotonic() + STARTUP_LIMIT_S
        while True:
            if proc.poll() is not None:
                err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                logtext = log.read_text(errors="replace") if log.exists() else ""
                pytest.fail(f"redis-server exited with {proc.returncode}: {err}{logtext}", pytrace=False)
            try:
                if client.ping():
                    break
            except redis.exceptions.ConnectionError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"redis-server on port {port} did not answer PING", pytrace=False)
            time.sleep(0.05)
        client.close()
        auth = f":{password}@" if password else ""
        yield f"redis://{auth}127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stderr:
            proc.stderr.close()


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One server per test module; tests keep apart by using distinct keys (or flush it)."""
    with run_redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url
