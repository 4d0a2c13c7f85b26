from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "coproduce.core"
    label = "core"
    verbose_name = "Site"

    def ready(self) -> None:
        from coproduce.core import checks  # noqa: F401  (registers the system checks)
