"""Sign-up, log-in, log-out and password reset through django-allauth."""

import re

from django.contrib.auth import get_user_model
from django.core import mail

from workspaces.models import Membership


def test_it_signs_up_a_user_into_a_new_workspace(client, db):
    response = client.post(
        "/accounts/signup/",
        {
            "email": "ada@example.com",
            "password1": "a long enough passphrase",
            "password2": "a long enough passphrase",
        },
    )

    assert response.status_code == 302
    user = get_user_model().objects.get(email="ada@example.com")
    assert Membership.objects.get(user=user).role == Membership.Role.ADMIN


def test_it_logs_in_and_out(client, owner):
    login = client.post(
        "/accounts/login/",
        {"login": "owner@example.com", "password": "correct horse battery"},
    )
    assert login.status_code == 302
    assert "_auth_user_id" in client.session

    logout = client.post("/accounts/logout/")
    assert logout.status_code == 302
    assert "_auth_user_id" not in client.session


def test_it_refuses_a_wrong_password_with_a_message(client, owner):
    response = client.post(
        "/accounts/login/", {"login": "owner@example.com", "password": "nope"}
    )

    assert response.status_code == 200
    assert "not correct" in response.content.decode()


def test_it_mails_a_working_password_reset_link(client, owner):
    client.post("/accounts/password/reset/", {"email": "owner@example.com"})

    assert len(mail.outbox) == 1
    link = re.search(
        r"http://testserver(/accounts/password/reset/key/\S+)", mail.outbox[0].body
    )
    form_page = client.get(link.group(1), follow=True)
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"password1": "a brand new passphrase", "password2": "a brand new passphrase"},
    )

    assert response.status_code == 302
    assert client.login(username="owner@example.com", password="a brand new passphrase")
