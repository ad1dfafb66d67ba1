"""Shared fixtures: personas in workspaces, as the access rules see them."""

import pytest
from django.contrib.auth import get_user_model

from workspaces.models import Membership, Workspace


def make_user(email: str):
    return get_user_model().objects.create_user(
        username=email, email=email, password="correct horse battery"
    )


@pytest.fixture
def owner(db):
    """A user with their own workspace (created on sign-up), as admin."""
    return make_user("owner@example.com")


@pytest.fixture
def workspace(owner) -> Workspace:
    return Workspace.objects.get(membership__user=owner)


@pytest.fixture
def teammate(workspace):
    """An editor in the owner's workspace."""
    user = make_user("teammate@example.com")
    Membership.objects.create(
        workspace=workspace, user=user, role=Membership.Role.EDITOR
    )
    return user


@pytest.fixture
def outsider(db):
    """A user in a workspace of their own, nothing shared with them."""
    return make_user("outsider@example.com")


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client
