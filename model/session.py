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
