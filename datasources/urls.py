from django.urls import path

from datasources import sharing_views, views

app_name = "datasources"

urlpatterns = [
    path("", views.source_list, name="source_list"),
    path("catalog/", views.catalog, name="catalog"),
    path("catalog/<slug:service>/", views.service_detail, name="service_detail"),
    path("new/<slug:service>/custom/", views.wizard_start, name="wizard_start_custom"),
    path("new/<slug:service>/<slug:recipe>/", views.wizard_start, name="wizard_start"),
    path("setup/<str:wizard_id>/<slug:step>/", views.wizard_step, name="wizard"),
    path("<int:pk>/", views.source_detail, name="source_detail"),
    path("<int:pk>/refresh/", views.source_refresh, name="source_refresh"),
    path("<int:pk>/resume/", views.source_resume, name="source_resume"),
    path("<int:pk>/edit/", views.source_edit, name="source_edit"),
    path("<int:pk>/delete/", views.source_delete, name="source_delete"),
    path("<int:pk>/share/", sharing_views.source_share, name="source_share"),
    path("<int:pk>/unshare/", sharing_views.source_unshare, name="source_unshare"),
    path(
        "<int:pk>/runs/<int:run_pk>/progress/", views.run_progress, name="run_progress"
    ),
]
