"""Harvest's pre-built data sources, as data.

Query URLs are below the API base and may carry {{relative_date}} placeholders
(see datasources/relative_dates.py). Reports accept at most 365 days, so the
yearly report recipes run "year to date" rather than to 31 December.
"""

from connectors.catalog import PerRecord, Recipe, RowFilter, Service

_TIME_ENTRY_COLUMNS = (
    "spent_date",
    "user.name",
    "client.name",
    "project.name",
    "task.name",
    "hours",
    "rounded_hours",
    "billable",
    "notes",
    # Join keys: gallery Klips match entries to people and budgets by id.
    "user.id",
    "project.id",
)
_INVOICE_COLUMNS = (
    "number",
    "client.name",
    "state",
    "issue_date",
    "due_date",
    "amount",
    "due_amount",
    "currency",
)
_ESTIMATE_COLUMNS = (
    "number",
    "client.name",
    "state",
    "issue_date",
    "amount",
    "currency",
)
_EXPENSE_COLUMNS = (
    "spent_date",
    "user.name",
    "client.name",
    "project.name",
    "expense_category.name",
    "total_cost",
    "billable",
    "notes",
)
_TIME_REPORT_TOTALS = ("total_hours", "billable_hours", "currency", "billable_amount")
_EXPENSE_REPORT_TOTALS = ("total_amount", "billable_amount", "currency")


def _time_entries(slug: str, name: str, description: str, window: str, minutes: int):
    return Recipe(
        slug=slug,
        name=name,
        description=description,
        query_url=f"/v2/time_entries?{window}",
        default_columns=_TIME_ENTRY_COLUMNS,
        refresh_minutes=minutes,
    )


def _report(
    slug: str, name: str, description: str, path: str, columns: tuple[str, ...]
) -> Recipe:
    return Recipe(
        slug=slug,
        name=name,
        description=description,
        query_url=path,
        default_columns=columns,
        # Reports share a budget of 100 requests per 15 minutes.
        refresh_minutes=240,
        bucket="reports",
    )


_THIS_MONTH = "from={{start_of_month}}&to={{end_of_month}}"
_YEAR_TO_DATE = "from={{start_of_year}}&to={{today}}"

TIME_RECIPES = (
    _time_entries(
        "time-entries-today",
        "Time entries (today)",
        "Every time entry booked for today, running timers included.",
        "from={{today}}&to={{today}}",
        15,
    ),
    _time_entries(
        "time-entries-yesterday",
        "Time entries (yesterday)",
        "Every time entry booked for yesterday.",
        "from={{yesterday}}&to={{yesterday}}",
        60,
    ),
    _time_entries(
        "time-entries-this-week",
        "Time entries (this week)",
        "Time entries of the current week, starting on the company's week start day.",
        "from={{start_of_week}}&to={{end_of_week}}",
        30,
    ),
    _time_entries(
        "time-entries-last-week",
        "Time entries (last week)",
        "Time entries of the previous week.",
        "from={{start_of_last_week}}&to={{end_of_last_week}}",
        240,
    ),
    _time_entries(
        "time-entries-this-month",
        "Time entries (this month)",
        "Time entries from the first to the last day of the current month.",
        _THIS_MONTH,
        60,
    ),
    _time_entries(
        "time-entries-last-month",
        "Time entries (last month)",
        "Time entries of the previous calendar month.",
        "from={{start_of_last_month}}&to={{end_of_last_month}}",
        720,
    ),
    _time_entries(
        "time-entries-last-30-days",
        "Time entries (last 30 days)",
        "Time entries of the last 30 days, today included.",
        "from={{days_ago:29}}&to={{today}}",
        60,
    ),
    _time_entries(
        "time-entries-this-quarter",
        "Time entries (this quarter)",
        "Time entries of the current calendar quarter.",
        "from={{start_of_quarter}}&to={{end_of_quarter}}",
        240,
    ),
    _time_entries(
        "time-entries-this-year",
        "Time entries (this year)",
        "Time entries from 1 January to 31 December of the current year.",
        "from={{start_of_year}}&to={{end_of_year}}",
        720,
    ),
    _time_entries(
        "running-timers",
        "Running timers",
        "Time entries whose timer is running right now.",
        "is_running=true",
        15,
    ),
    _time_entries(
        "uninvoiced-billable-time-this-year",
        "Billable time not yet invoiced (this year)",
        "Billable time entries of this year that are not on an invoice yet.",
        "is_billed=false&" + _YEAR_TO_DATE,
        240,
    ),
)

