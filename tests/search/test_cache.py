"""The evaluation cache: lookups by key, counted, and saved/restored exactly."""

from __future__ import annotations

import json

import pytest

from search.cache import EvaluationCache


def test_a_miss_then_a_hit_after_put():
    cache = EvaluationCache()
    assert cache.get("k") is None
    cache.put("k", {"fitness": 0.5})
    assert cache.get("k") == {"fitness": 0.5}
    assert (cache.hits, cache.misses, cache.lookups) == (1, 1, 2)
    assert cache.hit_rate == 0.5


def test_hit_rate_is_zero_before_any_lookup():
    assert EvaluationCache().hit_rate == 0.0


def test_peek_and_contains_do_not_count():
    cache = EvaluationCache()
    cache.put("k", 1)
    assert cache.peek("k") == 1 and cache.peek("missing", "default") == "default"
    assert "k" in cache and "missing" not in cache
    assert cache.lookups == 0


def test_get_returns_the_default_on_a_miss():
    assert EvaluationCache().get("k", default=-1) == -1


def test_put_replaces_and_values_are_opaque():
    cache = EvaluationCache()
    cache.put("k", 1)
    cache.put("k", None)
    assert len(cache) == 1 and cache.peek("k", "absent") is None


def test_keys_must_be_strings():
    with pytest.raises(TypeError):
        EvaluationCache().put(123, "x")


def test_state_round_trips_exactly_through_json():
    cache = EvaluationCache()
    for i in range(5):
        cache.put(
            f"key{i}", {"status": "ok", "fitness": i / 3, "metrics": {"loss": [i, 0.1]}}
        )
    cache.get("key1")
    cache.get("nope")
    restored = EvaluationCache.from_state(json.loads(json.dumps(cache.state())))
    assert list(restored) == list(cache)
    assert all(restored.peek(k) == cache.peek(k) for k in cache)
    assert (restored.hits, restored.misses) == (1, 1)
    assert restored.state() == cache.state()


def test_state_is_a_copy():
    cache = EvaluationCache()
    cache.put("a", 1)
    state = cache.state()
    cache.put("b", 2)
    assert len(state["entries"]) == 1


def test_from_state_rejects_something_else():
    with pytest.raises(ValueError, match="not an evaluation cache state"):
        EvaluationCache.from_state({"hits": 0})
