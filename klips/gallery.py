"""The gallery: pre-built Harvest Klips and dashboards, as data.

Each Klip names the catalog recipes it reads (connectors/harvest/sources.py; a
second recipe is joined to the first) and a spec without its `sources`, using
column names as the refresh infers them (datasources.modelling: `project.name`
-> "Project name"). Adding one creates or reuses the recipes' sources; see
klips.gallery_actions.
"""

from dataclasses import dataclass
from functools import cache
from typing import Any

from klips.spec import KlipSpec, parse_spec

AMBER = "#d97706"
RED = "#dc2626"
GREEN = "#16a34a"
SECONDS_PER_HOUR = 3600


@dataclass(frozen=True)
class GalleryKlip:
    slug: str
    name: str
    description: str
    kind: str
    # Recipe slugs: the first is the Klip's source, a second one is joined to it.
    recipes: tuple[str, ...]
    # A KlipSpec without "sources".
    spec: dict[str, Any]
    w: int = 6
    h: int = 4

    def spec_for(self, source_ids: list[int]) -> KlipSpec:
        return parse_spec({"sources": source_ids, **self.spec})


@dataclass(frozen=True)
class GalleryDashboard:
    slug: str
    name: str
    description: str
    klips: tuple[str, ...]


def _sum(column: str, label: str | None = None, **extra) -> dict:
    return {"column": column, "agg": "sum", "label": label or column, **extra}


_HOURS = _sum("Hours")
# Harvest keeps weekly capacity in seconds; utilisation is booked hours over it.
_CAPACITY_HOURS = {
    "column": "Weekly capacity",
    "agg": "max",
    "label": "Capacity (h)",
    "scale": 1 / SECONDS_PER_HOUR,
}
_UTILISATION = {
    "label": "Utilisation",
    "op": "percent",
    "left": "Hours",
    "right": "Capacity (h)",
}
_OVER_BUDGET = [
    {"value": 80, "colour": AMBER},
    {"value": 100, "colour": RED},
]

