from django.urls import path

from workspaces import views

app_name = "workspaces"

urlpatterns = [
    path("members/", views.members, name="members"),
    path("members/invite/", views.invite, name="invite"),
    path("members/rename/", views.rename, name="rename"),
    path("members/calendar/", views.calendar, name="calendar"),
    path("members/<int:user_id>/role/", views.set_role, name="set_role"),
    path("members/<int:user_id>/remove/", views.remove, name="remove"),
    path(
        "members/invitations/<int:invitation_id>/revoke/",
        views.revoke_invitation,
        name="revoke_invitation",
    ),
    path("invitations/<str:token>/", views.accept, name="accept"),
    path("switch/", views.switch, name="switch"),
]
