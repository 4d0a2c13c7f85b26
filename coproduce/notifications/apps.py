from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "coproduce.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from coproduce.notifications import receivers  # noqa: F401  (listens to the audit log)
