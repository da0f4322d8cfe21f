"""Keep one core busy for a bounded time (the load test's background process).

Run: python tools/spin.py SECONDS   (at most 1800; it stops by itself)

A pure-Python loop: one core at 100%, no memory traffic to speak of, no children.
"""

import sys
import time

LIMIT = 1800.0


def spin(seconds):
    """Busy-loop for ``seconds`` (capped at LIMIT); returns the loop count."""
    end = time.monotonic() + min(float(seconds), LIMIT)
    count = 0
    while time.monotonic() < end:
        for _ in range(10_000):
            count += 1
    return count


if __name__ == "__main__":
    spin(float(sys.argv[1]) if len(sys.argv) > 1 else 60.0)
