"""An id too large for the database is a 404 or a clear message, never a 500."""

import pytest

TOO_LARGE = 99999999999999999999  # over 2**63: no database integer holds it


@pytest.mark.parametrize("action", ["role", "remove"])
def test_a_member_id_out_of_range_is_a_404(owner_client, action):
    response = owner_client.post(
        f"/workspaces/members/{TOO_LARGE}/{action}/", {"role": "viewer"}
    )

    assert response.status_code == 404


def test_switching_to_a_workspace_id_out_of_range_is_a_404(owner_client, workspace):
    response = owner_client.post("/workspaces/switch/", {"workspace": TOO_LARGE})

    assert response.status_code == 404
    assert owner_client.session["workspace_id"] == workspace.pk


def test_revoking_an_invitation_id_out_of_range_is_a_404(owner_client):
    response = owner_client.post(f"/workspaces/members/invitations/{TOO_LARGE}/revoke/")

    assert response.status_code == 404
