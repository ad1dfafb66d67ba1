"""Deterministic sandbox data: a small agency plus time entries and expenses.

Time entry ``i`` (0 = newest) is computed from ``(seed, i)`` on demand, never stored:
entries are spread over the working days of the last 365 days, newest first, so a
``from``/``to`` filter maps to an index range. Mutations made through the API live in
an overlay (``TimeEntryOverlay``) on top of the generated entries.
"""

import bisect
import calendar
import itertools
import logging
import threading
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

from sandbox import catalog
from sandbox.catalog import ClientSpec, ProjectSpec, TaskSpec, UserSpec

logger = logging.getLogger(__name__)

MASK64 = (1 << 64) - 1
_GENERATIONS = itertools.count(1)
TIME_ENTRY_ID_BASE = 2_500_000_000
EXPENSE_ID_BASE = 9_900_000
WINDOW_DAYS = 365
# The running timer's live part is fixed rather than wall-clock based, so that the
# same seed and day give byte-identical answers.
RUNNING_LIVE_CENTIHOURS = 87
APPROVAL_AFTER_DAYS = 14
# Relative amount of work per weekday (Mon..Sun) and per month (Jan..Dec).
WEEKDAY_WEIGHTS = (1.0, 1.08, 1.08, 1.0, 0.78, 0.3, 0.2)
MONTH_WEIGHTS = (0.9, 1.0, 1.05, 1.0, 1.0, 0.95, 0.85, 0.65, 1.05, 1.1, 1.05, 0.75)
MAX_UPDATE_LAG_DAYS = 40  # invoices are issued on the 3rd of the following month
LOCKED_INVOICED = "Item invoiced and locked for this time period"
LOCKED_APPROVED = "Item Approved and Locked for this Time Period"
LOCKED_ARCHIVED = "Project is archived"
AVATAR_URL = "https://cache.example.com/avatars/{slug}.png"
UA_REF_KEYS = (
    "id",
    "is_project_manager",
    "is_active",
    "budget",
    "created_at",
    "updated_at",
    "hourly_rate",
)
TA_REF_KEYS = (
    "id",
    "billable",
    "is_active",
    "created_at",
    "updated_at",
    "hourly_rate",
    "budget",
)


def mix64(value: int) -> int:
    """splitmix64 finaliser: a fast, well-spread hash of one integer."""
    value = (value + 0x9E3779B97F4A7C15) & MASK64
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & MASK64
    return value ^ (value >> 31)


