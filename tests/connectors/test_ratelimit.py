"""The shared limiter, on a real Redis and on the SQLite file store."""

import multiprocessing
import time
import uuid
from pathlib import Path

import pytest
from pyrate_limiter import Rate
from redis import Redis

from connectors.ratelimit import (
    HarvestRateLimiter,
    RedisStore,
    SQLiteStore,
    bucket_for_path,
    token_key,
)

REDIS_URL = "redis://127.0.0.1:6379/0"
FAST = {"general": Rate(4, 1000), "reports": Rate(2, 3000)}
TOKEN = "canary-ratelimit-token-0b7c"


@pytest.fixture(params=["redis", "sqlite"])
def make_store(request, tmp_path):
    """Makes a new store object on one shared backend, as each worker would."""
    prefix = f"hdtest_{uuid.uuid4().hex[:10]}"
    if request.param == "redis":
        yield lambda: RedisStore(REDIS_URL, prefix=prefix)
        redis = Redis.from_url(REDIS_URL)
        for key in redis.scan_iter(f"{prefix}*"):
            redis.delete(key)
    else:
        path = str(tmp_path / "ratelimit.sqlite3")
        yield lambda: SQLiteStore(path, prefix=prefix)


def worker(make_store) -> HarvestRateLimiter:
    return HarvestRateLimiter(make_store(), rates=FAST)


def timed(action) -> float:
    started = time.monotonic()
    action()
    return time.monotonic() - started


def test_requests_over_the_limit_wait_for_a_slot(make_store):
    first, second = worker(make_store), worker(make_store)

    fast = timed(lambda: [first.acquire("/v2/clients", TOKEN, 1) for _ in range(4)])
    slow = timed(lambda: [second.acquire("/v2/clients", TOKEN, 1) for _ in range(2)])

    assert fast < 0.5
    assert 0.6 < slow < 3


def test_tokens_on_one_account_share_the_account_bucket(make_store):
    first, second = worker(make_store), worker(make_store)

    timed(lambda: [first.acquire("/v2/clients", "token-a", 7) for _ in range(4)])
    other_account = timed(lambda: second.acquire("/v2/clients", "token-b", 8))
    same_account = timed(lambda: second.acquire("/v2/clients", "token-b", 7))

    assert other_account < 0.3
    assert same_account > 0.6


def test_reports_have_their_own_slower_bucket(make_store):
    limiter = worker(make_store)

    timed(lambda: [limiter.acquire("/v2/clients", TOKEN, 1) for _ in range(4)])
    reports = timed(
        lambda: [limiter.acquire("/v2/reports/time/team", TOKEN) for _ in range(3)]
    )

    assert bucket_for_path("/v2/reports/time/projects") == "reports"
    assert bucket_for_path("/v2/time_entries") == "general"
    assert reports > 2.5


def test_a_429_blocks_the_token_for_every_worker(make_store):
    throttled, other = worker(make_store), worker(make_store)

    throttled.block(TOKEN, 1.0)
    waited = timed(lambda: other.acquire("/v2/clients", TOKEN, 1))
    unrelated = timed(lambda: other.acquire("/v2/clients", "another-token", 2))

    assert 0.8 < waited < 1.6
    assert unrelated < 0.3
    assert other.blocked_for(TOKEN) == 0


def test_a_wait_beyond_the_bound_is_refused_not_hung(make_store):
    from connectors.harvest.errors import Throttled

    limiter = HarvestRateLimiter(make_store(), rates=FAST, max_wait_seconds=0.5)
    limiter.block(TOKEN, 30)

    with pytest.raises(Throttled):
        limiter.acquire("/v2/clients", TOKEN, 1)


def _acquire_in_process(store_args: tuple, count: int, times) -> None:
    kind, location, prefix = store_args
    store = (
        RedisStore(location, prefix=prefix)
        if kind == "redis"
        else SQLiteStore(location, prefix=prefix)
    )
    limiter = HarvestRateLimiter(store, rates=FAST)
    for _ in range(count):
        limiter.acquire("/v2/clients", TOKEN, 3)
        times.put(time.time())


@pytest.mark.parametrize("kind", ["redis", "sqlite"])
def test_worker_processes_share_the_limit(kind, tmp_path):
    prefix = f"hdtest_{uuid.uuid4().hex[:10]}"
    location = REDIS_URL if kind == "redis" else str(tmp_path / "shared.sqlite3")
    context = multiprocessing.get_context("spawn")
    times = context.Queue()
    processes = [
        context.Process(
            target=_acquire_in_process, args=((kind, location, prefix), 4, times)
        )
        for _ in range(2)
    ]

    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=30)
    granted = sorted(times.get(timeout=5) for _ in range(8))

    assert [p.exitcode for p in processes] == [0, 0]
    # 8 requests at 4 per second across two processes: the fifth slot opens
    # only when the first leaves the one-second window.
    assert granted[4] - granted[0] > 0.9


def test_redis_keys_expire_and_never_name_the_token():
    prefix = f"hdtest_{uuid.uuid4().hex[:10]}"
    limiter = HarvestRateLimiter(RedisStore(REDIS_URL, prefix=prefix), rates=FAST)
    redis = Redis.from_url(REDIS_URL)

    limiter.acquire("/v2/reports/time/team", TOKEN, 5)
    limiter.block(TOKEN, 20)
    keys = sorted(k.decode() for k in redis.scan_iter(f"{prefix}*"))
    ttls = [redis.ttl(k) for k in keys]
    for key in keys:
        redis.delete(key)

    assert keys == [
        f"{prefix}:blocked:{token_key(TOKEN)}",
        f"{prefix}:reports:account:5",
        f"{prefix}:reports:token:{token_key(TOKEN)}",
    ]
    assert all(0 < ttl <= 21 for ttl in ttls)
    assert not any(TOKEN in key for key in keys)


def test_the_sqlite_store_never_holds_the_token(tmp_path):
    path = tmp_path / "ratelimit.sqlite3"
    limiter = HarvestRateLimiter(SQLiteStore(str(path)), rates=FAST)

    limiter.acquire("/v2/clients", TOKEN, 5)
    limiter.block(TOKEN, 5)

    stored = b"".join(p.read_bytes() for p in Path(tmp_path).glob("ratelimit*"))
    assert token_key(TOKEN).encode() in stored
    assert TOKEN.encode() not in stored
