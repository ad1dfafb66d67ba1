"""Signals the upper apps listen to; workspaces may not import them."""

from django.dispatch import Signal

# Sent after a membership is deleted (the member left or was removed), with
# workspace=, user= and actor= (who removed them; the user themselves on leaving).
member_removed = Signal()
