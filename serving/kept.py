"""Values built once per key, one build at a time, the most recently used few kept: the scoring service's
scored dates and the pages' dates share this.

A lookup of a key already built never waits for a build in progress; a second caller asking for the key
being built waits for it instead of building it again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Kept(Generic[K, V]):
    def __init__(self, kept: int, building: threading.Lock | None = None):
        """Keep the last `kept` values used; `building` is the lock builds take (another user of it, such as the
        scoring service's ledger facts, then never runs beside a build)."""
        self.kept = kept
        self._values: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()  # guards `_values`; held for lookups only
        self._building = building or threading.Lock()

    def get(self, key: K, build: Callable[[], V]) -> V:
        """Return the value of `key`, made by `build()` on the first call for it."""
        found = self._cached(key)
        if found is not None:
            return found
        with self._building:
            found = self._cached(key)  # built by another caller while this one waited
            if found is not None:
                return found
            value = build()
            with self._lock:
                self._values[key] = value
                while len(self._values) > self.kept:
                    self._values.popitem(last=False)
            return value

    def keys(self) -> list[K]:
        """Return the keys kept, least recently used first."""
        with self._lock:
            return list(self._values)

    def _cached(self, key: K) -> V | None:
        with self._lock:
            found = self._values.get(key)
            if found is not None:
                self._values.move_to_end(key)
            return found
