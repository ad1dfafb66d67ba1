import zoneinfo

from django import forms

from workspaces.models import Membership, Workspace


class InviteForm(forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=Membership.Role.choices, initial="editor")


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Membership.Role.choices)


class WorkspaceNameForm(forms.Form):
    name = forms.CharField(max_length=255, strip=True)


class WorkspaceCalendarForm(forms.Form):
    time_zone = forms.CharField(
        max_length=64,
        required=False,
        strip=True,
        label="Time zone",
        help_text="An IANA name such as Europe/Berlin; empty: the connecting "
        "Harvest user's zone.",
    )
    week_start = forms.TypedChoiceField(
        coerce=int,
        choices=Workspace._meta.get_field("week_start").choices,
        label="Weeks start on",
    )

    def clean_time_zone(self) -> str:
        name = self.cleaned_data["time_zone"]
        if name and name not in zoneinfo.available_timezones():
            raise forms.ValidationError(
                f"“{name}” is not a time zone name; use one such as Europe/Berlin."
            )
        return name
