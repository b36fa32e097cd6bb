"""The evaluation cache: results of programs already evaluated, by duplicate key.

Owns the memory that makes the search cheap (Chen et al. 2023, Sec. 2.2: about
89% of generated programs duplicate one already evaluated, so a cache consulted
before every evaluation saves about 10x). Keys are strings, normally a program's
semantic hash (`dsl.hashing`) or behavioural fingerprint (`dsl.fingerprint`);
values are opaque to the cache. It counts hits and misses of `get`, and
`state()` / `from_state()` give a plain-data copy a checkpoint can store and
restore exactly.

One of the few mutable objects of the project (docs/design.md, state), and
deliberately unbounded: a search of a few hundred thousand programs keeps a few
hundred thousand small entries.
"""

from __future__ import annotations

from typing import Any, Iterator


class EvaluationCache:
    """Opaque values by string key, with hit/miss counters."""

    def __init__(self) -> None:
        self._entries: dict[str, Any] = {}
        self.hits = 0
        self.misses = 0

    def get(self, key: str, default: Any = None) -> Any:
        """The value stored for `key`, or `default`; counts a hit or a miss."""
        if key in self._entries:
            self.hits += 1
            return self._entries[key]
        self.misses += 1
        return default

    def peek(self, key: str, default: Any = None) -> Any:
        """Like `get`, without counting (for questions that are not lookups)."""
        return self._entries.get(key, default)

    def put(self, key: str, value: Any) -> None:
        """Store `value` for `key`, replacing any earlier value."""
        if not isinstance(key, str):
            raise TypeError(f"cache keys are strings, got {type(key).__name__}")
        self._entries[key] = value

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    @property
    def lookups(self) -> int:
        """Calls of `get` so far."""
        return self.hits + self.misses

    @property
    def hit_rate(self) -> float:
        """Hits over lookups (0.0 before the first lookup)."""
        return self.hits / self.lookups if self.lookups else 0.0

    def state(self) -> dict:
        """Plain data (entries in insertion order, counters) for a checkpoint.

        The entries are copied, the values themselves are not: they are expected
        to be plain data already (numbers, strings, lists, dicts).
        """
        return {
            "entries": [[key, value] for key, value in self._entries.items()],
            "hits": self.hits,
            "misses": self.misses,
        }

    @classmethod
    def from_state(cls, state: dict) -> "EvaluationCache":
        """The cache `state()` described, counters included.

        Raises:
            ValueError: `state` is not what `state()` returns.
        """
        try:
            cache = cls()
            for key, value in state["entries"]:
                cache.put(key, value)
            cache.hits = int(state["hits"])
            cache.misses = int(state["misses"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not an evaluation cache state: {exc}") from None
        return cache

    def __repr__(self) -> str:
        return (
            f"EvaluationCache({len(self)} entries, {self.hits} hits, "
            f"{self.misses} misses)"
        )
