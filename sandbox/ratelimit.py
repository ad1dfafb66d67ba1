"""Harvest's request limits: n requests per sliding window, per bucket and key."""

import math
import threading
import time
from collections import deque


class SlidingWindowLimiter:
    """Counts accepted requests; a refused request is not counted."""

    def __init__(self) -> None:
        self._hits: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, bucket: str, key: str, limit: int, window: float) -> int | None:
        """Record a request; None if allowed, else the Retry-After seconds."""
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault((bucket, key), deque())
            while hits and hits[0] <= now - window:
                hits.popleft()
            if len(hits) >= limit:
                return max(1, math.ceil(hits[0] + window - now))
            hits.append(now)
            return None

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()
