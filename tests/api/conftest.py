import pytest
from rest_framework.test import APIClient

from api.tokens import create_token
from tests.authz.world import build_world, isolated_storage  # noqa: F401


@pytest.fixture(autouse=True)
def _storage(request):
    request.getfixturevalue("isolated_storage")


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def api_as(world):
    """api_as(user) -> an API client sending a fresh token of that user."""

    def make(user, workspace=None):
        _, key = create_token(user, workspace or world.mine.workspace)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    return make
