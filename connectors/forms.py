from django import forms


class PersonalTokenForm(forms.Form):
    token = forms.CharField(
        label="Personal access token",
        max_length=500,
        strip=True,
        # Never echoed back into the page, not even after a failed attempt.
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Create one in Harvest ID under Developers. It is stored encrypted.",
    )

    def clean_token(self) -> str:
        token = self.cleaned_data["token"]
        if any(ch.isspace() for ch in token):
            raise forms.ValidationError("A token has no spaces; paste it again.")
        return token


class RenameForm(forms.Form):
    name = forms.CharField(max_length=255, strip=True)
