"""A grantee id too large for the database is a clear message, never a 500."""

from django.urls import reverse

from datasources.models import SourceShare

TOO_LARGE = 99999999999999999999  # over 2**63: no database integer holds it


def _grants(source) -> list[tuple[int, str]]:
    return sorted(
        SourceShare.objects.filter(source=source).values_list("grantee_id", "level")
    )


def test_sharing_with_a_grantee_out_of_range_is_a_message(world, as_user):
    source = world.mine.source
    before = _grants(source)

    response = as_user(world.owner).post(
        reverse("datasources:source_share", args=[source.pk]),
        {"grantee": TOO_LARGE, "level": "use"},
        follow=True,
    )

    assert "Share with a member of this workspace." in response.content.decode()
    assert _grants(source) == before


def test_unsharing_a_grantee_out_of_range_is_a_message(world, as_user):
    source = world.mine.source
    before = _grants(source)

    response = as_user(world.owner).post(
        reverse("datasources:source_unshare", args=[source.pk]),
        {"grantee": TOO_LARGE},
        follow=True,
    )

    assert "That share no longer exists." in response.content.decode()
    assert _grants(source) == before