PROJECT_RECIPES = (
    Recipe(
        slug="projects-active",
        name="Projects (active)",
        description="Active projects with their client, billing and budget settings.",
        query_url="/v2/projects?is_active=true",
        default_columns=(
            "id",
            "name",
            "code",
            "client.name",
            "is_billable",
            "budget_by",
            "budget",
            "cost_budget",
            "starts_on",
            "ends_on",
        ),
        refresh_minutes=720,
    ),
    Recipe(
        slug="projects-all",
        name="Projects (active and archived)",
        description="Every project, archived ones included.",
        query_url="/v2/projects",
        default_columns=("name", "code", "client.name", "is_active", "is_billable"),
        refresh_minutes=720,
    ),
    Recipe(
        slug="projects-with-budgets",
        name="Projects with budgets",
        description="Active projects that have a budget: budget, spent and remaining.",
        query_url="/v2/reports/project_budget?is_active=true",
        default_columns=(
            "project_id",
            "project_name",
            "client_name",
            "budget_by",
            "budget",
            "budget_spent",
            "budget_remaining",
        ),
        refresh_minutes=240,
        bucket="reports",
    ),
    Recipe(
        slug="clients",
        name="Clients (active)",
        description="Active clients with their currency and address.",
        query_url="/v2/clients?is_active=true",
        default_columns=("name", "currency", "address", "is_active"),
        refresh_minutes=720,
    ),
    Recipe(
        slug="contacts",
        name="Client contacts",
        description="Contacts of every client: names, e-mail and phone numbers.",
        query_url="/v2/contacts",
        default_columns=("first_name", "last_name", "client.name", "email", "title"),
        refresh_minutes=720,
    ),
    Recipe(
        slug="users-capacity",
        name="People with weekly capacity",
        description="Active users, their roles and weekly capacity (in seconds).",
        query_url="/v2/users?is_active=true",
        default_columns=(
            "id",
            "first_name",
            "last_name",
            "email",
            "weekly_capacity",
            "is_contractor",
            "access_roles",
        ),
        refresh_minutes=720,
    ),
    Recipe(
        slug="me",
        name="My Harvest user",
        description="The connected Harvest user: name, time zone and capacity.",
        query_url="/v2/users/me",
        default_columns=("first_name", "last_name", "email", "timezone"),
        refresh_minutes=720,
    ),
    Recipe(
        slug="tasks",
        name="Tasks (active)",
        description="Active tasks with their default billable setting and rate.",
        query_url="/v2/tasks?is_active=true",
        default_columns=("name", "billable_by_default", "default_hourly_rate"),
        refresh_minutes=720,
    ),
    Recipe(
        slug="task-assignments",
        name="Task assignments",
        description="Which tasks belong to which project, with their rates and budgets.",
        query_url="/v2/task_assignments?is_active=true",
        default_columns=(
            "project.name",
            "task.name",
            "billable",
            "hourly_rate",
            "budget",
        ),
        refresh_minutes=720,
    ),
    Recipe(
        slug="user-assignments",
        name="User assignments",
        description="Who is assigned to which project, as manager or member.",
        query_url="/v2/user_assignments?is_active=true",
        default_columns=(
            "project.name",
            "user.name",
            "is_project_manager",
            "hourly_rate",
            "budget",
        ),
        refresh_minutes=720,
    ),
    Recipe(
        slug="my-project-assignments",
        name="My project assignments",
        description="Projects and tasks the connected user is assigned to "
        "(works for members, who cannot list projects).",
        query_url="/v2/users/me/project_assignments",
        default_columns=("project.name", "client.name", "is_project_manager"),
        refresh_minutes=720,
    ),
    Recipe(
        slug="roles",
        name="Roles",
        description="Business roles and the users who hold them (admins only).",
        query_url="/v2/roles",
        default_columns=("name", "user_ids"),
        refresh_minutes=720,
    ),
    Recipe(
        slug="company",
        name="Company",
        description="The Harvest account's settings: week start, currency, features.",
        query_url="/v2/company",
        default_columns=("name", "week_start_day", "weekly_capacity", "plan_type"),
        refresh_minutes=720,
    ),
)

