import pytest

from tests.authz.world import build_world, isolated_storage  # noqa: F401


@pytest.fixture(autouse=True)
def _storage(request):
    """Every sharing test writes its Parquet files to its own folder."""
    request.getfixturevalue("isolated_storage")


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def as_user(client):
    """as_user(user) -> the test client, signed in as that user."""

    def sign_in(user):
        client.logout()
        client.force_login(user)
        return client

    return sign_in
