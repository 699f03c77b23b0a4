"""ResultCache: LRU order, bounded size, single-flight computation, failures not stored."""
from __future__ import annotations

import threading
import time

import pytest

from service.cache import ResultCache


def test_evicts_least_recently_used_first() -> None:
    cache: ResultCache[str] = ResultCache(2)
    cache.put("a", "A")
    cache.put("b", "B")
    assert cache.get("a") == "A"  # a is now the most recently used
    cache.put("c", "C")
    assert cache.get("b") is None
    assert (cache.get("a"), cache.get("c")) == ("A", "C")
    cache.put("d", "D")  # c was used after a, so a goes
    assert cache.get("a") is None and len(cache) == 2
    assert cache.stats().evictions == 2


def test_put_of_an_existing_key_refreshes_it_without_growing() -> None:
    cache: ResultCache[int] = ResultCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("a", 3)
    cache.put("c", 4)
    assert (cache.get("a"), cache.get("b"), len(cache)) == (3, None, 2)


def test_size_zero_stores_nothing() -> None:
    cache: ResultCache[int] = ResultCache(0)
    assert cache.get_or_compute("k", lambda: 1) == (1, "miss")
    assert cache.get_or_compute("k", lambda: 2) == (2, "miss")
    assert len(cache) == 0


def test_rejects_negative_size() -> None:
    with pytest.raises(ValueError, match="max_entries"):
        ResultCache(-1)


def test_get_or_compute_computes_once_then_hits() -> None:
    cache: ResultCache[str] = ResultCache(4)
    calls: list[int] = []
    assert cache.get_or_compute("k", lambda: calls.append(1) or "v") == ("v", "miss")
    assert cache.get_or_compute("k", lambda: calls.append(1) or "w") == ("v", "hit")
    assert len(calls) == 1
    stats = cache.stats()
    assert (stats.hits, stats.misses, stats.entries) == (1, 1, 1)


def test_concurrent_identical_keys_compute_once() -> None:
    cache: ResultCache[str] = ResultCache(4)
    calls = 0
    calls_lock = threading.Lock()
    start = threading.Barrier(100)
    outcomes: list[str] = []

    def slow() -> str:
        nonlocal calls
        with calls_lock:
            calls += 1
        time.sleep(0.2)
        return "value"

    def worker() -> None:
        start.wait()
        value, outcome = cache.get_or_compute("same", slow)
        assert value == "value"
        outcomes.append(outcome)

    threads = [threading.Thread(target=worker) for _ in range(100)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert calls == 1
    assert len(outcomes) == 100 and outcomes.count("miss") == 1
    assert set(outcomes) <= {"miss", "hit", "coalesced"}


def test_failure_reaches_waiters_and_is_not_stored() -> None:
    cache: ResultCache[str] = ResultCache(4)
    started = threading.Event()
    errors: list[BaseException] = []

    def failing() -> str:
        started.set()
        time.sleep(0.1)
        raise ValueError("bad image")

    def waiter() -> None:
        started.wait()
        try:
            cache.get_or_compute("k", lambda: "never computed: the waiter joins the failing call")
        except ValueError as exc:
            errors.append(exc)

    t = threading.Thread(target=waiter)
    t.start()
    with pytest.raises(ValueError, match="bad image"):
        cache.get_or_compute("k", failing)
    t.join(timeout=5)
    assert [str(e) for e in errors] == ["bad image"]
    assert cache.get("k") is None
    assert cache.get_or_compute("k", lambda: "ok") == ("ok", "miss")
