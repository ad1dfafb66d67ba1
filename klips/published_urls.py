from django.urls import path

from klips import published_views

app_name = "published"

urlpatterns = [
    path("<str:token>/", published_views.published_dashboard, name="dashboard"),
    path(
        "<str:token>/klips/<int:klip_id>/data/",
        published_views.published_klip_data,
        name="klip_data",
    ),
]
