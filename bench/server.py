"""Our service as users run it: ``gunicorn -c gunicorn.conf.py`` on 127.0.0.1, a free port.

The server gets a minimal environment (bind address, ORT threads), so nothing from
the caller's shell changes what is measured; everything else is gunicorn.conf.py's default.
"""
from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

from tools.serving import free_port, log_tail, start_gunicorn, stop_gunicorn

log = logging.getLogger(__name__)


class ServerStartError(RuntimeError):
    """gunicorn exited or did not answer in time; the message carries its log tail."""


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
        loaded and warmed up, the probe recognised). It polls /ocr, not /readyz
        (tools.serving.wait_until_ready): that first answer is the cold start being measured.
        """
        t0 = time.perf_counter()
        self.proc = start_gunicorn(self.env(), self.log_path)
        listening_ms: float | None = None
        deadline = time.monotonic() + self.start_timeout_s
        with httpx.Client(timeout=30.0) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise ServerStartError(f"gunicorn exited with {self.proc.returncode}:\n{log_tail(self.log_path)}")
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
        raise ServerStartError(f"no OCR answer within {self.start_timeout_s:.0f} s:\n{log_tail(self.log_path)}")

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
        """Stop the master we started (tools.serving.stop_gunicorn), if it is still running."""
        if self.proc is not None:
            stop_gunicorn(self.proc)
