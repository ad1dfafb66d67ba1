"""A Redis restart empties its script cache; the shared limiter's buckets load
their Lua script again instead of failing every later refresh with NoScriptError."""

import os

import pytest

from connectors.ratelimit import HarvestRateLimiter, RedisStore, configured_rates

REDIS_URL = os.environ.get("TEST_REDIS_URL") or os.environ.get("REDIS_URL")


@pytest.mark.skipif(not REDIS_URL, reason="needs Redis (TEST_REDIS_URL / REDIS_URL)")
def test_the_limiter_reloads_its_script_after_a_redis_restart(settings):
    store = RedisStore(REDIS_URL, prefix="harvestdash:rl-test-restart")
    limiter = HarvestRateLimiter(store, rates=configured_rates(), max_wait_seconds=5)
    limiter.acquire("/v2/company", "restart-token", 4411001)
    for bucket in limiter.factory._buckets.values():
        # What a restarted Redis answers to EVALSHA of a script it never saw.
        bucket.script_hash = "0" * 40

    limiter.acquire("/v2/company", "restart-token", 4411001)

    token_bucket = next(k for k in limiter.factory._buckets if ":token:" in k)
    assert store.redis.zcard(f"harvestdash:rl-test-restart:{token_bucket}") == 2
    store.redis.delete(*store.redis.keys("harvestdash:rl-test-restart:*"))
