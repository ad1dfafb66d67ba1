from tests.authz.world import isolated_storage  # noqa: F401
