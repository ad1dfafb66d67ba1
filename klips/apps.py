from django.apps import AppConfig


class KlipsConfig(AppConfig):
    name = "klips"

    def ready(self) -> None:
        from klips import sharing  # noqa: F401 (registers dashboards as shareable)
