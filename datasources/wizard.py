"""The new-source wizard's state, kept in the session per wizard id.

Several wizards may be open in different tabs, so each has its own id. The
state holds only ids, the Query URL and small column lists, never Harvest data
beyond the preview rows shown on the model step.
"""

import secrets
from dataclasses import asdict, dataclass, field

from connectors.catalog import Recipe, get_recipe

SESSION_KEY = "source_wizards"
MAX_OPEN_WIZARDS = 10
CUSTOM = "custom"

# Step slug and title, in the order they are shown.
STEP_TITLES = {
    "connection": "Connection",
    "account": "Harvest account",
    "data": "Get data",
    "custom": "Custom settings",
    "model": "Model your data",
    "save": "Name and schedule",
}


@dataclass
class WizardState:
    service: str
    recipe: str = ""
    # The Query URL template in use: the recipe's, or the user's edited one.
    query_url: str = ""
    custom: bool = False
    connection_id: int | None = None
    account_id: int | None = None
    # Columns the user modelled; empty means "infer at the first refresh".
    columns: list[dict] = field(default_factory=list)
    # Columns inferred from the last preview, the starting point for modelling.
    inferred_columns: list[dict] = field(default_factory=list)
    preview_rows: list[dict] = field(default_factory=list)

    @property
    def recipe_obj(self) -> Recipe | None:
        return get_recipe(self.service, self.recipe) if self.recipe else None

    @property
    def steps(self) -> list[str]:
        """The steps this wizard shows, in order."""
        if not self.recipe:
            # A custom source starts with its Query URL.
            return ["custom", "connection", "account", "data", "model", "save"]
        optional = ["custom"] if self.custom else []
        return ["connection", "account", "data", *optional, "model", "save"]

    def first_missing_step(self) -> str | None:
        """The earliest step whose answer later steps need, if unanswered."""
        if not self.query_url:
            return "custom"
        if self.connection_id is None:
            return "connection"
        if self.account_id is None:
            return "account"
        return None


def _wizards(session) -> dict:
    return session.setdefault(SESSION_KEY, {})


def start(session, service: str, recipe: Recipe | None) -> str:
    wizards = _wizards(session)
    while len(wizards) >= MAX_OPEN_WIZARDS:
        wizards.pop(next(iter(wizards)))

    wizard_id = secrets.token_urlsafe(8)
    state = WizardState(
        service=service,
        recipe=recipe.slug if recipe else "",
        query_url=recipe.query_url if recipe else "",
    )
    wizards[wizard_id] = asdict(state)
    session.modified = True
    return wizard_id


def load(session, wizard_id: str) -> WizardState | None:
    raw = _wizards(session).get(wizard_id)
    return WizardState(**raw) if raw else None


def save(session, wizard_id: str, state: WizardState) -> None:
    _wizards(session)[wizard_id] = asdict(state)
    session.modified = True


def finish(session, wizard_id: str) -> None:
    _wizards(session).pop(wizard_id, None)
    session.modified = True


def switch_to_custom(state: WizardState) -> None:
    state.custom = True


def switch_to_basic(state: WizardState) -> None:
    """Back to the recipe's Query URL; every edit is discarded."""
    recipe = state.recipe_obj
    if recipe is None:
        return
    state.custom = False
    state.query_url = recipe.query_url
    state.columns = []
    state.inferred_columns = []
    state.preview_rows = []


def set_query_url(state: WizardState, query_url: str) -> None:
    """A new Query URL; columns of the old one no longer apply."""
    if query_url != state.query_url:
        state.columns = []
        state.inferred_columns = []
        state.preview_rows = []
    state.query_url = query_url
    state.custom = True
