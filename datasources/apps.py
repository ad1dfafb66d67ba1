from django.apps import AppConfig


class DatasourcesConfig(AppConfig):
    name = "datasources"

    def ready(self) -> None:
        from datasources import (  # noqa: F401 (connect receivers, register sharing)
            sharing,
            signals,
        )