BILLING_RECIPES = (
    Recipe(
        slug="invoices-open",
        name="Invoices (open)",
        description="Invoices sent and not yet paid in full.",
        query_url="/v2/invoices?state=open",
        default_columns=_INVOICE_COLUMNS,
        refresh_minutes=240,
    ),
    Recipe(
        slug="invoices-overdue",
        name="Invoices (overdue)",
        description="Open invoices whose due date is before today.",
        query_url="/v2/invoices?state=open",
        default_columns=_INVOICE_COLUMNS,
        refresh_minutes=240,
        row_filters=(RowFilter("due_date", "<", "{{today}}"),),
    ),
    Recipe(
        slug="invoices-paid-this-year",
        name="Invoices (paid this year)",
        description="Invoices paid in full since 1 January.",
        query_url="/v2/invoices?state=paid",
        default_columns=("number", "client.name", "paid_date", "amount", "currency"),
        refresh_minutes=720,
        row_filters=(RowFilter("paid_date", ">=", "{{start_of_year}}"),),
    ),
    Recipe(
        slug="invoices-this-year",
        name="Invoices (issued this year)",
        description="Every invoice issued this year, whatever its state.",
        query_url="/v2/invoices?from={{start_of_year}}&to={{end_of_year}}",
        default_columns=_INVOICE_COLUMNS,
        refresh_minutes=720,
    ),
    Recipe(
        slug="payments-this-year",
        name="Payments received (this year)",
        description="Every payment recorded this year, partial ones included, with "
        "its invoice and client. One request per invoice.",
        # Reference: https://help.getharvest.com/api-v2/invoices-api/invoices/invoice-payments/
        # Harvest lists payments only per invoice. Recording a payment updates its
        # invoice, so the invoices updated since 31 December (a day's margin for
        # time zones) hold every payment of this year.
        query_url="/v2/invoices?updated_since={{end_of_last_year}}T00:00:00Z",
        per_record=PerRecord(
            path="/v2/invoices/{id}/payments",
            parent_key="invoice",
            parent_fields=("number", "client", "currency", "amount", "state"),
            # A draft was never sent, so nothing can have been paid on it.
            parent_filters=(RowFilter("state", "!=", "draft"),),
        ),
        default_columns=(
            "paid_date",
            "amount",
            "invoice.number",
            "invoice.client.name",
            "invoice.currency",
            "recorded_by",
            "notes",
        ),
        refresh_minutes=720,
        row_filters=(RowFilter("paid_date", ">=", "{{start_of_year}}"),),
    ),
    Recipe(
        slug="estimates",
        name="Estimates",
        description="Every estimate with its state and amount.",
        query_url="/v2/estimates",
        default_columns=_ESTIMATE_COLUMNS,
        refresh_minutes=720,
    ),
    Recipe(
        slug="estimates-sent",
        name="Estimates (awaiting answer)",
        description="Estimates sent to clients and neither accepted nor declined.",
        query_url="/v2/estimates?state=sent",
        default_columns=_ESTIMATE_COLUMNS,
        refresh_minutes=720,
    ),
    Recipe(
        slug="expenses-this-month",
        name="Expenses (this month)",
        description="Expenses spent in the current month.",
        query_url="/v2/expenses?" + _THIS_MONTH,
        default_columns=_EXPENSE_COLUMNS,
        refresh_minutes=240,
    ),
    Recipe(
        slug="expenses-this-year",
        name="Expenses (this year)",
        description="Expenses spent from 1 January to 31 December of this year.",
        query_url="/v2/expenses?from={{start_of_year}}&to={{end_of_year}}",
        default_columns=_EXPENSE_COLUMNS,
        refresh_minutes=720,
    ),
    Recipe(
        slug="expense-categories",
        name="Expense categories",
        description="Expense categories with their unit name and price.",
        query_url="/v2/expense_categories",
        default_columns=("name", "unit_name", "unit_price", "is_active"),
        refresh_minutes=720,
    ),
)

