"""A small per-process LRU cache of search responses, dropped on every generation change."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any


class ResultCache:
    """Least-recently-used answers for one generation; counts hits and misses."""

    def __init__(self, capacity: int = 512):
        self.capacity = capacity
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._generation: str | None = None
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, generation: str, key: Hashable) -> Any | None:
        """Return the cached value for key in this generation, or None."""
        with self._lock:
            if generation != self._generation:
                self._items.clear()
                self._generation = generation
            value = self._items.get(key)
            if value is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return value

    def put(self, generation: str, key: Hashable, value: Any) -> None:
        """Remember value for key, if this is still the generation being cached."""
        if self.capacity <= 0:
            return
        with self._lock:
            if generation != self._generation:
                return
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)

    def stats(self) -> dict[str, object]:
        """Return size, hits, misses and hit rate since the process started."""
        total = self.hits + self.misses
        return {"size": len(self._items), "capacity": self.capacity, "hits": self.hits,
                "misses": self.misses, "hit_rate": round(self.hits / total, 4) if total else None}
