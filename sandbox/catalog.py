"""The sandbox agency: clients, projects, tasks, users and their assignments.

Dates are offsets in days relative to the dataset's "today", so the agency always looks
current. Time entries and expenses are not listed here: sandbox.data derives them from
the seed and these tables.
"""

from dataclasses import dataclass, field

HARVEST_ACCOUNT_ID = 4411001
FORECAST_ACCOUNT_ID = 4411002
ACCOUNT_NAME = "Larkspur Studio"
IDENTITY_USER_ID = 9300001


@dataclass(frozen=True)
class ClientSpec:
    id: int
    name: str
    currency: str
    created: int  # days before today
    address: str = ""
    archived: int | None = None  # days before today when archived
    tax: float | None = None
    discount: float | None = None
    payment_term_days: int = 30


@dataclass(frozen=True)
class TaskSpec:
    id: int
    name: str
    rate: float | None
    billable: bool = True
    is_default: bool = True
    archived: int | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class UserSpec:
    id: int
    first_name: str
    last_name: str
    email: str
    timezone: str
    capacity_hours: int
    rate: float
    cost_rate: float
    access_roles: tuple[str, ...]
    roles: tuple[str, ...]
    created: int
    archived: int | None = None
    is_contractor: bool = False
    telephone: str = ""

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class ProjectSpec:
    id: int
    client_id: int
    name: str
    code: str
    starts: int | None  # days before today (None: open-ended)
    ends: int | None  # days before today, None = still running
    bill_by: str  # Project | Tasks | People | none
    hourly_rate: float | None
    budget_by: str  # project | project_cost | task | task_fees | person | none
    users: tuple[int, ...]
    tasks: tuple[int, ...]
    weight: int
    budget: float | None = None
    cost_budget: float | None = None
    budget_is_monthly: bool = False
    is_billable: bool = True
    fee: float | None = None  # fixed-fee projects only
    archived: int | None = None
    notes: str = ""
    task_rates: dict[int, float] = field(default_factory=dict)

    @property
    def is_fixed_fee(self) -> bool:
        return self.fee is not None


CLIENTS: tuple[ClientSpec, ...] = (
    ClientSpec(
        5300001,
        "Harbor & Finch Outfitters",
        "USD",
        420,
        "210 Wharf Street\r\nPortland, ME 04101",
        tax=8.875,
    ),
    ClientSpec(
        5300002,
        "Kestrel Bank AG",
        "EUR",
        410,
        "Bahnhofstrasse 12\r\n60311 Frankfurt",
        tax=19.0,
        discount=5.0,
        payment_term_days=15,
    ),
    ClientSpec(
        5300003,
        "Marlow Publishing Ltd",
        "GBP",
        400,
        "14 Fleet Lane\r\nLondon EC4A 2AB",
        tax=20.0,
    ),
    ClientSpec(
        5300004,
        "Northpeak Outdoor Co",
        "CAD",
        300,
        "88 Granville St\r\nVancouver, BC V6C 1T2",
        tax=5.0,
    ),
    ClientSpec(5300005, "Solace Health Partners", "USD", 415, "", archived=118),
    ClientSpec(5300006, "Larkspur Studio (Internal)", "USD", 430),
    ClientSpec(
        5300007, "Quillon Foods", "USD", 150, "5 Market Row\r\nAustin, TX 78701"
    ),
    ClientSpec(
        5300008,
        "Atelier Brisé SARL",
        "EUR",
        200,
        "3 rue des Fleurs\r\n69002 Lyon",
        tax=20.0,
    ),
)

