"""Where recognition runs relative to the gevent event loop.

Recognition is CPU-bound. Called directly from a request greenlet it holds the worker's event
loop for its whole duration: ``/healthz`` on that worker and gunicorn's heartbeat wait for it.
onnxruntime releases the GIL inside ``InferenceSession.run`` (and ``run`` is thread-safe), so
under gevent the recognizer can run on a native thread while the loop keeps serving. The pool has
ONE thread: inference stays serialised within a worker (parallelism comes from the worker count,
and a second thread would only oversubscribe the CPUs given to ORT's intra-op threads).
Measurements are recorded in gunicorn.conf.py.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


def make_inference_runner(use_threadpool: bool) -> Callable[[Callable[[], T]], T] | None:
    """A runner that executes a thunk on a one-thread gevent ThreadPool, or None to run inline.

    The pool is used only when asked for and when ``threading`` is monkey-patched (i.e. inside a
    gunicorn gevent worker); without gevent's loop there is nothing to keep responsive. Call it
    after fork: the pool's thread must belong to the worker process.
    """
    if not use_threadpool:
        return None
    try:
        from gevent import monkey
        from gevent.threadpool import ThreadPool
    except ImportError:
        return None
    if not monkey.is_module_patched("threading"):
        return None
    pool = ThreadPool(1)
    log.info("inference runs on a one-thread gevent ThreadPool")

    def run_on_pool(fn: Callable[[], T]) -> T:
        return pool.apply(fn)

    return run_on_pool
