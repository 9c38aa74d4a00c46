"""The walk's threads take the most urgent task first, and stop when asked."""

from __future__ import annotations

import threading

import pytest

from scanner.crawlers.ranked_pool import RankedPool


def test_the_lowest_rank_runs_first_and_one_rank_in_the_order_given() -> None:
    pool = RankedPool(1, "test-ranked")
    gate, order = threading.Event(), []
    busy = pool.submit(0, gate.wait)  # holds the one thread while the rest wait
    futures = [
        pool.submit(rank, lambda tag=tag: order.append(tag)) for rank, tag in ((5, "e"), (1, "a"), (3, "c"), (1, "b"))
    ]
    gate.set()
    for future in (busy, *futures):
        future.result(timeout=5)
    assert order == ["a", "b", "c", "e"]
    pool.shutdown()


def test_a_waiting_task_can_be_cancelled_and_an_error_reaches_the_caller() -> None:
    pool = RankedPool(1, "test-ranked")
    gate = threading.Event()
    pool.submit(0, gate.wait)
    ran: list[str] = []
    dropped = pool.submit(1, lambda: ran.append("dropped"))
    failing = pool.submit(2, lambda: 1 / 0)
    assert dropped.cancel()
    gate.set()
    with pytest.raises(ZeroDivisionError):
        failing.result(timeout=5)
    assert ran == []
    pool.shutdown()


def test_shutdown_cancels_what_waits_and_ends_the_threads() -> None:
    pool = RankedPool(2, "test-ranked")
    gate, started = threading.Event(), threading.Semaphore(0)
    running = [pool.submit(0, lambda: (started.release(), gate.wait())) for _ in range(2)]
    assert started.acquire(timeout=5) and started.acquire(timeout=5)  # both threads busy
    waiting = pool.submit(1, lambda: "never")
    stopper = threading.Thread(target=pool.shutdown)
    stopper.start()
    for _ in range(500):  # shutdown cancels what waits at once, then waits for the running tasks
        if waiting.cancelled():
            break
        threading.Event().wait(0.01)
    gate.set()
    stopper.join(timeout=5)
    assert not stopper.is_alive()
    assert waiting.cancelled() and all(f.done() and not f.cancelled() for f in running)
    assert not [t for t in threading.enumerate() if t.name.startswith("test-ranked")]
    with pytest.raises(RuntimeError):
        pool.submit(0, lambda: None)