TASKS: tuple[TaskSpec, ...] = (
    TaskSpec(
        7500001,
        "Design",
        140.0,
        notes=(
            "Homepage hero variations",
            "Checkout flow wireframes",
            "Icon set refinements",
            "Design review feedback",
            "Mobile navigation mockups",
        ),
    ),
    TaskSpec(
        7500002,
        "Development",
        150.0,
        notes=(
            "Cart API integration",
            "Fix <img> alt text & captions",
            "Payment webhook retries",
            "Refactor product search",
            "CI pipeline fixes",
            "Accessibility fixes on forms",
        ),
    ),
    TaskSpec(
        7500003,
        "Project Management",
        130.0,
        notes=(
            "Sprint planning",
            "Client status call",
            "Backlog grooming",
            "Budget check-in",
        ),
    ),
    TaskSpec(
        7500004,
        "QA & Testing",
        110.0,
        notes=("Regression pass", "Cross-browser testing", "Release smoke tests"),
    ),
    TaskSpec(
        7500005,
        "Copywriting",
        95.0,
        is_default=False,
        notes=("Product descriptions", "Newsletter draft", "Landing page copy edits"),
    ),
    TaskSpec(
        7500006,
        "Strategy",
        175.0,
        is_default=False,
        notes=("Discovery workshop", "Quarterly roadmap", "Analytics review"),
    ),
    TaskSpec(
        7500007,
        "Internal Meeting",
        None,
        billable=False,
        is_default=False,
        notes=("Weekly studio sync", "Hiring interviews", "Team retro"),
    ),
    TaskSpec(
        7500008,
        "Legacy Support",
        90.0,
        is_default=False,
        archived=200,
        notes=("Legacy CMS patch", "Old site hosting ticket"),
    ),
)

USERS: tuple[UserSpec, ...] = (
    UserSpec(
        8600001,
        "Maya",
        "Okafor",
        "maya.okafor@example.com",
        "Eastern Time (US & Canada)",
        40,
        175.0,
        85.0,
        ("administrator",),
        ("Founder",),
        430,
        telephone="+1 555 0101",
    ),
    UserSpec(
        8600002,
        "Jonas",
        "Berg",
        "jonas.berg@example.com",
        "Berlin",
        35,
        140.0,
        65.0,
        ("manager", "project_creator", "billable_rates_manager"),
        ("Design",),
        425,
    ),
    UserSpec(
        8600003,
        "Priyanka",
        "Shah",
        "priyanka.shah@example.com",
        "Pacific Time (US & Canada)",
        40,
        150.0,
        70.0,
        ("member",),
        ("Development",),
        420,
    ),
    UserSpec(
        8600004,
        "Luis",
        "Ortega",
        "luis.ortega@example.com",
        "Central Time (US & Canada)",
        40,
        150.0,
        68.0,
        ("member",),
        ("Development",),
        410,
    ),
    UserSpec(
        8600005,
        "Hannah",
        "Kim",
        "hannah.kim@example.com",
        "London",
        32,
        140.0,
        62.0,
        ("member",),
        ("Design",),
        400,
    ),
    UserSpec(
        8600006,
        "Tomás",
        "Reyes",
        "tomas.reyes@example.com",
        "Mountain Time (US & Canada)",
        20,
        160.0,
        95.0,
        ("member",),
        ("Development",),
        380,
        is_contractor=True,
    ),
    UserSpec(
        8600007,
        "Grace",
        "Liu",
        "grace.liu@example.com",
        "Eastern Time (US & Canada)",
        40,
        130.0,
        60.0,
        ("manager", "managed_projects_invoice_drafter"),
        ("Project Management",),
        415,
    ),
    UserSpec(
        8600008,
        "Owen",
        "Price",
        "owen.price@example.com",
        "London",
        35,
        110.0,
        50.0,
        ("member",),
        ("QA",),
        405,
        archived=100,
    ),
    UserSpec(
        8600009,
        "Amara",
        "Nwosu",
        "amara.nwosu@example.com",
        "London",
        30,
        95.0,
        45.0,
        ("member",),
        ("Copy",),
        160,
    ),
)

