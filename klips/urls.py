from django.urls import path

from klips import views

app_name = "klips"

urlpatterns = [
    path("", views.dashboard_list, name="dashboard_list"),
    path("new/", views.dashboard_create, name="dashboard_create"),
    path("<int:dashboard_id>/", views.dashboard_detail, name="dashboard_detail"),
    path("<int:dashboard_id>/rename/", views.dashboard_rename, name="dashboard_rename"),
    path("<int:dashboard_id>/delete/", views.dashboard_delete, name="dashboard_delete"),
    path("<int:dashboard_id>/layout/", views.layout_save, name="layout_save"),
    path("klips/new/", views.klip_create, name="klip_create"),
    path("klips/preview/", views.klip_preview, name="klip_preview"),
    path(
        "<int:dashboard_id>/klips/<int:klip_id>/edit/",
        views.klip_edit,
        name="klip_edit",
    ),
    path(
        "<int:dashboard_id>/klips/<int:klip_id>/delete/",
        views.klip_delete,
        name="klip_delete",
    ),
    path(
        "<int:dashboard_id>/klips/<int:klip_id>/data/",
        views.klip_data,
        name="klip_data",
    ),
    path(
        "<int:dashboard_id>/klips/<int:klip_id>/csv/", views.klip_csv, name="klip_csv"
    ),
]
