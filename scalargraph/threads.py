"""The thread pool that batched calls share: its size, fork safety and stopping early.

Batched sweeps run chunks of points on one process-wide pool of threads (the kernels
release the GIL). Three things about that pool are easy to get wrong, and are handled here:

* **Size.** ``workers`` beyond the cores the process may run on only add threads that wait
  for a core (and a per-thread work buffer of up to 16 MiB each): it is clamped to
  :func:`max_workers`.
* **fork.** A forked child inherits the pool object but none of its threads, so any task
  submitted to it would wait forever. The child drops the inherited pool
  (``os.register_at_fork``) and makes a new one on first use.
* **Stopping early.** When the caller is interrupted (Ctrl-C raises ``KeyboardInterrupt``
  in the main thread while it waits) or a chunk raises, a stop flag shared by the call's
  tasks is set and checked before every chunk, and the tasks not yet started are
  cancelled: the pool is idle again one chunk later (a chunk is at most 16 MiB of work,
  milliseconds) instead of sweeping every remaining chunk of the batch.
"""

import os
import threading
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait

import numpy as np

from .graph import as_count

_pool = None
_pool_lock = threading.Lock()


def default_workers():
    """Number of cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def max_workers():
    """The most threads a batched call uses: the cores this process may run on."""
    return default_workers()


def check_workers(workers):
    """``workers`` as a thread count: None -> every core; clamped to :func:`max_workers`."""
    if workers is None:
        return default_workers()
    workers = as_count(workers, "workers")
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    return min(workers, max_workers())


def _executor(workers):
    global _pool
    with _pool_lock:
        if _pool is None or _pool._max_workers < workers:
            _pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="scalargraph")
        return _pool


def _after_fork_in_child():
    # The inherited pool has no threads in this process, and its lock may have been held
    # by a thread that does not exist here: start over.
    global _pool, _pool_lock
    _pool = None
    _pool_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


class _Stopped(Exception):
    """A task saw the stop flag (another task failed, or the caller was interrupted)."""


def map_shares(fn, bounds, workers):
    """``[fn(s, e) for s, e in bounds]``, the chunks split into one run per thread.

    One task per thread, each sweeping its share of consecutive chunks, keeps the pool's
    per-task cost (tens of microseconds) out of the per-chunk cost. The chunks, and so
    every sum over them, are the same whatever the number of threads. If a chunk raises,
    or the caller is interrupted while waiting, no further chunk starts, the chunks under
    way finish, and the exception is raised.
    """
    workers = min(check_workers(workers), len(bounds))
    if workers <= 1:
        return [fn(s, e) for s, e in bounds]
    cuts = np.linspace(0, len(bounds), workers + 1).round().astype(int)
    shares = [bounds[a:b] for a, b in zip(cuts[:-1], cuts[1:])]
    stop = threading.Event()

    def run(share):
        out = []
        for s, e in share:
            if stop.is_set():
                raise _Stopped
            out.append(fn(s, e))
        return out

    pool = _executor(workers)
    futures = [pool.submit(run, share) for share in shares]
    try:
        # Waiting in short slices: a Ctrl-C that the OS handed to one of the pool's threads
        # (it may) only sets a flag, which this thread sees when it next wakes up.
        while wait(futures, timeout=0.02, return_when=FIRST_EXCEPTION).not_done:
            if any(f.done() and f.exception() is not None for f in futures):
                break
        for f in futures:  # the first failure in chunk order, if any
            if f.done() and not f.cancelled() and f.exception() is not None \
                    and not isinstance(f.exception(), _Stopped):
                raise f.exception()
        return [r for f in futures for r in f.result()]
    except BaseException:
        stop.set()
        for f in futures:
            f.cancel()
        # The chunks under way end within one chunk each; waiting for them means the
        # pool is idle (and no thread writes into this call's arrays) when we raise.
        wait(futures)
        raise