ROLES: tuple[tuple[int, str, int], ...] = (
    # id, name, created (days before today)
    (9700001, "Founder", 430),
    (9700002, "Design", 428),
    (9700003, "Development", 428),
    (9700004, "Project Management", 427),
    (9700005, "QA", 420),
    (9700006, "Copy", 160),
)

MAYA, JONAS, PRIYANKA, LUIS, HANNAH, TOMAS, GRACE, OWEN, AMARA = (u.id for u in USERS)
DESIGN, DEV, PM, QA, COPY, STRATEGY, MEETING, LEGACY = (t.id for t in TASKS)

PROJECTS: tuple[ProjectSpec, ...] = (
    ProjectSpec(
        6400001,
        5300001,
        "Harbor E-commerce Replatform",
        "HFO-ECOM",
        360,
        None,
        "Project",
        150.0,
        "project",
        (MAYA, PRIYANKA, LUIS, HANNAH, TOMAS, GRACE, OWEN),
        (DESIGN, DEV, PM, QA),
        9,
        budget=3200.0,
    ),
    ProjectSpec(
        6400002,
        5300001,
        "Harbor Brand Retainer",
        "HFO-RET",
        340,
        None,
        "People",
        None,
        "project",
        (JONAS, HANNAH, AMARA),
        (DESIGN, COPY, STRATEGY),
        3,
        budget=40.0,
        budget_is_monthly=True,
    ),
    ProjectSpec(
        6400003,
        5300002,
        "Kestrel Mobile Banking App",
        "KST-APP",
        330,
        None,
        "Tasks",
        None,
        "project_cost",
        (PRIYANKA, LUIS, TOMAS, GRACE, JONAS),
        (DESIGN, DEV, PM, QA),
        7,
        cost_budget=420000.0,
        task_rates={DEV: 95.0, DESIGN: 90.0, PM: 85.0, QA: 75.0},
    ),
    ProjectSpec(
        6400004,
        5300002,
        "Kestrel Accessibility Audit",
        "KST-A11Y",
        300,
        200,
        "Project",
        120.0,
        "project_cost",
        (HANNAH, OWEN, GRACE),
        (QA, DESIGN, PM),
        2,
        cost_budget=24000.0,
        fee=24000.0,
        notes="Fixed fee, billed 50 % at kickoff and 50 % on delivery.",
    ),
    ProjectSpec(
        6400005,
        5300003,
        "Marlow Website Redesign",
        "MRL-WEB",
        280,
        None,
        "Project",
        110.0,
        "project",
        (JONAS, HANNAH, LUIS, AMARA, GRACE),
        (DESIGN, DEV, COPY, PM),
        5,
        budget=1400.0,
    ),
    ProjectSpec(
        6400006,
        5300003,
        "Marlow Editorial CMS",
        "MRL-CMS",
        250,
        None,
        "Tasks",
        None,
        "task_fees",
        (PRIYANKA, TOMAS, GRACE),
        (DEV, QA, PM, LEGACY),
        4,
        cost_budget=90000.0,
    ),
    ProjectSpec(
        6400007,
        5300004,
        "Northpeak Spring Campaign",
        "NPK-SPR",
        300,
        180,
        "Project",
        135.0,
        "project",
        (JONAS, HANNAH, AMARA, GRACE),
        (DESIGN, COPY, STRATEGY, PM),
        4,
        budget=700.0,
        archived=170,
        notes="Archived after the campaign launch.",
    ),
    ProjectSpec(
        6400008,
        5300004,
        "Northpeak Winter Catalogue",
        "NPK-WIN",
        90,
        None,
        "Project",
        135.0,
        "project_cost",
        (JONAS, HANNAH, AMARA),
        (DESIGN, COPY, PM),
        3,
        cost_budget=30000.0,
        fee=30000.0,
    ),
    ProjectSpec(
        6400009,
        5300005,
        "Solace Patient Portal",
        "SOL-PP",
        380,
        125,
        "People",
        None,
        "project",
        (PRIYANKA, LUIS, OWEN, GRACE),
        (DEV, QA, PM, LEGACY),
        5,
        budget=1800.0,
        archived=118,
        notes="Archived after hand-off.",
    ),
    ProjectSpec(
        6400010,
        5300006,
        "Internal Operations",
        "INT-OPS",
        None,
        None,
        "none",
        None,
        "none",
        tuple(u.id for u in USERS),
        (MEETING, PM),
        3,
        is_billable=False,
    ),
    ProjectSpec(
        6400011,
        5300006,
        "Larkspur Website",
        "INT-WEB",
        200,
        None,
        "none",
        None,
        "project",
        (HANNAH, PRIYANKA, AMARA),
        (DESIGN, DEV, COPY),
        1,
        budget=160.0,
        is_billable=False,
    ),
    ProjectSpec(
        6400012,
        5300007,
        "Quillon Packaging Refresh",
        "QLN-PKG",
        140,
        None,
        "Tasks",
        None,
        "project",
        (JONAS, HANNAH, AMARA, GRACE),
        (DESIGN, COPY, STRATEGY, PM),
        3,
        budget=450.0,
    ),
    ProjectSpec(
        6400013,
        5300008,
        "Atelier Lookbook 2026",
        "ATB-LKB",
        190,
        None,
        "Project",
        105.0,
        "none",
        (JONAS, HANNAH, TOMAS),
        (DESIGN, DEV),
        2,
    ),
)

