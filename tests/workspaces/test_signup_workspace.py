from workspaces.models import Membership


def test_it_gives_a_new_user_a_workspace_as_admin(owner):
    membership = Membership.objects.get(user=owner)

    assert membership.role == Membership.Role.ADMIN
    assert membership.workspace.name == "owner@example.com's workspace"


def test_it_does_not_let_an_outsider_into_anothers_workspace(workspace, outsider):
    from django.http import Http404

    from workspaces.access import membership_for

    try:
        membership_for(outsider, workspace)
    except Http404:
        refused = True
    else:
        refused = False
    assert refused
