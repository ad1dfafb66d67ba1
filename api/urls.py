from django.urls import path

from api import token_views, views

app_name = "api"

urlpatterns = [
    path("tokens/", token_views.token_list, name="tokens"),
    path(
        "tokens/<int:token_id>/revoke/", token_views.token_revoke, name="token_revoke"
    ),
    path("v1/sources/", views.SourceList.as_view(), name="source_list"),
    path(
        "v1/sources/<int:pk>/refresh/",
        views.SourceRefresh.as_view(),
        name="source_refresh",
    ),
    path("v1/sources/<int:pk>/rows/", views.SourceRows.as_view(), name="source_rows"),
    path("v1/dashboards/", views.DashboardList.as_view(), name="dashboard_list"),
    path(
        "v1/dashboards/<int:dashboard_id>/klips/<int:klip_id>/",
        views.KlipResult.as_view(),
        name="klip_result",
    ),
]