EXPENSE_CATEGORIES: tuple[
    tuple[int, str, str | None, float | None, int | None], ...
] = (
    # id, name, unit_name, unit_price, archived (days before today)
    (3400001, "Travel", None, None, None),
    (3400002, "Mileage", "km", 0.3, None),
    (3400003, "Meals", None, None, 60),
    (3400004, "Software & Licences", None, None, None),
    (3400005, "Stock Assets", None, None, None),
    (3400006, "Printing", None, None, None),
)

CONTACTS: tuple[tuple[int, int, str, str, str, str, str], ...] = (
    # id, client_id, title, first, last, phone_office, phone_mobile
    (4200001, 5300001, "Head of E-commerce", "Morgan", "Blake", "+1 555 0142", ""),
    (4200002, 5300001, "Brand Director", "Sasha", "Ng", "+1 555 0143", "+1 555 0199"),
    (4200003, 5300002, "CTO", "Jana", "Schulz", "+49 69 5550123", "+49 170 5550123"),
    (4200004, 5300003, "Managing Editor", "Rupert", "Hale", "+44 20 7946 0101", ""),
    (4200005, 5300004, "Marketing Lead", "Camille", "Roy", "+1 604 555 0110", ""),
    (4200006, 5300005, "IT Manager", "Dev", "Patel", "+1 555 0177", ""),
    (4200007, 5300007, "Founder", "Rosa", "Quillon", "+1 512 555 0133", ""),
    (
        4200008,
        5300008,
        "Directrice artistique",
        "Inès",
        "Moreau",
        "+33 4 55 50 01 02",
        "",
    ),
)

COMPANY = {
    "base_uri": "https://larkspur.harvestapp.com",
    "full_domain": "larkspur.harvestapp.com",
    "name": ACCOUNT_NAME,
    "is_active": True,
    "week_start_day": "Monday",
    "wants_timestamp_timers": False,
    "time_format": "hours_minutes",
    "date_format": "%Y-%m-%d",
    "plan_type": "simple-v4",
    "clock": "12h",
    "currency_code_display": "iso_code_none",
    "currency_symbol_display": "symbol_before",
    "decimal_symbol": ".",
    "thousands_separator": ",",
    "color_scheme": "orange",
    "weekly_capacity": 144000,
    "expense_feature": True,
    "invoice_feature": True,
    "estimate_feature": True,
    "approval_feature": True,
    "team_feature": True,
}
