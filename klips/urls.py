from django.urls import path

from klips import (
    dashboard_views,
    gallery_views,
    published_views,
    sharing_views,
    views,
)

app_name = "klips"

urlpatterns = [
    path("", views.dashboard_list, name="dashboard_list"),
    path("new/", views.dashboard_create, name="dashboard_create"),
    path("<int:dashboard_id>/", views.dashboard_detail, name="dashboard_detail"),
    path("<int:dashboard_id>/rename/", views.dashboard_rename, name="dashboard_rename"),
    path("<int:dashboard_id>/delete/", views.dashboard_delete, name="dashboard_delete"),
    path("<int:dashboard_id>/layout/", views.layout_save, name="layout_save"),
    path("<int:dashboard_id>/tv/", dashboard_views.dashboard_tv, name="dashboard_tv"),
    path(
        "<int:dashboard_id>/versions/",
        dashboard_views.dashboard_versions,
        name="dashboard_versions",
    ),
    path("gallery/", gallery_views.gallery_page, name="gallery"),
    path("gallery/add/", gallery_views.gallery_add, name="gallery_add"),
    path(
        "<int:dashboard_id>/share/",
        sharing_views.dashboard_share,
        name="dashboard_share",
    ),
    path(
        "<int:dashboard_id>/unshare/",
        sharing_views.dashboard_unshare,
        name="dashboard_unshare",
    ),
    path(
        "<int:dashboard_id>/publish/",
        published_views.dashboard_publish,
        name="dashboard_publish",
    ),
    path(
        "<int:dashboard_id>/publish/clients/",
        published_views.dashboard_publish_clients,
        name="dashboard_publish_clients",
    ),
    path(
        "<int:dashboard_id>/publish/<int:link_id>/revoke/",
        published_views.link_revoke,
        name="link_revoke",
    ),
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
