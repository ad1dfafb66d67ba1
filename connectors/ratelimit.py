"""One rate limiter shared by every request of every worker.

Harvest allows 100 requests per 15 s (100 per 15 min under /v2/reports/), and
whether it counts per token or per account is not documented, so we count
both: every request takes a slot in its token's bucket and in its account's
bucket. Buckets live in Redis when REDIS_URL is set, otherwise in a SQLite
file guarded by a file lock, so all processes on one machine share them.

Requests wait for a slot instead of failing; the wait is bounded only so that a
broken store cannot hang a worker forever. After a 429 the token is blocked
for Retry-After seconds in the same store, for every worker.
"""

import hashlib
import logging
import math
import re
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from functools import cache
from pathlib import Path

from django.conf import settings
from filelock import FileLock
from pyrate_limiter import (
    AbstractBucket,
    BucketFactory,
    Duration,
    Limiter,
    Rate,
    RateItem,
    RedisBucket,
    SQLiteBucket,
)
from redis import Redis
from redis.exceptions import NoScriptError, RedisError

from connectors.harvest.errors import HarvestUnavailable, Throttled

logger = logging.getLogger(__name__)

RATES: dict[str, Rate] = {
    "general": Rate(100, Duration.SECOND * 15),
    "reports": Rate(100, Duration.MINUTE * 15),
}
# Our windows are this much longer than Harvest's: a slot is taken when a request
# leaves a worker and Harvest counts it when it arrives, so an exact window lets
# the 101st request land inside the window of the first whenever the first took
# longer to arrive (lock waits, scheduling, a new connection). Only the spread of
# those delays matters, not the window's length. bench/refresh_1m.py saw it reach
# 0.03 s (requests i-100 and i arrived 15.72 s apart with 15.75 s windows, load
# ~2); 0.25 s leaves eight times that and costs 1.7% of a 15 s window, not 5%.
WINDOW_SAFETY_SECONDS = 0.25
REPORTS_PREFIX = "/v2/reports/"
LIMITER_UNREACHABLE = (
    "The shared rate limiter (Redis) could not be reached, so nothing was sent to "
    "Harvest. The refresh is tried again later."
)
# Longer than the reports window, so a request that waits its turn is never
# refused in normal operation.
MAX_WAIT_SECONDS = 20 * 60
INTERACTIVE_MAX_WAIT_SECONDS = 20


def bucket_for_path(path: str) -> str:
    """ "reports" for /v2/reports/*, "general" for everything else."""
    return "reports" if path.startswith(REPORTS_PREFIX) else "general"


def token_key(token: str) -> str:
    """The name a token is counted under: a hash, never the token."""
    return hashlib.sha256(token.encode()).hexdigest()[:32]


class RedisStore:
    def __init__(self, url: str, prefix: str = "harvestdash:rl") -> None:
        self.redis = Redis.from_url(url)
        self.prefix = prefix

    def make_bucket(self, key: str, rate: Rate) -> AbstractBucket:
        return RedisBucket.init([rate], self.redis, f"{self.prefix}:{key}")

    def touch(self, key: str, rate: Rate) -> None:
        # The leaker empties buckets in running processes; the expiry makes a
        # key vanish even when no process is left to leak it.
        self.redis.expire(f"{self.prefix}:{key}", math.ceil(rate.interval / 1000) + 1)

    def blocked_until(self, token_hash: str) -> float:
        value = self.redis.get(f"{self.prefix}:blocked:{token_hash}")
        return float(value) if value else 0.0

    def block(self, token_hash: str, until: float) -> None:
        key = f"{self.prefix}:blocked:{token_hash}"
        seconds = max(1, math.ceil(until - time.time()) + 1)
        if until > self.blocked_until(token_hash):
            self.redis.set(key, repr(until), ex=seconds)


