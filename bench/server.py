"""Our service as users run it: ``gunicorn -c gunicorn.conf.py`` on 127.0.0.1, a free port.

The server gets a minimal environment (bind address, ORT threads), so nothing from
the caller's shell changes what is measured; everything else is gunicorn.conf.py's default.
"""
from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

log = logging.getLogger(__name__)

STOP_TIMEOUT_S = 20.0


class ServerStartError(RuntimeError):
    """gunicorn exited or did not answer in time; the message carries its log tail."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _status_kb(pid: int, key: str) -> int | None:
    try:
        for row in Path(f"/proc/{pid}/status").read_text().splitlines():
            if row.startswith(key + ":"):
                return int(row.split()[1])
    except OSError:
        return None
    return None


@dataclass
class GunicornServer:
    """Start, probe and stop one gunicorn master; track each worker's peak RSS (VmHWM)."""

    repo_root: Path
    log_path: Path
    threads: int = 1
    start_timeout_s: float = 180.0
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    peak_rss_kb: dict[int, int] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        return {"OCR_BIND": f"127.0.0.1:{self.port}", "OCR_ORT_THREADS": str(self.threads),
                "PYTHONUNBUFFERED": "1", "PATH": os.defpath}

    def start(self, probe_png: bytes) -> dict[str, float]:
        """Boot gunicorn and POST ``probe_png`` until it answers 200.

        Returns ms from process start until the port accepts TCP connections (the master has
        bound it) and until the first OCR answer (cold start: workers forked, app imported, model
        loaded and warmed up, the probe recognised).
        """
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"]
        t0 = time.perf_counter()
        with self.log_path.open("wb") as out:
            self.proc = subprocess.Popen(cmd, cwd=self.repo_root, env=self.env(), stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        listening_ms: float | None = None
        deadline = time.monotonic() + self.start_timeout_s
        with httpx.Client(timeout=30.0) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise ServerStartError(f"gunicorn exited with {self.proc.returncode}:\n{self.log_tail()}")
                if listening_ms is None:
                    try:
                        socket.create_connection(("127.0.0.1", self.port), timeout=1.0).close()
                    except OSError:
                        time.sleep(0.01)
                        continue
                    listening_ms = (time.perf_counter() - t0) * 1000
                try:
                    resp = client.post(f"{self.url}/ocr", files={"image": ("probe.png", probe_png, "image/png")})
                except httpx.TransportError:
                    time.sleep(0.02)
                    continue
                if resp.status_code == 200:
                    first_ms = (time.perf_counter() - t0) * 1000
                    log.info("gunicorn on %s answered its first OCR request after %.0f ms", self.url, first_ms)
                    self.sample_rss()
                    return {"listening_ms": round(listening_ms, 1), "first_answer_ms": round(first_ms, 1)}
                time.sleep(0.02)
        self.stop()
        raise ServerStartError(f"no OCR answer within {self.start_timeout_s:.0f} s:\n{self.log_tail()}")

    def log_tail(self, max_chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-max_chars:] if self.log_path.exists() else ""

    def config_line(self) -> dict[str, object] | None:
        """The JSON line gunicorn.conf.py logs at when_ready (resolved workers, threads, ...)."""
        for row in self.log_path.read_text(errors="replace").splitlines():
            start = row.find("{")
            if start < 0 or '"gunicorn_ready"' not in row:
                continue
            try:
                parsed = json.loads(row[start:])
            except json.JSONDecodeError:
                continue
            if isinstance(parsed, dict):
                return parsed
        return None

    def worker_pids(self) -> list[int]:
        if self.proc is None:
            return []
        try:
            return sorted(c.pid for c in psutil.Process(self.proc.pid).children())
        except psutil.NoSuchProcess:
            return []

    def sample_rss(self) -> None:
        """Record each live worker's VmHWM (peak resident set, kB) seen so far."""
        for pid in self.worker_pids():
            hwm = _status_kb(pid, "VmHWM")
            if hwm is not None:
                self.peak_rss_kb[pid] = max(hwm, self.peak_rss_kb.get(pid, 0))

    def rss_report(self) -> dict[str, object]:
        self.sample_rss()
        master = _status_kb(self.proc.pid, "VmHWM") if self.proc else None
        peaks = sorted(self.peak_rss_kb.values())
        return {"workers_seen": len(peaks), "peak_rss_mib_per_worker": [round(k / 1024, 1) for k in peaks],
                "max_worker_peak_rss_mib": round(max(peaks) / 1024, 1) if peaks else None,
                "master_peak_rss_mib": round(master / 1024, 1) if master else None}

    def stop(self) -> None:
        """SIGTERM the master we started (it stops its workers); SIGKILL its group if stuck."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=STOP_TIMEOUT_S)
