"""Start our gunicorn as production does, wait until it is ready, stop it: one place for tests,
tools and the benchmark.

``gunicorn_server`` boots ``gunicorn -c gunicorn.conf.py`` on 127.0.0.1 and a free port, yields its
base URL once ``/readyz`` answers 200 (model loaded and warmed up) and stops it on exit.
``wait_until_ready`` also serves servers started some other way (a container).
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
STOP_TIMEOUT_S = 30.0


class ServerNotReady(RuntimeError):
    """The server stopped, or ``/readyz`` did not answer 200 in time; the message shows its log."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def log_tail(path: Path, max_chars: int = 4000) -> str:
    """The last ``max_chars`` characters of a log file, or ``(no log)``."""
    return path.read_text(errors="replace")[-max_chars:] if path.exists() else "(no log)"


def wait_until_ready(url: str, *, is_alive: Callable[[], bool], timeout_s: float,
                     describe: Callable[[], str], poll_s: float = 0.25) -> None:
    """Poll ``{url}/readyz`` until it answers 200.

    Raises ServerNotReady, with ``describe()`` (e.g. the log tail) in its message, as soon as
    ``is_alive()`` is false or once ``timeout_s`` has passed.
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not is_alive():
            raise ServerNotReady(f"{url} stopped before /readyz answered 200:\n{describe()}")
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(poll_s)
    raise ServerNotReady(f"{url}/readyz did not answer 200 within {timeout_s:.0f} s:\n{describe()}")


def start_gunicorn(env: Mapping[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """``gunicorn -c gunicorn.conf.py`` in the repository root with exactly ``env``, output to
    ``log_path``, in a session of its own (so that ``stop_gunicorn`` can kill its whole group)."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        return subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"], cwd=REPO_ROOT,
                                env=dict(env), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def stop_gunicorn(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the master (graceful: it stops its workers); SIGKILL its process group if stuck."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=STOP_TIMEOUT_S)


@contextmanager
def gunicorn_server(env: Mapping[str, str], log_path: Path, *, timeout_s: float = 120.0) -> Iterator[str]:
    """gunicorn with this process's environment plus ``env``, bound (``OCR_BIND`` and ``PORT``) to
    127.0.0.1 and a free port; yields its base URL once ready, raising ServerNotReady otherwise."""
    port = free_port()
    proc = start_gunicorn({**os.environ, **env, "OCR_BIND": f"127.0.0.1:{port}", "PORT": str(port)}, log_path)
    url = f"http://127.0.0.1:{port}"

    def describe() -> str:
        state = "still running" if proc.poll() is None else f"exited with {proc.returncode}"
        return f"gunicorn {state}; {log_path}:\n{log_tail(log_path)}"

    try:
        wait_until_ready(url, is_alive=lambda: proc.poll() is None, timeout_s=timeout_s, describe=describe)
        yield url
    finally:
        stop_gunicorn(proc)
