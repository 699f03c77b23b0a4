"""The only place onnxruntime SessionOptions are set: threads and providers are always explicit."""
from __future__ import annotations

from pathlib import Path

import onnxruntime as ort


def build_session(path: str | Path, *, intra_threads: int = 1, enable_mem_arena: bool = False) -> ort.InferenceSession:
    """CPU session with ``intra_threads`` threads, sequential execution, all graph optimisations.

    The CPU memory arena is off by default: with dynamic widths the arena keeps the largest
    buffers it ever saw and a long-running worker's RSS ratchets up; without it each run
    allocates and frees, which costs little next to the convolutions (see bench/).
    """
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = intra_threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.enable_cpu_mem_arena = enable_mem_arena
    opts.log_severity_level = 3
    return ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])


# Instruction sets that decide which int8 and fp32 kernels onnxruntime picks, hence its speed
# ratios: without VNNI, u8s8 products go through AVX2's pmaddubsw; with AVX-512/VNNI/AMX, fp32
# gets wider too and the int8 speed-up measured elsewhere does not carry over.
_SPEED_FLAGS = (("avx2", "avx2"), ("avx512f", "avx512"), ("avx512_vnni", "vnni"), ("avx_vnni", "vnni"),
                ("amx_int8", "amx"))


def describe_cpu(cpuinfo: str | None = None) -> str:
    """'<model name> (avx2, avx512, vnni)' from /proc/cpuinfo (or the given text), for reports."""
    if cpuinfo is None:
        path = Path("/proc/cpuinfo")
        cpuinfo = path.read_text() if path.exists() else ""
    fields: dict[str, str] = {}  # the first processor's entries; the others repeat them
    for row in cpuinfo.splitlines():
        key, _, value = row.partition(":")
        fields.setdefault(key.strip(), value.strip())
    flags = set(fields.get("flags", "").split())
    found = list(dict.fromkeys(label for flag, label in _SPEED_FLAGS if flag in flags))
    return f"{fields.get('model name', 'unknown CPU')} ({', '.join(found) or 'no avx2'})"