KLIPS = (
    GalleryKlip(
        "hours-this-week-by-project",
        "Hours this week by project",
        "Hours booked this week on each project.",
        "bar",
        ("time-entries-this-week",),
        {
            "group_by": [{"column": "Project name"}],
            "measures": [_HOURS],
            "sort": [{"by": "Hours", "direction": "desc"}],
        },
    ),
    GalleryKlip(
        "hours-this-week-total",
        "Hours this week",
        "All hours booked this week.",
        "number",
        ("time-entries-this-week",),
        {"measures": [_HOURS]},
        w=3,
        h=3,
    ),
    GalleryKlip(
        "billable-vs-non-billable",
        "Billable vs non-billable (this month)",
        "This month's hours split by whether they can be billed.",
        "pie",
        ("time-entries-this-month",),
        {
            "group_by": [{"column": "Billable"}],
            "measures": [_HOURS],
            "display": {"donut": True},
        },
        w=3,
    ),
    GalleryKlip(
        "team-utilisation",
        "Team utilisation this week",
        "Hours booked this week against each person's weekly capacity.",
        "table",
        ("users-capacity", "time-entries-this-week"),
        {
            "join": {"left": "Id", "right": "User id"},
            "group_by": [{"column": "First name"}, {"column": "Last name"}],
            "measures": [
                _sum("Hours"),
                _CAPACITY_HOURS,
            ],
            "formulas": [_UTILISATION],
            "sort": [{"by": "Utilisation", "direction": "desc"}],
        },
    ),
    GalleryKlip(
        "utilisation-chart",
        "Utilisation this week (%)",
        "Each person's booked hours as a share of their weekly capacity; "
        "amber from 80%, red from 100%.",
        "bar",
        ("users-capacity", "time-entries-this-week"),
        {
            "join": {"left": "Id", "right": "User id"},
            "group_by": [{"column": "Email"}],
            "measures": [
                _sum("Hours"),
                _CAPACITY_HOURS,
            ],
            "formulas": [_UTILISATION],
            "thresholds": _OVER_BUDGET,
            "target": 100,
            "target_label": "Capacity",
            "format": {"kind": "percent"},
            "display": {"hidden": ["Hours", "Capacity (h)"]},
        },
    ),
    GalleryKlip(
        "missing-timesheets",
        "Missing timesheets this week",
        "Active people with no time booked this week.",
        "table",
        ("users-capacity", "time-entries-this-week"),
        {
            "join": {"left": "Id", "right": "User id"},
            "columns": ["First name", "Last name", "Email"],
            "filters": [{"column": "Hours", "op": "is_null"}],
            "sort": [{"by": "Last name"}],
        },
        w=4,
    ),
    GalleryKlip(
        "timers-running",
        "Timers running now",
        "Who is tracking time right now, and on what.",
        "table",
        ("running-timers",),
        {
            "columns": ["User name", "Project name", "Task name", "Hours"],
            "sort": [{"by": "User name"}],
        },
        w=4,
        h=3,
    ),
    GalleryKlip(
        "hours-by-person-this-month",
        "Hours by person (this month)",
        "Billable and non-billable hours of each person this month.",
        "bar",
        ("time-entries-this-month",),
        {
            "group_by": [{"column": "User name"}, {"column": "Billable"}],
            "measures": [_HOURS],
            "display": {"bar_mode": "stacked", "orientation": "horizontal"},
        },
    ),
    GalleryKlip(
        "person-day-heatmap",
        "Who booked what, day by day (this week)",
        "Hours per person and day this week.",
        "heatmap",
        ("time-entries-this-week",),
        {
            "group_by": [
                {"column": "Spent date", "bucket": "day"},
                {"column": "User name"},
            ],
            "measures": [_HOURS],
        },
    ),
    GalleryKlip(
        "hours-by-week",
        "Hours per week (last 30 days)",
        "Booked hours week by week.",
        "area",
        ("time-entries-last-30-days",),
        {
            "group_by": [{"column": "Spent date", "bucket": "week"}],
            "measures": [_HOURS],
        },
    ),
    GalleryKlip(
        "budget-remaining",
        "Project budget remaining",
        "What is left of each active project's budget.",
        "bar",
        ("projects-with-budgets",),
        {
            "group_by": [{"column": "Project name"}],
            "measures": [_sum("Budget remaining")],
            "sort": [{"by": "Budget remaining"}],
            "display": {"orientation": "horizontal"},
            "format": {"kind": "number"},
        },
    ),
    GalleryKlip(
        "budget-burn",
        "Budget used by project (%)",
        "Spent as a share of budget; amber from 80%, red from 100%.",
        "bar",
        ("projects-with-budgets",),
        {
            "group_by": [{"column": "Project name"}],
            "measures": [_sum("Budget spent"), _sum("Budget")],
            "formulas": [
                {
                    "label": "Budget used",
                    "op": "percent",
                    "left": "Budget spent",
                    "right": "Budget",
                }
            ],
            "thresholds": _OVER_BUDGET,
            "target": 100,
            "target_label": "Budget",
            "format": {"kind": "percent"},
            "sort": [{"by": "Budget used", "direction": "desc"}],
            "display": {"hidden": ["Budget spent", "Budget"]},
        },
    ),
    GalleryKlip(
        "budget-burn-vs-time",
        "Budget burn vs time elapsed (%)",
        "Per project, the share of its budget spent next to the share of its "
        "dates (start to end) gone by: budget ahead of time is trouble coming.",
        "bar",
        ("projects-with-budgets", "projects-active"),
        {
            "join": {"left": "Project id", "right": "Id"},
            "date_calcs": [
                {
                    "label": "Time elapsed",
                    "op": "elapsed_percent",
                    "start": "Starts on",
                    "end": "Ends on",
                }
            ],
            "group_by": [{"column": "Project name"}],
            "measures": [
                _sum("Budget spent"),
                _sum("Budget"),
                {"column": "Time elapsed", "agg": "max", "label": "Time elapsed"},
            ],
            "formulas": [
                {
                    "label": "Budget used",
                    "op": "percent",
                    "left": "Budget spent",
                    "right": "Budget",
                }
            ],
            "target": 100,
            "target_label": "End",
            "format": {"kind": "percent"},
            "sort": [{"by": "Project name"}],
            "display": {"hidden": ["Budget spent", "Budget"]},
        },
    ),
    GalleryKlip(
        "projects-over-budget",
        "Projects over budget",
        "Active projects that have spent more than their budget.",
        "table",
        ("projects-with-budgets",),
        {
            "columns": [
                "Project name",
                "Client name",
                "Budget by",
                "Budget",
                "Budget spent",
                "Budget remaining",
            ],
            "filters": [{"column": "Budget remaining", "op": "lt", "value": 0}],
            "sort": [{"by": "Budget remaining"}],
        },
    ),
    GalleryKlip(
        "budget-report-table",
        "Project budgets",
        "Budget, spent and remaining of every active project with a budget.",
        "table",
        ("projects-with-budgets",),
        {
            "columns": [
                "Project name",
                "Client name",
                "Budget by",
                "Budget",
                "Budget spent",
                "Budget remaining",
            ],
            "sort": [{"by": "Project name"}],
        },
        w=12,
    ),
    GalleryKlip(
        "hours-this-month-by-project",
        "Hours this month by project",
        "Hours booked this month on each project, biggest first.",
        "bar",
        ("time-entries-this-month",),
        {
            "group_by": [{"column": "Project name"}],
            "measures": [_HOURS],
            "sort": [{"by": "Hours", "direction": "desc"}],
        },
    ),
    GalleryKlip(
        "uninvoiced-by-client",
        "Uninvoiced amount by client (year to date)",
        "Billable time and expenses not yet on an invoice, per client and currency.",
        "bar",
        ("uninvoiced-report-this-year",),
        {
            "group_by": [{"column": "Client name"}, {"column": "Currency"}],
            "measures": [_sum("Uninvoiced amount")],
            "display": {"bar_mode": "stacked"},
            "format": {"kind": "number", "decimals": 0},
        },
    ),
    GalleryKlip(
        "outstanding-invoices-aging",
        "Outstanding invoices by due month",
        "Open invoices' unpaid amounts by the month they fall due, per currency.",
        "bar",
        ("invoices-open",),
        {
            "group_by": [
                {"column": "Due date", "bucket": "month"},
                {"column": "Currency"},
            ],
            "measures": [_sum("Due amount")],
            "display": {"bar_mode": "stacked"},
            "format": {"kind": "number", "decimals": 0},
        },
    ),
    GalleryKlip(
        "overdue-invoices",
        "Overdue invoices",
        "Open invoices past their due date.",
        "table",
        ("invoices-overdue",),
        {
            "columns": ["Number", "Client name", "Due date", "Due amount", "Currency"],
            "sort": [{"by": "Due date"}],
        },
    ),
    GalleryKlip(
        "invoiced-by-month",
        "Invoiced by month (this year)",
        "Invoice amounts by month of issue, per currency.",
        "line",
        ("invoices-this-year",),
        {
            "group_by": [
                {"column": "Issue date", "bucket": "month"},
                {"column": "Currency"},
            ],
            "measures": [_sum("Amount")],
            "format": {"kind": "number", "decimals": 0},
        },
    ),
    GalleryKlip(
        "estimates-pipeline",
        "Estimates pipeline",
        "Estimate amounts by state: sent ones are the pipeline.",
        "bar",
        ("estimates",),
        {
            "group_by": [{"column": "State"}, {"column": "Currency"}],
            "measures": [_sum("Amount")],
            "display": {"bar_mode": "stacked"},
            "format": {"kind": "number", "decimals": 0},
        },
    ),
    GalleryKlip(
        "expenses-by-category",
        "Expenses by category (this year)",
        "Expense totals per category this year.",
        "pie",
        ("expenses-this-year",),
        {
            "group_by": [{"column": "Expense category name"}],
            "measures": [_sum("Total cost")],
            "format": {"kind": "number"},
        },
    ),
)