REPORT_RECIPES = (
    _report(
        "time-report-clients-this-month",
        "Time report by client (this month)",
        "Total and billable hours per client this month, one row per currency.",
        "/v2/reports/time/clients?" + _THIS_MONTH,
        ("client_name", *_TIME_REPORT_TOTALS),
    ),
    _report(
        "time-report-projects-this-month",
        "Time report by project (this month)",
        "Total and billable hours per project this month.",
        "/v2/reports/time/projects?" + _THIS_MONTH,
        ("project_name", "client_name", *_TIME_REPORT_TOTALS),
    ),
    _report(
        "time-report-tasks-this-month",
        "Time report by task (this month)",
        "Total and billable hours per task this month.",
        "/v2/reports/time/tasks?" + _THIS_MONTH,
        ("task_name", *_TIME_REPORT_TOTALS),
    ),
    _report(
        "time-report-team-this-month",
        "Time report by team member (this month)",
        "Hours per person this month next to their weekly capacity.",
        "/v2/reports/time/team?" + _THIS_MONTH,
        ("user_name", "weekly_capacity", *_TIME_REPORT_TOTALS),
    ),
    _report(
        "time-report-clients-this-year",
        "Time report by client (year to date)",
        "Total and billable hours per client from 1 January until today.",
        "/v2/reports/time/clients?" + _YEAR_TO_DATE,
        ("client_name", *_TIME_REPORT_TOTALS),
    ),
    _report(
        "time-report-projects-this-year",
        "Time report by project (year to date)",
        "Total and billable hours per project from 1 January until today.",
        "/v2/reports/time/projects?" + _YEAR_TO_DATE,
        ("project_name", "client_name", *_TIME_REPORT_TOTALS),
    ),
    _report(
        "expense-report-clients-this-year",
        "Expense report by client (year to date)",
        "Expense totals per client from 1 January until today.",
        "/v2/reports/expenses/clients?" + _YEAR_TO_DATE,
        ("client_name", *_EXPENSE_REPORT_TOTALS),
    ),
    _report(
        "expense-report-projects-this-year",
        "Expense report by project (year to date)",
        "Expense totals per project from 1 January until today.",
        "/v2/reports/expenses/projects?" + _YEAR_TO_DATE,
        ("project_name", "client_name", *_EXPENSE_REPORT_TOTALS),
    ),
    _report(
        "expense-report-categories-this-year",
        "Expense report by category (year to date)",
        "Expense totals per expense category from 1 January until today.",
        "/v2/reports/expenses/categories?" + _YEAR_TO_DATE,
        ("expense_category_name", *_EXPENSE_REPORT_TOTALS),
    ),
    _report(
        "expense-report-team-this-year",
        "Expense report by team member (year to date)",
        "Expense totals per person from 1 January until today.",
        "/v2/reports/expenses/team?" + _YEAR_TO_DATE,
        ("user_name", *_EXPENSE_REPORT_TOTALS),
    ),
    _report(
        "uninvoiced-report-this-year",
        "Uninvoiced report (year to date)",
        "Billable hours and expenses not yet invoiced, per project.",
        "/v2/reports/uninvoiced?" + _YEAR_TO_DATE,
        (
            "project_name",
            "client_name",
            "uninvoiced_hours",
            "uninvoiced_expenses",
            "uninvoiced_amount",
            "currency",
        ),
    ),
    _report(
        "project-budget-report",
        "Project budget report",
        "Budget, spent and remaining for every project with a budget, "
        "archived ones included.",
        "/v2/reports/project_budget",
        (
            "project_name",
            "client_name",
            "is_active",
            "budget_by",
            "budget",
            "budget_spent",
            "budget_remaining",
        ),
    ),
)

HARVEST = Service(
    slug="harvest",
    name="Harvest",
    description="Time tracking, projects, invoices and reports from Harvest.",
    logo_text="H",
    recipes=TIME_RECIPES + PROJECT_RECIPES + BILLING_RECIPES + REPORT_RECIPES,
)
