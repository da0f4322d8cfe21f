"""Run a function over points on several threads at once, as the thread-safety tests do."""

import threading


def on_threads(work, points, n_threads=4, rounds=20):
    """``[work(p) for p in points]``, computed by ``n_threads`` threads that start together
    (a barrier) and share the points (point i on thread i % n_threads), ``rounds`` times
    over so that the threads' calls interleave; the results of the last round."""
    got = [None] * len(points)
    barrier = threading.Barrier(n_threads)

    def run(t):
        barrier.wait()
        for _ in range(rounds):
            for i in range(t, len(points), n_threads):
                got[i] = work(points[i])

    threads = [threading.Thread(target=run, args=(t,)) for t in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return got
