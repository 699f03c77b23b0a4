"""Per-process bounded LRU of OCR results, with single-flight computation.

Concurrent requests for the same key compute once: the first caller registers an in-flight
``Future`` and computes outside the lock; later callers wait on that future. Failures are shared
with the waiters but never stored, so a bad upload is re-validated next time. Under gunicorn's
gevent worker ``threading`` is monkey-patched, so the lock and the future's condition block only
the waiting greenlet.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

V = TypeVar("V")
Outcome = Literal["hit", "miss", "coalesced"]


@dataclass(frozen=True)
class CacheStats:
    entries: int
    hits: int
    misses: int
    coalesced: int
    evictions: int


class ResultCache(Generic[V]):
    """Thread-safe LRU mapping a hashable key to a value, holding at most ``max_entries``."""

    def __init__(self, max_entries: int) -> None:
        if max_entries < 0:
            raise ValueError(f"max_entries must be >= 0, got {max_entries}")
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, V] = OrderedDict()
        self._in_flight: dict[Hashable, Future[V]] = {}
        self._lock = threading.Lock()
        self._hits = self._misses = self._coalesced = self._evictions = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def get(self, key: Hashable) -> V | None:
        """The stored value (marked most recently used), or None."""
        with self._lock:
            return self._lookup(key)

    def put(self, key: Hashable, value: V) -> None:
        with self._lock:
            self._store(key, value)

    def get_or_compute(self, key: Hashable, compute: Callable[[], V]) -> tuple[V, Outcome]:
        """Return the value for ``key``, calling ``compute`` at most once across concurrent callers.

        The outcome says whether the value was stored (``hit``), computed by this call (``miss``)
        or computed by a concurrent call this one waited for (``coalesced``). An exception raised
        by ``compute`` propagates to the computing caller and to every waiter.
        """
        with self._lock:
            value = self._lookup(key)
            if value is not None:
                self._hits += 1
                return value, "hit"
            pending = self._in_flight.get(key)
            if pending is None:
                pending = Future()
                self._in_flight[key] = pending
                self._misses += 1
                owner = True
            else:
                self._coalesced += 1
                owner = False
        if not owner:
            return pending.result(), "coalesced"
        try:
            value = compute()
        except BaseException as exc:  # hand any failure to the waiters, then re-raise it
            with self._lock:
                del self._in_flight[key]
            pending.set_exception(exc)
            raise
        with self._lock:
            self._store(key, value)
            del self._in_flight[key]
        pending.set_result(value)
        return value, "miss"

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(len(self._entries), self._hits, self._misses, self._coalesced,
                              self._evictions)

    def _lookup(self, key: Hashable) -> V | None:
        value = self._entries.get(key)
        if value is not None:
            self._entries.move_to_end(key)
        return value

    def _store(self, key: Hashable, value: V) -> None:
        if self.max_entries == 0:
            return
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
            self._evictions += 1
