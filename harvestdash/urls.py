from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="klips:dashboard_list"), name="home"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("connections/", include("connectors.urls")),
    path("sources/", include("datasources.urls")),
    path("dashboards/", include("klips.urls")),
    path("workspaces/", include("workspaces.urls")),
    path("p/", include("klips.published_urls")),
    path("api/", include("api.urls")),
]
