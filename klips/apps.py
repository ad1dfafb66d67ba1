from django.apps import AppConfig


class KlipsConfig(AppConfig):
    name = "klips"
