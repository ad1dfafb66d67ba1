from django.apps import AppConfig


class DatasourcesConfig(AppConfig):
    name = "datasources"

    def ready(self) -> None:
        from datasources import signals  # noqa: F401 (connects the receivers)
