from django.apps import AppConfig


class ConnectorsConfig(AppConfig):
    name = "connectors"

    def ready(self) -> None:
        from connectors import receivers  # noqa: F401 (connect receivers)