class SQLiteStore:
    def __init__(self, path: str, prefix: str = "harvestdash_rl") -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.prefix = re.sub(r"\W", "_", prefix)
        self.file_lock = FileLock(path + ".lock")
        # Table names are built from \w characters only (see above), so the
        # f-strings in the queries below cannot inject SQL.
        self._blocked_table = f"{self.prefix}_blocked"
        with self.file_lock, self._connect() as db:
            db.execute(
                f'CREATE TABLE IF NOT EXISTS "{self._blocked_table}" '
                "(token_hash TEXT PRIMARY KEY, until REAL NOT NULL)"
            )

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30)

    def make_bucket(self, key: str, rate: Rate) -> AbstractBucket:
        table = f"{self.prefix}_{re.sub(r'[^a-zA-Z0-9]', '_', key)}"
        return SQLiteBucket.init_from_file(
            [rate], table=table, db_path=self.path, use_file_lock=True
        )

    def touch(self, key: str, rate: Rate) -> None:
        # Old rows are deleted by the library's leaker thread.
        # TODO: the empty table of a token or account that is gone stays in the
        # file (a few KB each); a periodic VACUUM/DROP of empty tables would
        # remove them. Not needed on Redis, whose keys expire.
        return None

    def blocked_until(self, token_hash: str) -> float:
        with self._connect() as db:
            row = db.execute(
                f'SELECT until FROM "{self._blocked_table}" WHERE token_hash = ?',  # noqa: S608
                (token_hash,),
            ).fetchone()
        return row[0] if row else 0.0

    def block(self, token_hash: str, until: float) -> None:
        with self.file_lock, self._connect() as db:
            db.execute(
                f'DELETE FROM "{self._blocked_table}" WHERE until < ?',  # noqa: S608
                (time.time(),),
            )
            db.execute(
                f'INSERT INTO "{self._blocked_table}" (token_hash, until) '  # noqa: S608
                "VALUES (?, ?) ON CONFLICT(token_hash) "
                "DO UPDATE SET until = max(until, excluded.until)",
                (token_hash, until),
            )


Store = RedisStore | SQLiteStore