DASHBOARDS = (
    GalleryDashboard(
        "agency-overview",
        "Agency overview",
        "This week's hours, billable share, team load, money waiting to be "
        "invoiced and who is tracking now.",
        (
            "hours-this-week-total",
            "billable-vs-non-billable",
            "hours-this-week-by-project",
            "utilisation-chart",
            "uninvoiced-by-client",
            "timers-running",
        ),
    ),
    GalleryDashboard(
        "project-budgets",
        "Project budgets",
        "Budget used, remaining and overrun per project, next to this month's hours.",
        (
            "budget-burn",
            "budget-burn-vs-time",
            "budget-remaining",
            "projects-over-budget",
            "hours-this-month-by-project",
            "budget-report-table",
        ),
    ),
    GalleryDashboard(
        "invoicing",
        "Invoicing",
        "Uninvoiced work, open and overdue invoices, invoiced per month and "
        "the estimates pipeline.",
        (
            "uninvoiced-by-client",
            "outstanding-invoices-aging",
            "overdue-invoices",
            "invoiced-by-month",
            "estimates-pipeline",
            "expenses-by-category",
        ),
    ),
    GalleryDashboard(
        "team",
        "Team",
        "Utilisation against capacity, missing timesheets, running timers and "
        "who booked what.",
        (
            "team-utilisation",
            "utilisation-chart",
            "missing-timesheets",
            "timers-running",
            "hours-by-person-this-month",
            "person-day-heatmap",
            "hours-by-week",
        ),
    ),
)


@cache
def klips_by_slug() -> dict[str, GalleryKlip]:
    return {item.slug: item for item in KLIPS}


@cache
def dashboards_by_slug() -> dict[str, GalleryDashboard]:
    return {item.slug: item for item in DASHBOARDS}


def get_klip(slug: str) -> GalleryKlip | None:
    return klips_by_slug().get(slug)


def get_dashboard(slug: str) -> GalleryDashboard | None:
    return dashboards_by_slug().get(slug)


def recipes_of(items: list[GalleryKlip]) -> list[str]:
    """Every recipe the Klips read, each once, in first-use order."""
    return list(dict.fromkeys(slug for item in items for slug in item.recipes))
