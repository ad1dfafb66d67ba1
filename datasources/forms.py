from datetime import time

from django import forms

from datasources.modelling import ColumnType
from datasources.schedule import INTERVAL_CHOICES

DAILY = "daily"
MANUAL = "manual"
SCHEDULE_CHOICES = [
    *((str(minutes), label) for minutes, label in INTERVAL_CHOICES),
    (DAILY, "Daily at a set time"),
    (MANUAL, "Manual only"),
]


class ConnectionChoiceForm(forms.Form):
    connection = forms.TypedChoiceField(coerce=int, label="Harvest connection")

    def __init__(self, *args, connections=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["connection"].choices = [(c.pk, c.name) for c in connections]


class AccountChoiceForm(forms.Form):
    account = forms.TypedChoiceField(coerce=int, label="Harvest account")

    def __init__(self, *args, accounts=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = [
            (a["id"], f"{a['name']} ({a['id']})") for a in accounts
        ]


class QueryUrlForm(forms.Form):
    query_url = forms.CharField(
        label="Query URL",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 90}),
        help_text="A Harvest API v2 URL or path, e.g. /v2/time_entries?"
        "from={{start_of_month}}&to={{end_of_month}}",
    )


class ScheduleFields(forms.Form):
    schedule = forms.ChoiceField(choices=SCHEDULE_CHOICES, initial="60")
    daily_at = forms.TimeField(
        required=False,
        label="Daily at (workspace time)",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("schedule") == DAILY and data.get("daily_at") is None:
            self.add_error("daily_at", "Pick the time of day for a daily refresh.")
        return data

    def refresh_minutes(self) -> int | None:
        value = self.cleaned_data["schedule"]
        return int(value) if value.isdigit() else None

    def daily_time(self) -> time | None:
        if self.cleaned_data["schedule"] == DAILY:
            return self.cleaned_data["daily_at"]
        return None

    @staticmethod
    def initial_for(refresh_minutes: int | None, daily_at: time | None) -> dict:
        if refresh_minutes:
            return {"schedule": str(refresh_minutes)}
        if daily_at is not None:
            return {"schedule": DAILY, "daily_at": daily_at}
        return {"schedule": MANUAL}


class SourceSettingsForm(ScheduleFields):
    name = forms.CharField(max_length=255)
    shared_with_workspace = forms.BooleanField(
        required=False, label="Share with everyone in the workspace"
    )

    field_order = ["name", "schedule", "daily_at", "shared_with_workspace"]


class ColumnForm(forms.Form):
    path = forms.CharField(widget=forms.HiddenInput, max_length=500)
    name = forms.CharField(max_length=255)
    type = forms.ChoiceField(choices=[(t.value, t.value) for t in ColumnType])
    hidden = forms.BooleanField(required=False)
    order = forms.IntegerField(min_value=0, max_value=10000)


ColumnFormSet = forms.formset_factory(ColumnForm, extra=0, max_num=2000)


def columns_from_formset(formset) -> list[dict]:
    """The modelled columns in the chosen order, as Column dicts."""
    rows = sorted(
        (f.cleaned_data for f in formset.forms if f.cleaned_data),
        key=lambda row: row["order"],
    )
    return [
        {
            "name": row["name"].strip(),
            "path": row["path"],
            "type": row["type"],
            "hidden": row["hidden"],
        }
        for row in rows
    ]


def initial_columns(columns: list[dict]) -> list[dict]:
    return [
        {**column, "hidden": column.get("hidden", False), "order": index}
        for index, column in enumerate(columns)
    ]
