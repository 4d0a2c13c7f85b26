from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "coproduce.core"
    label = "core"
    verbose_name = "Site"

    def ready(self) -> None:
        from coproduce.core import checks  # noqa: F401  (registers the system checks)
        from coproduce.core.pagecache import bump_after_commit
        from coproduce.governance import audit

        audit.listen(bump_after_commit)
