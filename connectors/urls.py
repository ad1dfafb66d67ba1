from django.urls import path

from connectors import views

app_name = "connectors"

urlpatterns = [
    path("", views.connection_list, name="connection_list"),
    path("harvest/connect/", views.connect_harvest, name="connect_harvest"),
    # Registered with Harvest (and the sandbox) as the redirect URL.
    path("harvest/callback/", views.oauth_callback, name="oauth_callback"),
    path("harvest/token/", views.connect_pat, name="connect_pat"),
    path("<int:pk>/", views.connection_detail, name="connection_detail"),
    path("<int:pk>/rename/", views.connection_rename, name="connection_rename"),
    path("<int:pk>/delete/", views.connection_delete, name="connection_delete"),
    path(
        "<int:pk>/reconnect/", views.connection_reconnect, name="connection_reconnect"
    ),
    path("<int:pk>/accounts/", views.connection_accounts, name="connection_accounts"),
]
