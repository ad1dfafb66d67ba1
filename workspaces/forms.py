from django import forms

from workspaces.models import Membership


class InviteForm(forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=Membership.Role.choices, initial="editor")


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Membership.Role.choices)


class WorkspaceNameForm(forms.Form):
    name = forms.CharField(max_length=255, strip=True)