def stamp(day: date, hour: int = 0, minute: int = 0, second: int = 0) -> str:
    """A UTC timestamp string, day + offset; hours past 23 roll into the next day."""
    moment = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
        hours=hour, minutes=minute, seconds=second
    )
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def ceil_quarter(centihours: int) -> int:
    """Harvest's "round up to 15 minutes", in hundredths of an hour."""
    return -(-centihours // 25) * 25


def money(value: float) -> float:
    return round(value + 0.0, 2)


@dataclass(frozen=True)
class TimeEntryQuery:
    """The documented time entry filters; None means "not filtered"."""

    from_: date | None = None
    to: date | None = None
    user_id: int | None = None
    client_id: int | None = None
    project_id: int | None = None
    task_id: int | None = None
    is_billed: bool | None = None
    is_running: bool | None = None
    updated_since: str | None = None  # normalised "YYYY-MM-DDTHH:MM:SSZ"
    external_reference_id: str | None = None

    def needs_scan(self) -> bool:
        return any(
            value is not None
            for value in (
                self.user_id,
                self.client_id,
                self.project_id,
                self.task_id,
                self.is_billed,
                self.is_running,
                self.updated_since,
                self.external_reference_id,
            )
        )


@dataclass(frozen=True)
class ExpenseQuery:
    from_: date | None = None
    to: date | None = None
    user_id: int | None = None
    client_id: int | None = None
    project_id: int | None = None
    is_billed: bool | None = None
    updated_since: str | None = None

    def needs_scan(self) -> bool:
        return any(
            value is not None
            for value in (
                self.user_id,
                self.client_id,
                self.project_id,
                self.is_billed,
                self.updated_since,
            )
        )


class Combo(NamedTuple):
    """What every entry of one (project, user, task) shares, built once."""

    user_ref: dict
    client_ref: dict
    project_ref: dict
    task_ref: dict
    ua_ref: dict
    ta_ref: dict
    billable: bool
    billable_rate: float | None
    cost_rate: float
    budgeted: bool
    spec: ProjectSpec
    client: ClientSpec
    task: TaskSpec


class Selection(Sequence):
    """Generated indices merged with overlay records, in Harvest's list order."""

    def __init__(
        self,
        generated: Sequence[int],
        extras: list[dict],
        render: Callable[[int], dict],
        sort_key_of_index: Callable[[int], tuple],
        sort_key_of_record: Callable[[dict], tuple],
    ) -> None:
        self.generated = generated
        self.extras = extras
        self.render = render
        # Merged position of each overlay record: generated items before it + rank.
        self.extra_positions = [
            bisect.bisect_left(
                generated, sort_key_of_record(rec), key=sort_key_of_index
            )
            + rank
            for rank, rec in enumerate(extras)
        ]

    def __len__(self) -> int:
        return len(self.generated) + len(self.extras)

    def __getitem__(self, position):  # type: ignore[override]
        if isinstance(position, slice):
            start, stop, _ = position.indices(len(self))
            return [self[p] for p in range(start, stop)]

        if position < 0:
            position += len(self)
        if not 0 <= position < len(self):
            raise IndexError(position)
        rank = bisect.bisect_left(self.extra_positions, position)
        if rank < len(self.extra_positions) and self.extra_positions[rank] == position:
            return self.extras[rank]
        return self.render(self.generated[position - rank])


class Dataset:
    """The whole sandbox account for one (seed, entries, today)."""

    def __init__(
        self, seed: int = 42, entries: int = 3000, today: date | None = None
    ) -> None:
        self.seed = seed
        self.entry_count = max(0, int(entries))
        self.expense_count = max(24, self.entry_count // 25) if self.entry_count else 0
        self.today = today or datetime.now(UTC).date()
        self.window_start = self.today - timedelta(days=WINDOW_DAYS - 1)
        self.generation = next(_GENERATIONS)  # tells rebuilt datasets apart in caches
        self._lock = threading.RLock()
        self._scan_cache: OrderedDict[tuple, array] = OrderedDict()
        self._billing: dict | None = None
        self._invoice_list: list[dict] | None = None
        self.overlay = TimeEntryOverlay(self)

        self._build_days()
        self.entry_starts = self._day_starts(self.entry_count)
        self.expense_starts = self._day_starts(self.expense_count)
        self._build_catalog()
        self._build_day_mix()
        self._plan_invoices()

    # ----------------------------------------------------------------- calendar
    def _build_days(self) -> None:
        days = [self.today]
        cursor = self.today - timedelta(days=1)
        while cursor >= self.window_start:
            if cursor.weekday() < 5:
                days.append(cursor)
            cursor -= timedelta(days=1)
        self.days = days  # newest first
        self.day_strings = [d.isoformat() for d in days]
        self.day_ordinals = [d.toordinal() for d in days]
        self._neg_ordinals = [-o for o in self.day_ordinals]  # ascending
        # Per-day strings made once: formatting timestamps dominates page rendering.
        self.month_keys = [(d.year, d.month) for d in days]
        self.approval_stamps = [stamp(d + timedelta(days=9), 10) for d in days]

    def days_ago(self, offset: int | None) -> date | None:
        return None if offset is None else self.today - timedelta(days=offset)

    def _day_weights(self) -> list[float]:
        """Busier midweek, quiet Fridays, August and the year end; a growing agency."""
        width = len(self.days)
        weights = []
        for k, day in enumerate(self.days):
            weight = WEEKDAY_WEIGHTS[day.weekday()] * MONTH_WEIGHTS[day.month - 1]
            weight *= 1.1 - 0.25 * k / width
            weight *= 0.85 + 0.3 * (mix64(self.seed * 7919 + k) % 1000) / 1000
            weights.append(weight)
        weights[0] *= 0.5  # today is not over yet
        return weights

    def _day_starts(self, count: int) -> list[int]:
        """First index of each day (plus the end): items spread by the day weights."""
        weights = self._day_weights()
        total = sum(weights)
        starts = []
        running = 0.0
        for weight in weights:
            starts.append(int(count * running / total))
            running += weight
        starts.append(count)
        if count:
            starts[1] = max(starts[1], 1)  # today always holds the running timer
        for k in range(1, len(starts)):
            starts[k] = max(starts[k], starts[k - 1])
        return starts

    def index_range(
        self, start: date | None, end: date | None, starts: list[int]
    ) -> range:
        """Indices of the items whose day lies in [start, end] (either may be None)."""
        k_lo = 0
        k_hi = len(self.days)
        if end is not None:
            k_lo = bisect.bisect_left(self._neg_ordinals, -end.toordinal())
        if start is not None:
            k_hi = bisect.bisect_right(self._neg_ordinals, -start.toordinal())
        if k_hi <= k_lo:
            return range(0)
        return range(starts[k_lo], starts[k_hi])

    # ------------------------------------------------------------------ catalog
    def _created(self, days_before: int, hour: int = 14, minute: int = 0) -> str:
        return stamp(self.today - timedelta(days=days_before), hour, minute)

    def _build_catalog(self) -> None:
        self.client_specs = {c.id: c for c in catalog.CLIENTS}
        self.project_specs = list(catalog.PROJECTS)
        self.task_specs = list(catalog.TASKS)
        self.user_specs = list(catalog.USERS)
        self.task_by_id = {t.id: t for t in self.task_specs}
        self.user_by_id = {u.id: u for u in self.user_specs}
        self.project_by_id = {p.id: p for p in self.project_specs}

        self.archived_stamps = {
            p.id: stamp(self.today - timedelta(days=p.archived), 17, 4)
            for p in self.project_specs
            if p.archived is not None
        }
        self.client_records = [self._client_record(c) for c in catalog.CLIENTS]
        self.project_records = [self._project_record(p) for p in self.project_specs]
        self.task_records = [self._task_record(t) for t in self.task_specs]
        self.user_records = [self._user_record(u) for u in self.user_specs]
        self._build_assignments()

    def _client_record(self, spec: ClientSpec) -> dict:
        updated = spec.created if spec.archived is None else spec.archived
        return {
            "id": spec.id,
            "name": spec.name,
            "is_active": spec.archived is None,
            "address": spec.address,
            "statement_key": f"{mix64(spec.id * 7 + self.seed):016x}"
            f"{mix64(spec.id):016x}",
            "created_at": self._created(spec.created, 15),
            "updated_at": self._created(updated, 17, 5),
            "currency": spec.currency,
        }

    def project_created_days(self, spec: ProjectSpec) -> int:
        return (spec.starts or 400) + 4

    def _project_record(self, spec: ProjectSpec) -> dict:
        client = self.client_specs[spec.client_id]
        created = self.project_created_days(spec)
        updated = spec.archived if spec.archived is not None else created
        return {
            "id": spec.id,
            "name": spec.name,
            "code": spec.code,
            "is_active": spec.archived is None,
            "bill_by": spec.bill_by,
            "budget": spec.budget,
            "budget_by": spec.budget_by,
            "budget_is_monthly": spec.budget_is_monthly,
            "notify_when_over_budget": spec.budget_by != "none",
            "over_budget_notification_percentage": 80.0,
            "over_budget_notification_date": None,
            "show_budget_to_all": False,
            "created_at": self._created(created, 15, 10),
            "updated_at": self._created(updated, 17, 4),
            "starts_on": _iso(self.days_ago(spec.starts)),
            "ends_on": _iso(self.days_ago(spec.ends)),
            "is_billable": spec.is_billable,
            "is_fixed_fee": spec.is_fixed_fee,
            "notes": spec.notes,
            "client": {
                "id": client.id,
                "name": client.name,
                "currency": client.currency,
            },
            "cost_budget": spec.cost_budget,
            "cost_budget_include_expenses": False,
            "hourly_rate": spec.hourly_rate,
            "fee": spec.fee,
        }

    def _task_record(self, spec: TaskSpec) -> dict:
        updated = 431 if spec.archived is None else spec.archived
        return {
            "id": spec.id,
            "name": spec.name,
            "billable_by_default": spec.billable,
            "default_hourly_rate": spec.rate,
            "is_default": spec.is_default,
            "is_active": spec.archived is None,
            "created_at": self._created(431, 14, 2 + spec.id % 50),
            "updated_at": self._created(updated, 14, 2 + spec.id % 50),
        }

    def _user_record(self, spec: UserSpec) -> dict:
        updated = spec.created if spec.archived is None else spec.archived
        return {
            "id": spec.id,
            "first_name": spec.first_name,
            "last_name": spec.last_name,
            "email": spec.email,
            "telephone": spec.telephone,
            "timezone": spec.timezone,
            "has_access_to_all_future_projects": "administrator" in spec.access_roles,
            "is_contractor": spec.is_contractor,
            "is_active": spec.archived is None,
            "created_at": self._created(spec.created, 8, 5),
            "updated_at": self._created(updated, 11, 0),
            "weekly_capacity": spec.capacity_hours * 3600,
            "default_hourly_rate": spec.rate,
            "cost_rate": spec.cost_rate,
            "roles": list(spec.roles),
            "access_roles": list(spec.access_roles),
            "avatar_url": AVATAR_URL.format(slug=spec.first_name.lower()),
        }

    def _build_assignments(self) -> None:
        self.user_assignment_records: list[dict] = []
        self.task_assignment_records: list[dict] = []
        self.ua_by_pair: dict[tuple[int, int], dict] = {}
        self.ta_by_pair: dict[tuple[int, int], dict] = {}
        ua_id = 7100001
        ta_id = 7200001
        for spec in self.project_specs:
            project_created = self.project_created_days(spec)
            archived = spec.archived
            for user_id in spec.users:
                user = self.user_by_id[user_id]
                created = min(project_created, user.created) - 0
                record = {
                    "id": ua_id,
                    "is_project_manager": user_id in (catalog.MAYA, catalog.GRACE),
                    "is_active": archived is None,
                    "use_default_rates": spec.bill_by != "People",
                    "budget": None,
                    "created_at": self._created(created, 15, 20),
                    "updated_at": self._created(
                        created if archived is None else archived, 15, 20
                    ),
                    "hourly_rate": user.rate,
                    "project": {"id": spec.id, "name": spec.name, "code": spec.code},
                    "user": {"id": user.id, "name": user.name},
                }
                self.user_assignment_records.append(record)
                self.ua_by_pair[(spec.id, user_id)] = record
                ua_id += 1
            for task_id in spec.tasks:
                task = self.task_by_id[task_id]
                rate = spec.task_rates.get(task_id, task.rate)
                record = {
                    "id": ta_id,
                    "billable": task.billable and spec.is_billable,
                    "is_active": archived is None and task.archived is None,
                    "created_at": self._created(project_created, 15, 20),
                    "updated_at": self._created(
                        project_created if archived is None else archived, 15, 20
                    ),
                    "hourly_rate": rate if task.billable else None,
                    "budget": None,
                    "project": {"id": spec.id, "name": spec.name, "code": spec.code},
                    "task": {"id": task.id, "name": task.name},
                }
                self.task_assignment_records.append(record)
                self.ta_by_pair[(spec.id, task_id)] = record
                ta_id += 1

    def _assignment_ref(self, record: dict, keys: Sequence[str]) -> dict:
        return {key: record[key] for key in keys}

    # ------------------------------------------------------------- daily mix
    def _build_day_mix(self) -> None:
        """Per working day: which projects, users and tasks can book time."""
        self._combos: dict[tuple[int, int, int], Combo] = {}
        self._mix_by_signature: dict[tuple, tuple] = {}
        self.day_mix: list[tuple] = []
        for day in self.days:
            signature = []
            for p_index, spec in enumerate(self.project_specs):
                if not self._project_open_on(spec, day):
                    continue
                users = tuple(
                    uid for uid in spec.users if self._user_works_on(uid, day)
                )
                tasks = tuple(tid for tid in spec.tasks if self._task_open_on(tid, day))
                if users and tasks:
                    signature.append((p_index, users, tasks))
            key = tuple(signature)
            if key not in self._mix_by_signature:
                weighted = tuple(
                    item
                    for item in key
                    for _ in range(self.project_specs[item[0]].weight)
                )
                self._mix_by_signature[key] = weighted
            self.day_mix.append(self._mix_by_signature[key])

    def _project_open_on(self, spec: ProjectSpec, day: date) -> bool:
        starts = self.days_ago(spec.starts)
        ends = self.days_ago(spec.ends)
        return (starts is None or day >= starts) and (ends is None or day <= ends)

    def _user_works_on(self, user_id: int, day: date) -> bool:
        spec = self.user_by_id[user_id]
        joined = self.today - timedelta(days=spec.created)
        left = self.days_ago(spec.archived)
        return day >= joined and (left is None or day < left)

    def _task_open_on(self, task_id: int, day: date) -> bool:
        archived = self.days_ago(self.task_by_id[task_id].archived)
        return archived is None or day < archived

    def combo_for(self, p_index: int, user_id: int, task_id: int) -> "Combo":
        key = (p_index, user_id, task_id)
        cached = self._combos.get(key)
        if cached is not None:
            return cached

        spec = self.project_specs[p_index]
        client = self.client_specs[spec.client_id]
        user = self.user_by_id[user_id]
        task = self.task_by_id[task_id]
        ua = self.ua_by_pair[(spec.id, user_id)]
        ta = self.ta_by_pair[(spec.id, task_id)]
        billable = spec.is_billable and task.billable
        rate = {
            "Project": spec.hourly_rate,
            "Tasks": ta["hourly_rate"],
            "People": ua["hourly_rate"],
        }.get(spec.bill_by)
        combo = Combo(
            user_ref={"id": user.id, "name": user.name},
            client_ref={"id": client.id, "name": client.name},
            project_ref={"id": spec.id, "name": spec.name},
            task_ref={"id": task.id, "name": task.name},
            ua_ref=self._assignment_ref(ua, UA_REF_KEYS),
            ta_ref=self._assignment_ref(ta, TA_REF_KEYS),
            billable=billable,
            billable_rate=rate if billable else None,
            cost_rate=user.cost_rate,
            budgeted=spec.budget_by != "none",
            spec=spec,
            client=client,
            task=task,
        )
        self._combos[key] = combo
        return combo

    # ----------------------------------------------------------- time entries
    def _entry_hash(self, i: int) -> int:
        return mix64((self.seed << 33) ^ (i * 0x2545F4914F6CDD1D) ^ 0x7E)

    def entry_core(self, i: int) -> tuple[int, int, int, int, int, int]:
        """(day index, project index, user id, task id, centihours, hash) of entry i."""
        h = self._entry_hash(i)
        k = bisect.bisect_right(self.entry_starts, i) - 1
        mix = self.day_mix[k]
        p_index, users, tasks = mix[h % len(mix)]
        user_id = users[(h >> 12) % len(users)]
        task_id = tasks[(h >> 20) % len(tasks)]
        centi = 25 + (h >> 28) % 576
        if (h >> 40) & 3 == 0:
            centi = ceil_quarter(centi)
        return k, p_index, user_id, task_id, centi, h

    def entry_id(self, i: int) -> int:
        return TIME_ENTRY_ID_BASE + (self.entry_count - 1 - i)

    def index_of_entry_id(self, entry_id: int) -> int | None:
        i = self.entry_count - 1 - (entry_id - TIME_ENTRY_ID_BASE)
        return i if 0 <= i < self.entry_count else None

    def is_billed_on(self, k: int, spec: ProjectSpec) -> bool:
        if not spec.is_billable or spec.is_fixed_fee:
            return False
        return (spec.client_id, self.month_keys[k]) in self.billed_months

    def _entry_flags(self, i: int, k: int, spec: ProjectSpec, billable: bool) -> tuple:
        """(is_billed, is_closed, locked_reason, updated_at suffix parts) for an entry."""
        day = self.days[k]
        is_billed = billable and self.is_billed_on(k, spec)
        is_closed = (self.today - day).days >= APPROVAL_AFTER_DAYS and i != 0
        archived = self.archived_stamps.get(spec.id)
        reason = _lock_reason(archived is not None, is_billed, is_closed)
        return is_billed, is_closed, reason, archived

    def _entry_updated_at(
        self, k: int, created_at: str, spec: ProjectSpec, flags: tuple
    ) -> str:
        is_billed, is_closed, _reason, archived = flags
        updated = created_at
        if is_closed:
            updated = max(updated, self.approval_stamps[k])
        if is_billed:
            invoice = self.invoice_ref_for(spec.client_id, self.month_keys[k])
            if invoice is not None:
                updated = max(updated, invoice[2])
        if archived is not None:
            updated = max(updated, archived)
        return updated

    def entry_updated_at(self, i: int) -> str:
        k, p_index, user_id, task_id, _centi, h = self.entry_core(i)
        combo = self.combo_for(p_index, user_id, task_id)
        spec = combo.spec
        flags = self._entry_flags(i, k, spec, combo.billable)
        return self._entry_updated_at(k, self._entry_created_at(k, h), spec, flags)

    def _entry_created_at(self, k: int, h: int) -> str:
        minutes = 8 * 60 + (h >> 44) % (14 * 60)  # 08:00..21:59, never the next day
        if k == 0:
            minutes = min(minutes, 12 * 60)
        hour, minute = divmod(minutes, 60)
        return f"{self.day_strings[k]}T{hour:02d}:{minute:02d}:{(h >> 54) % 60:02d}Z"

    def external_reference_for(self, spec: ProjectSpec, task_id: int, h: int):
        if task_id != catalog.DEV or (h >> 50) % 9 != 0:
            return None
        number = 100 + (h >> 8) % 900
        return {
            "id": f"{spec.code}-{number}",
            "group_id": str(70000 + spec.id % 1000),
            "account_id": "4411",
            "permalink": f"https://tracker.example.com/{spec.code.lower()}/issues/{number}",
            "service": "tracker.example.com",
            "service_icon_url": "https://tracker.example.com/icon.png",
        }

    def time_entry(self, i: int) -> dict:
        """The generated time entry at index i (0 = newest)."""
        k, p_index, user_id, task_id, centi, h = self.entry_core(i)
        combo = self.combo_for(p_index, user_id, task_id)
        spec, task = combo.spec, combo.task
        billable = combo.billable
        is_billed, is_closed, reason, _archived = flags = self._entry_flags(
            i, k, spec, billable
        )
        created_at = self._entry_created_at(k, h)
        running = i == 0
        hours_centi = centi + RUNNING_LIVE_CENTIHOURS if running else centi
        invoice = None
        if is_billed:
            ref = self.invoice_ref_for(spec.client_id, self.month_keys[k])
            invoice = {"id": ref[0], "number": ref[1]} if ref else None
        return {
            "id": self.entry_id(i),
            "spent_date": self.day_strings[k],
            "user": combo.user_ref,
            "client": combo.client_ref,
            "project": combo.project_ref,
            "task": combo.task_ref,
            "user_assignment": combo.ua_ref,
            "task_assignment": combo.ta_ref,
            "hours": hours_centi / 100,
            "hours_without_timer": centi / 100,
            "rounded_hours": ceil_quarter(hours_centi) / 100,
            "notes": task.notes[(h >> 36) % len(task.notes)] if task.notes else "",
            "created_at": created_at,
            "updated_at": self._entry_updated_at(k, created_at, spec, flags),
            "is_locked": reason is not None,
            "locked_reason": reason,
            "is_closed": is_closed,
            "is_billed": is_billed,
            "timer_started_at": stamp(self.today, 13, 12) if running else None,
            "started_time": None,
            "ended_time": None,
            "is_running": running,
            "invoice": invoice,
            "external_reference": self.external_reference_for(spec, task_id, h),
            "billable": billable,
            "budgeted": combo.budgeted,
            "billable_rate": combo.billable_rate,
            "cost_rate": combo.cost_rate,
        }

    def _entry_matches(self, i: int, query: TimeEntryQuery) -> bool:
        if query.is_running is not None and (i == 0) != query.is_running:
            return False
        k, p_index, user_id, task_id, _centi, h = self.entry_core(i)
        spec = self.project_specs[p_index]
        if query.user_id is not None and user_id != query.user_id:
            return False
        if query.project_id is not None and spec.id != query.project_id:
            return False
        if query.client_id is not None and spec.client_id != query.client_id:
            return False
        if query.task_id is not None and task_id != query.task_id:
            return False
        if query.is_billed is not None:
            billable = self.combo_for(p_index, user_id, task_id).billable
            if (billable and self.is_billed_on(k, spec)) != query.is_billed:
                return False
        if query.external_reference_id is not None:
            ref = self.external_reference_for(spec, task_id, h)
            if ref is None or ref["id"] != query.external_reference_id:
                return False
        if query.updated_since is not None:
            return self.entry_updated_at(i) > query.updated_since
        return True

    def _entry_sort_key(self, i: int) -> tuple[int, int]:
        return (
            self._neg_ordinals[bisect.bisect_right(self.entry_starts, i) - 1],
            -self.entry_id(i),
        )

    def select_time_entries(self, query: TimeEntryQuery) -> Selection:
        """All entries matching the query, newest spent_date first, lazily rendered."""
        if not self.entry_count:
            generated: Sequence[int] = range(0)
        else:
            generated = self._narrowed(query)
        hidden = self.overlay.hidden_indices(generated)
        if query.needs_scan() or hidden:
            generated = self._scanned(
                ("te", generated.start, generated.stop, query, self.overlay.version),
                generated,
                self._entry_filter(query, hidden),
            )
        extras = self.overlay.matching(query)
        return Selection(
            generated,
            extras,
            self.time_entry,
            self._entry_sort_key,
            lambda rec: (
                -date.fromisoformat(rec["spent_date"]).toordinal(),
                -rec["id"],
            ),
        )

    def _entry_filter(
        self, query: TimeEntryQuery, hidden: set[int]
    ) -> Callable[[int], bool]:
        if not query.needs_scan():
            # Only edited/deleted entries to skip: no need to compute each entry.
            return lambda i: i not in hidden
        return lambda i: i not in hidden and self._entry_matches(i, query)

    def _narrowed(self, query: TimeEntryQuery) -> range:
        """The index range to scan: the date window, cut down where a filter allows."""
        start = query.from_
        if query.updated_since is not None:
            floor = self._updated_since_floor(query.updated_since)
            if floor is not None and (start is None or floor > start):
                start = floor
        indices = self.index_range(start, query.to, self.entry_starts)
        if query.is_running:
            return range(indices.start, min(indices.stop, 1))  # only entry 0 runs
        return indices

    def _updated_since_floor(self, since: str) -> date | None:
        """Generated entries change at most ~35 days after their spent date (approval,
        invoicing), except on archiving; older days cannot match ``since``."""
        if any(stamp_ > since for stamp_ in self.archived_stamps.values()):
            return None
        return date.fromisoformat(since[:10]) - timedelta(days=MAX_UPDATE_LAG_DAYS)

    def _scanned(
        self, key: tuple, indices: range, keep: Callable[[int], bool]
    ) -> array:
        with self._lock:
            cached = self._scan_cache.get(key)
            if cached is not None:
                self._scan_cache.move_to_end(key)
                return cached
        kept = array("q", (i for i in indices if keep(i)))
        with self._lock:
            self._scan_cache[key] = kept
            while len(self._scan_cache) > 16:
                self._scan_cache.popitem(last=False)
        logger.debug("scan key=%s scanned=%s kept=%s", key[0], len(indices), len(kept))
        return kept

    def time_entries(self, **filters) -> Iterator[dict]:
        """Iterate every time entry (overlay included) in list order; filters as in
        TimeEntryQuery (use ``from_`` for ``from``)."""
        selection = self.select_time_entries(TimeEntryQuery(**filters))
        for position in range(len(selection)):
            yield selection[position]

    def get_time_entry(self, entry_id: int) -> dict | None:
        overlaid = self.overlay.get(entry_id)
        if overlaid is not None:
            return overlaid
        if entry_id in self.overlay.deleted:
            return None
        i = self.index_of_entry_id(entry_id)
        return None if i is None else self.time_entry(i)

    def running_entry_day(self) -> date:
        return self.today

    def time_facts(self, query: TimeEntryQuery) -> Iterator[tuple]:
        """Light tuples for aggregation, one per matching entry (overlay included):
        (project spec, user id, task id, rounded centihours, billable, rate, billed)."""
        selection = self.select_time_entries(query)
        for i in selection.generated:
            k, p_index, user_id, task_id, centi, _h = self.entry_core(i)
            combo = self.combo_for(p_index, user_id, task_id)
            spec = combo.spec
            if i == 0:
                centi += RUNNING_LIVE_CENTIHOURS
            billed = combo.billable and self.is_billed_on(k, spec)
            yield (
                spec,
                user_id,
                task_id,
                ceil_quarter(centi),
                combo.billable,
                combo.billable_rate,
                billed,
            )
        for rec in selection.extras:
            spec = self.project_by_id[rec["project"]["id"]]
            yield (
                spec,
                rec["user"]["id"],
                rec["task"]["id"],
                round(rec["rounded_hours"] * 100),
                rec["billable"],
                rec["billable_rate"],
                rec["is_billed"],
            )

    def expense_facts(self, query: ExpenseQuery) -> Iterator[tuple]:
        """(project spec, user id, category index, total_cost, billable, billed)."""
        for j in self.select_expenses(query).generated:
            k, p_index, user_id, category, h = self.expense_core(j)
            spec = self.project_specs[p_index]
            billable = self.expense_billable(spec, h)
            billed = billable and self.is_billed_on(k, spec)
            yield (
                spec,
                user_id,
                category,
                self.expense_amount(h, category)[1],
                billable,
                billed,
            )

    def compose_entry(
        self,
        entry_id: int,
        spent_date: date,
        user_id: int,
        project_id: int,
        task_id: int,
        centi: int,
        notes: str,
        created_at: str,
        updated_at: str,
        timer_started_at: str | None = None,
        external_reference: dict | None = None,
    ) -> dict:
        """A time entry record built from API input (for the overlay)."""
        p_index = self.project_specs.index(self.project_by_id[project_id])
        combo = self.combo_for(p_index, user_id, task_id)
        running = timer_started_at is not None
        return {
            "id": entry_id,
            "spent_date": spent_date.isoformat(),
            "user": combo.user_ref,
            "client": combo.client_ref,
            "project": combo.project_ref,
            "task": combo.task_ref,
            "user_assignment": combo.ua_ref,
            "task_assignment": combo.ta_ref,
            "hours": centi / 100,
            "hours_without_timer": centi / 100,
            "rounded_hours": ceil_quarter(centi) / 100,
            "notes": notes,
            "created_at": created_at,
            "updated_at": updated_at,
            "is_locked": False,
            "locked_reason": None,
            "is_closed": False,
            "is_billed": False,
            "timer_started_at": timer_started_at,
            "started_time": None,
            "ended_time": None,
            "is_running": running,
            "invoice": None,
            "external_reference": external_reference,
            "billable": combo.billable,
            "budgeted": combo.budgeted,
            "billable_rate": combo.billable_rate,
            "cost_rate": combo.cost_rate,
        }

    # ---------------------------------------------------------------- expenses
    def _expense_hash(self, j: int) -> int:
        return mix64((self.seed << 33) ^ (j * 0x9E3779B97F4A7C15) ^ 0xE5)

    def expense_core(self, j: int) -> tuple[int, int, int, int, int]:
        """(day index, project index, user id, category index, hash) of expense j."""
        h = self._expense_hash(j)
        k = bisect.bisect_right(self.expense_starts, j) - 1
        mix = self.day_mix[k]
        p_index, users, _tasks = mix[h % len(mix)]
        user_id = users[(h >> 12) % len(users)]
        categories = self._categories_open_on(self.days[k])
        category = categories[(h >> 20) % len(categories)]
        return k, p_index, user_id, category, h

    def _categories_open_on(self, day: date) -> list[int]:
        return [
            index
            for index, row in enumerate(catalog.EXPENSE_CATEGORIES)
            if row[4] is None or day < self.today - timedelta(days=row[4])
        ]

    def expense_amount(self, h: int, category: int) -> tuple[float, float]:
        """(units, total_cost) of an expense."""
        _cid, _name, unit_name, unit_price, _arch = catalog.EXPENSE_CATEGORIES[category]
        if unit_name is not None and unit_price is not None:
            units = float(10 + (h >> 24) % 290)
            return units, money(units * unit_price)
        return 1.0, (500 + (h >> 24) % 85000) / 100

    def expense_billable(self, spec: ProjectSpec, h: int) -> bool:
        return spec.is_billable and (h >> 40) % 4 != 0

    def expense(self, j: int) -> dict:
        k, p_index, user_id, category, h = self.expense_core(j)
        spec = self.project_specs[p_index]
        client = self.client_specs[spec.client_id]
        cat_id, cat_name, unit_name, unit_price, _ = catalog.EXPENSE_CATEGORIES[
            category
        ]
        units, total = self.expense_amount(h, category)
        billable = self.expense_billable(spec, h)
        is_closed = (self.today - self.days[k]).days >= APPROVAL_AFTER_DAYS
        created_at = stamp(self.days[k], 0, 17 * 60 + (h >> 44) % 300)
        is_billed, invoice, updated_at = self._expense_billing(
            k, spec, billable, created_at
        )

        expense_id = EXPENSE_ID_BASE + (self.expense_count - 1 - j)
        notes = _EXPENSE_NOTES[cat_name]
        reason = _lock_reason(spec.archived is not None, is_billed, is_closed)
        return {
            "id": expense_id,
            "notes": notes[(h >> 36) % len(notes)],
            "total_cost": total,
            "units": units,
            "is_closed": is_closed,
            "is_locked": reason is not None,
            "is_billed": is_billed,
            "locked_reason": reason,
            "spent_date": self.day_strings[k],
            "created_at": created_at,
            "updated_at": updated_at,
            "billable": billable,
            "receipt": _receipt(expense_id, h),
            "user": {"id": user_id, "name": self.user_by_id[user_id].name},
            "user_assignment": self._assignment_ref(
                self.ua_by_pair[(spec.id, user_id)], UA_REF_KEYS
            ),
            "project": {"id": spec.id, "name": spec.name, "code": spec.code},
            "expense_category": {
                "id": cat_id,
                "name": cat_name,
                "unit_price": unit_price,
                "unit_name": unit_name,
            },
            "client": {
                "id": client.id,
                "name": client.name,
                "currency": client.currency,
            },
            "invoice": invoice,
        }

    def _expense_billing(
        self, k: int, spec: ProjectSpec, billable: bool, created_at: str
    ) -> tuple[bool, dict | None, str]:
        """(is_billed, invoice reference, updated_at) of an expense on day k."""
        is_billed = billable and self.is_billed_on(k, spec)
        updated_at = created_at
        invoice = None
        if is_billed:
            ref = self.invoice_ref_for(spec.client_id, self.month_keys[k])
            if ref is not None:
                invoice = {"id": ref[0], "number": ref[1]}
                updated_at = max(updated_at, ref[2])
        archived = self.archived_stamps.get(spec.id)
        if archived is not None:
            updated_at = max(updated_at, archived)
        return is_billed, invoice, updated_at

    def _expense_matches(self, j: int, query: ExpenseQuery) -> bool:
        k, p_index, user_id, _category, h = self.expense_core(j)
        spec = self.project_specs[p_index]
        if query.user_id is not None and user_id != query.user_id:
            return False
        if query.project_id is not None and spec.id != query.project_id:
            return False
        if query.client_id is not None and spec.client_id != query.client_id:
            return False
        if query.is_billed is not None:
            billed = self.expense_billable(spec, h) and self.is_billed_on(k, spec)
            if billed != query.is_billed:
                return False
        if query.updated_since is not None:
            return self.expense(j)["updated_at"] > query.updated_since
        return True

    def select_expenses(self, query: ExpenseQuery) -> Selection:
        indices: Sequence[int] = (
            self.index_range(query.from_, query.to, self.expense_starts)
            if self.expense_count
            else range(0)
        )
        if query.needs_scan():
            indices = self._scanned(
                ("ex", indices.start, indices.stop, query),
                indices,
                lambda j: self._expense_matches(j, query),
            )
        return Selection(indices, [], self.expense, lambda j: (j,), lambda r: (0,))

    def expenses(self, **filters) -> Iterator[dict]:
        selection = self.select_expenses(ExpenseQuery(**filters))
        for position in range(len(selection)):
            yield selection[position]

    def get_expense(self, expense_id: int) -> dict | None:
        j = self.expense_count - 1 - (expense_id - EXPENSE_ID_BASE)
        return self.expense(j) if 0 <= j < self.expense_count else None

    # ---------------------------------------------------------------- billing
    def _plan_invoices(self) -> None:
        """Decide which (client, month) pairs are invoiced, without touching entries."""
        current = _month_key(self.today)
        previous = _add_months(current, -1)
        months = []
        cursor = _month_key(self.window_start)
        while cursor < current:
            months.append(cursor)
            cursor = _add_months(cursor, 1)
        self.billed_months: set[tuple[int, tuple[int, int]]] = set()
        plan: list[tuple[tuple[int, int], int, str]] = []
        for month in months:
            first, last = _month_bounds(month)
            for client in catalog.CLIENTS:
                if client.id == 5300007 and month == previous:
                    continue  # Quillon's last month is still to be invoiced
                hourly = [
                    p
                    for p in self.project_specs
                    if p.client_id == client.id
                    and p.is_billable
                    and not p.is_fixed_fee
                    and self._project_overlaps(p, first, last)
                ]
                if hourly:
                    self.billed_months.add((client.id, month))
                    plan.append((month, client.id, "time"))
            for spec in self.project_specs:
                if spec.fee is None:
                    continue
                for offset in (spec.starts, spec.ends):
                    when = self.days_ago(offset)
                    if when is not None and _month_key(when) == month:
                        plan.append((month, spec.client_id, f"fee:{spec.id}"))
        self.invoice_plan = []
        self._invoice_refs: dict[tuple[int, tuple[int, int]], tuple[int, str, str]] = {}
        for sequence, (month, client_id, kind) in enumerate(plan, start=1):
            issue = _issue_date(month)
            number = f"{issue.year}-{sequence:04d}"
            invoice_id = 7700000 + sequence
            created = stamp(issue, 14, 0)
            self.invoice_plan.append((invoice_id, number, month, client_id, kind))
            if kind == "time":
                self._invoice_refs[(client_id, month)] = (invoice_id, number, created)

    def _project_overlaps(self, spec: ProjectSpec, first: date, last: date) -> bool:
        starts = self.days_ago(spec.starts)
        ends = self.days_ago(spec.ends)
        return (starts is None or starts <= last) and (ends is None or ends >= first)

    def invoice_ref_for(self, client_id: int, month: tuple[int, int]):
        return self._invoice_refs.get((client_id, month))

    def billing_totals(self) -> dict:
        """Rounded billed hours and expenses per (client, month), from one scan."""
        with self._lock:
            if self._billing is not None:
                return self._billing
        totals: dict = {}
        current = _month_key(self.today)
        for i in range(self.entry_count):
            k, p_index, user_id, task_id, centi, _h = self.entry_core(i)
            if _month_key(self.days[k]) >= current:
                continue
            combo = self.combo_for(p_index, user_id, task_id)
            spec = combo.spec
            if not combo.billable or not self.is_billed_on(k, spec):
                continue
            key = (spec.client_id, _month_key(self.days[k]))
            lines = totals.setdefault(key, {"time": {}, "expenses": {}})
            line_key = (spec.id, combo.billable_rate)
            lines["time"][line_key] = lines["time"].get(line_key, 0) + ceil_quarter(
                centi
            )
        for j in range(self.expense_count):
            k, p_index, _user, category, h = self.expense_core(j)
            spec = self.project_specs[p_index]
            if not (self.expense_billable(spec, h) and self.is_billed_on(k, spec)):
                continue
            key = (spec.client_id, _month_key(self.days[k]))
            lines = totals.setdefault(key, {"time": {}, "expenses": {}})
            amount = self.expense_amount(h, category)[1]
            lines["expenses"][spec.id] = money(
                lines["expenses"].get(spec.id, 0) + amount
            )
        with self._lock:
            self._billing = totals
        return totals

    # ---------------------------------------------------------- plain listings
    def clients(self) -> list[dict]:
        return _newest_first(self.client_records)

    def projects(self) -> list[dict]:
        return _newest_first(self.project_records)

    def tasks(self) -> list[dict]:
        return _newest_first(self.task_records)

    def users(self) -> list[dict]:
        return _newest_first(self.user_records)

    def user(self, user_id: int) -> dict | None:
        return next((u for u in self.user_records if u["id"] == user_id), None)

    def me(self, member: bool = False) -> dict:
        return self.user(catalog.PRIYANKA if member else catalog.MAYA)  # type: ignore[return-value]

    def company(self) -> dict:
        return dict(catalog.COMPANY)

    def user_assignments(self) -> list[dict]:
        return _newest_first(self.user_assignment_records)

    def task_assignments(self) -> list[dict]:
        return _newest_first(self.task_assignment_records)

    def roles(self) -> list[dict]:
        rows = []
        for role_id, name, created in catalog.ROLES:
            members = [u for u in self.user_specs if name in u.roles]
            newest = min([created, *(u.created for u in members)])
            rows.append(
                {
                    "id": role_id,
                    "name": name,
                    "created_at": self._created(created, 14, 28),
                    "updated_at": self._created(newest, 14, 29),
                    "user_ids": [u.id for u in members],
                }
            )
        return _newest_first(rows)

    def contacts(self) -> list[dict]:
        rows = []
        for cid, client_id, title, first, last, office, mobile in catalog.CONTACTS:
            client = self.client_specs[client_id]
            rows.append(
                {
                    "id": cid,
                    "title": title,
                    "first_name": first,
                    "last_name": last,
                    "email": f"{_ascii(first)}.{_ascii(last)}@example.com".lower(),
                    "phone_office": office,
                    "phone_mobile": mobile,
                    "fax": "",
                    "created_at": self._created(client.created, 15, 5 + cid % 50),
                    "updated_at": self._created(client.created, 15, 5 + cid % 50),
                    "client": {"id": client.id, "name": client.name},
                }
            )
        return _newest_first(rows)

    def expense_categories(self) -> list[dict]:
        rows = []
        for cid, name, unit_name, unit_price, archived in catalog.EXPENSE_CATEGORIES:
            rows.append(
                {
                    "id": cid,
                    "name": name,
                    "unit_name": unit_name,
                    "unit_price": unit_price,
                    "is_active": archived is None,
                    "created_at": self._created(430, 14, 20 + cid % 30),
                    "updated_at": self._created(
                        430 if archived is None else archived, 14, 20 + cid % 30
                    ),
                }
            )
        return _newest_first(rows)

    def project_assignments(self, user_id: int) -> list[dict]:
        rows = []
        for ua in self.user_assignment_records:
            if ua["user"]["id"] != user_id:
                continue
            spec = self.project_by_id[ua["project"]["id"]]
            client = self.client_specs[spec.client_id]
            tas = [
                {
                    key: ta[key]
                    for key in (
                        "id",
                        "billable",
                        "is_active",
                        "created_at",
                        "updated_at",
                        "hourly_rate",
                        "budget",
                        "task",
                    )
                }
                for ta in self.task_assignment_records
                if ta["project"]["id"] == spec.id
            ]
            row = {key: ua[key] for key in ua if key != "user"}
            row["client"] = {
                "id": client.id,
                "name": client.name,
                "currency": client.currency,
            }
            row["task_assignments"] = tas
            rows.append(row)
        return _newest_first(rows)

    def invoice_item_categories(self) -> list[dict]:
        rows = [
            (1, "Hours", True, False),
            (2, "Service", True, False),
            (3, "Product", False, True),
            (4, "Expense", False, True),
        ]
        return _newest_first(
            [
                {
                    "id": 4900000 + n,
                    "name": name,
                    "use_as_service": service,
                    "use_as_expense": expense,
                    "created_at": self._created(431, 9, n),
                    "updated_at": self._created(431, 9, n),
                }
                for n, name, service, expense in rows
            ]
        )

    def estimate_item_categories(self) -> list[dict]:
        names = ("Service", "Product", "Discovery")
        return _newest_first(
            [
                {
                    "id": 4950000 + n,
                    "name": name,
                    "created_at": self._created(431, 9, 10 + n),
                    "updated_at": self._created(431, 9, 10 + n),
                }
                for n, name in enumerate(names, start=1)
            ]
        )

    def rates(self, user_id: int, kind: str) -> list[dict]:
        """A user's billable or cost rate history: one raise half a year ago."""
        user = self.user_by_id[user_id]
        current = user.rate if kind == "billable" else user.cost_rate
        changed = self.today - timedelta(days=180)
        joined = self.today - timedelta(days=user.created)
        base = 6100000 if kind == "billable" else 6200000
        history = [
            (1, round(current * 0.9, 2), joined, changed - timedelta(days=1)),
            (2, current, changed, None),
        ]
        return _newest_first(
            [
                {
                    "id": base + user_id % 10000 * 10 + n,
                    "amount": amount,
                    "start_date": start.isoformat(),
                    "end_date": _iso(end),
                    "created_at": stamp(start, 9),
                    "updated_at": stamp(start, 9),
                }
                for n, amount, start, end in history
            ]
        )

    def teammates(self, user_id: int) -> list[dict]:
        """Managers manage the members on their projects; others manage nobody."""
        if "manager" not in self.user_by_id[user_id].access_roles:
            return []
        projects = {
            ua["project"]["id"]
            for ua in self.user_assignment_records
            if ua["user"]["id"] == user_id
        }
        mates = {
            ua["user"]["id"]
            for ua in self.user_assignment_records
            if ua["project"]["id"] in projects and ua["user"]["id"] != user_id
        }
        return [
            {
                "id": u.id,
                "first_name": u.first_name,
                "last_name": u.last_name,
                "email": u.email,
            }
            for u in self.user_specs
            if u.id in mates and "member" in u.access_roles
        ]

    def estimate_messages(self, estimate_id: int) -> list[dict]:
        estimate = next((e for e in self.estimates() if e["id"] == estimate_id), None)
        if estimate is None or estimate["sent_at"] is None:
            return []
        events = [(estimate["sent_at"], "send")]
        if estimate["accepted_at"]:
            events.append((estimate["accepted_at"], "accept"))
        if estimate["declined_at"]:
            events.append((estimate["declined_at"], "decline"))
        rows = []
        for n, (when, event) in enumerate(events, start=1):
            rows.append(
                {
                    "id": 6800000 + estimate_id % 10000 * 10 + n,
                    "sent_by": "Maya Okafor",
                    "sent_by_email": "maya.okafor@example.com",
                    "sent_from": "Maya Okafor",
                    "sent_from_email": "maya.okafor@example.com",
                    "send_me_a_copy": False,
                    "created_at": when,
                    "updated_at": when,
                    "recipients": [],
                    "event_type": event,
                    "subject": f"Estimate {estimate['number']}",
                    "body": "",
                }
            )
        return _newest_first(rows)

    # ----------------------------------------------------- invoices/estimates
    def invoices(self) -> list[dict]:
        with self._lock:
            if self._invoice_list is not None:
                return self._invoice_list
        built = _build_invoices(self)
        with self._lock:
            self._invoice_list = built
        return built

    def invoice(self, invoice_id: int) -> dict | None:
        return next((inv for inv in self.invoices() if inv["id"] == invoice_id), None)

    def invoice_payments(self, invoice_id: int) -> list[dict]:
        return self._invoice_children(invoice_id, "_payments")

    def invoice_messages(self, invoice_id: int) -> list[dict]:
        return self._invoice_children(invoice_id, "_messages")

    def _invoice_children(self, invoice_id: int, attribute: str) -> list[dict]:
        self.invoices()
        return list(getattr(self, attribute).get(invoice_id, []))

    def estimates(self) -> list[dict]:
        return _build_estimates(self)


class TimeEntryOverlay:
    """Time entries created, changed or deleted through the API, by id."""

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset
        self.records: dict[int, dict] = {}
        self.deleted: set[int] = set()
        self.version = 0
        self.next_id = TIME_ENTRY_ID_BASE + dataset.entry_count + 1000
        self._lock = threading.Lock()

    def _hidden_ids(self) -> set[int]:
        return set(self.records) | self.deleted

    def hidden_indices(self, indices: range) -> set[int]:
        hidden = set()
        for entry_id in self._hidden_ids():
            i = self.dataset.index_of_entry_id(entry_id)
            if i is not None and i in indices:
                hidden.add(i)
        return hidden

    def get(self, entry_id: int) -> dict | None:
        return self.records.get(entry_id)

    def matching(self, query: TimeEntryQuery) -> list[dict]:
        rows = [rec for rec in self.records.values() if _record_matches(rec, query)]
        rows.sort(
            key=lambda rec: (
                -date.fromisoformat(rec["spent_date"]).toordinal(),
                -rec["id"],
            )
        )
        return rows

    def put(self, record: dict) -> dict:
        with self._lock:
            self.records[record["id"]] = record
            self.deleted.discard(record["id"])
            self.version += 1
        return record

    def delete(self, entry_id: int) -> None:
        with self._lock:
            self.records.pop(entry_id, None)
            self.deleted.add(entry_id)
            self.version += 1

    def allocate_id(self) -> int:
        with self._lock:
            self.next_id += 1
            return self.next_id


def _record_matches(rec: dict, query: TimeEntryQuery) -> bool:
    spent = date.fromisoformat(rec["spent_date"])
    checks = (
        query.from_ is None or spent >= query.from_,
        query.to is None or spent <= query.to,
        query.user_id is None or rec["user"]["id"] == query.user_id,
        query.client_id is None or rec["client"]["id"] == query.client_id,
        query.project_id is None or rec["project"]["id"] == query.project_id,
        query.task_id is None or rec["task"]["id"] == query.task_id,
        query.is_billed is None or rec["is_billed"] == query.is_billed,
        query.is_running is None or rec["is_running"] == query.is_running,
        query.updated_since is None or rec["updated_at"] > query.updated_since,
        query.external_reference_id is None
        or (rec["external_reference"] or {}).get("id") == query.external_reference_id,
    )
    return all(checks)


def _lock_reason(archived: bool, is_billed: bool, is_closed: bool) -> str | None:
    if archived:
        return LOCKED_ARCHIVED
    if is_billed:
        return LOCKED_INVOICED
    if is_closed:
        return LOCKED_APPROVED
    return None


def _receipt(expense_id: int, h: int) -> dict | None:
    """Half of the expenses carry a receipt."""
    if (h >> 46) % 2:
        return None
    return {
        "url": f"https://larkspur.harvestapp.com/expenses/{expense_id}/receipt",
        "file_name": f"receipt_{expense_id}.pdf",
        "file_size": 20000 + (h >> 48) % 200000,
        "content_type": "application/pdf",
    }


def _newest_first(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda row: (row["created_at"], row["id"]), reverse=True)


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _ascii(text: str) -> str:
    return text.replace("è", "e").replace("é", "e").replace("á", "a").replace("ñ", "n")


def _month_key(day: date) -> tuple[int, int]:
    return (day.year, day.month)


def _add_months(month: tuple[int, int], delta: int) -> tuple[int, int]:
    index = month[0] * 12 + (month[1] - 1) + delta
    return (index // 12, index % 12 + 1)


def _month_bounds(month: tuple[int, int]) -> tuple[date, date]:
    last_day = calendar.monthrange(*month)[1]
    return date(month[0], month[1], 1), date(month[0], month[1], last_day)


def _issue_date(month: tuple[int, int]) -> date:
    return _month_bounds(_add_months(month, 1))[0] + timedelta(days=2)


_EXPENSE_NOTES = {
    "Travel": ("Train to client workshop", "Flight to kickoff", "Taxi from airport"),
    "Mileage": ("Client site visit", "Drive to photo shoot"),
    "Meals": ("Team lunch with client", "Workshop catering"),
    "Software & Licences": (
        "Font licence",
        "Prototyping tool seat",
        "Test device cloud",
    ),
    "Stock Assets": ("Stock photography licence", "Icon pack"),
    "Printing": ("Proof prints", "Workshop posters"),
}


from sandbox.billing import _build_estimates, _build_invoices  # noqa: E402

__all__ = ["Dataset", "ExpenseQuery", "Selection", "TimeEntryQuery", "replace"]