class KeyedBucketFactory(BucketFactory):
    """One bucket per "<bucket>:<token|account>:<id>" key, made on first use.

    Item names are "<key>|<unique id>": the key routes the item, the unique
    part keeps Redis from merging two requests made in the same millisecond.
    """

    def __init__(self, store: Store, rates: dict[str, Rate]) -> None:
        self.store = store
        self.rates = rates
        self._buckets: dict[str, AbstractBucket] = {}
        self._lock = threading.Lock()

    def wrap_item(self, name: str, weight: int = 1) -> RateItem:
        return RateItem(name, time.time_ns() // 1_000_000, weight=weight)

    def get(self, item: RateItem) -> AbstractBucket:
        return self.bucket_for(item.name.split("|", 1)[0])

    def forget(self, key: str) -> None:
        """Drops the key's bucket so the next use makes a fresh one."""
        with self._lock:
            self._buckets.pop(key, None)

    def bucket_for(self, key: str) -> AbstractBucket:
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                rate = self.rates[key.split(":", 1)[0]]
                bucket = self.store.make_bucket(key, rate)
                self.schedule_leak(bucket)
                self._buckets[key] = bucket
            return bucket


class HarvestRateLimiter:
    def __init__(
        self,
        store: Store,
        *,
        rates: dict[str, Rate] | None = None,
        max_wait_seconds: float = MAX_WAIT_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.store = store
        self.rates = rates or RATES
        self.factory = KeyedBucketFactory(store, self.rates)
        self.limiter = Limiter(self.factory)
        self.max_wait_seconds = max_wait_seconds
        self.sleep = sleep

    def acquire(self, path: str, token: str, account_id: int | None = None) -> float:
        """Wait for a slot for one request to `path`; returns seconds waited."""
        try:
            return self._acquire(path, token, account_id)
        except RedisError:
            # Without the shared counts no worker may call Harvest: the request
            # is not sent, and the run fails clearly and is tried again later.
            logger.warning("rate limiter unreachable account=%s", account_id)
            raise HarvestUnavailable(LIMITER_UNREACHABLE) from None

    def _acquire(self, path: str, token: str, account_id: int | None) -> float:
        started = time.monotonic()
        deadline = started + self.max_wait_seconds
        bucket = bucket_for_path(path)
        token_hash = token_key(token)
        self._wait_while_blocked(token_hash, deadline)

        keys = [f"{bucket}:token:{token_hash}"]
        if account_id is not None:
            keys.append(f"{bucket}:account:{account_id}")
        # Slots are taken one after the other: a request waiting for its
        # account slot has already used a token slot. That errs on the slow,
        # safe side, and needs no lock spanning two buckets.
        for key in keys:
            self._take_slot(key, deadline)

        waited = time.monotonic() - started
        if waited > 1:
            logger.info(
                "rate limit wait bucket=%s account=%s seconds=%.1f",
                bucket,
                account_id,
                waited,
            )
        return waited

    def block(self, token: str, seconds: float) -> None:
        """No request on this token, from any worker, for `seconds`."""
        self.store.block(token_key(token), time.time() + seconds)

    def blocked_for(self, token: str) -> float:
        return max(0.0, self.store.blocked_until(token_key(token)) - time.time())

    def _wait_while_blocked(self, token_hash: str, deadline: float) -> None:
        # Sleep until the stored "blocked until"; look again only if another
        # 429 pushed it further meanwhile.
        slept_until = None
        while (until := self.store.blocked_until(token_hash)) != slept_until:
            remaining = until - time.time()
            if remaining <= 0:
                return
            if time.monotonic() + remaining > deadline:
                raise Throttled(retry_after=remaining)
            self.sleep(remaining)
            slept_until = until

    def _take_slot(self, key: str, deadline: float) -> None:
        # Poll without blocking: the library's blocking mode holds one lock per
        # process for the whole wait, which would make a request waiting on the
        # reports bucket hold up general requests in other threads.
        rate = self.rates[key.split(":", 1)[0]]
        reloaded = False
        while True:
            name = f"{key}|{uuid.uuid4().hex}"
            try:
                acquired = self.limiter.try_acquire(name, blocking=False)
            except NoScriptError:
                # Redis restarted and lost the bucket's Lua script: a new bucket
                # loads it again (once; a second miss is a real error).
                if reloaded:
                    raise
                self.factory.forget(key)
                reloaded = True
                continue
            if acquired:
                self.store.touch(key, rate)
                return

            pause = self._pause_seconds(key, name)
            if time.monotonic() + pause > deadline:
                raise Throttled(retry_after=pause)
            self.sleep(pause)

    def _pause_seconds(self, key: str, name: str) -> float:
        bucket = self.factory.bucket_for(key)
        try:
            waiting_ms = bucket.waiting(self.factory.wrap_item(name))
        except (AssertionError, TypeError):
            # Another thread reset the bucket's failing rate meanwhile.
            waiting_ms = 250
        return min(max(int(waiting_ms), 20), 5_000) / 1000


def configured_rates() -> dict[str, Rate]:
    """RATES with their windows multiplied by settings.HARVEST_RATE_LIMIT_SCALE and
    lengthened by WINDOW_SAFETY_SECONDS (not scaled: delays do not shrink with
    the window)."""
    scale = settings.HARVEST_RATE_LIMIT_SCALE
    margin_ms = WINDOW_SAFETY_SECONDS * 1000
    return {
        name: Rate(rate.limit, max(1, round(rate.interval * scale + margin_ms)))
        for name, rate in RATES.items()
    }


def store_from_url(url: str, prefix: str | None = None) -> Store:
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisStore(url, prefix or "harvestdash:rl")
    if url.startswith("sqlite:///"):
        return SQLiteStore(url.removeprefix("sqlite:///"), prefix or "harvestdash_rl")
    raise ValueError("RATE_LIMIT_STORE must be a redis:// or sqlite:/// URL")


@cache
def shared_limiter() -> HarvestRateLimiter:
    """The process-wide limiter over settings.RATE_LIMIT_STORE."""
    return HarvestRateLimiter(
        store_from_url(settings.RATE_LIMIT_STORE), rates=configured_rates()
    )


@cache
def interactive_limiter() -> HarvestRateLimiter:
    """The same shared counters, for requests a person waits on in the browser.

    A web request gives up after INTERACTIVE_MAX_WAIT_SECONDS with Throttled
    (shown as "try again in a few minutes") instead of hanging on a long
    Retry-After that a background refresh would simply sit out.
    """
    return HarvestRateLimiter(
        store_from_url(settings.RATE_LIMIT_STORE),
        rates=configured_rates(),
        max_wait_seconds=INTERACTIVE_MAX_WAIT_SECONDS,
    )
