from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "coproduce.core"
    label = "core"
    verbose_name = "Site"

    def ready(self) -> None:
        from allauth.account.models import EmailAddress
        from allauth.mfa.models import Authenticator
        from django.contrib.admin.models import LogEntry
        from django.db.models.signals import post_delete, post_save

        from coproduce.communities.models import SpaceMembership
        from coproduce.core import checks  # noqa: F401  (registers the system checks)
        from coproduce.core.pagecache import bump_after_commit, bump_on_admin_change
        from coproduce.governance import audit

        audit.listen(bump_after_commit)
        # A change made in Django's admin writes no audit entry of ours, but a LogEntry of its own.
        post_save.connect(bump_on_admin_change, sender=LogEntry, dispatch_uid="coproduce.core.admin_change")
        # ... except that it logs a deletion of several rows at once without a signal. These rows
        # decide what a member may see or must do first (their roles, second factor, addresses),
        # however they go.
        for model in (SpaceMembership, Authenticator, EmailAddress):
            uid = f"coproduce.core.deleted.{model.__name__}"
            post_delete.connect(bump_on_admin_change, sender=model, dispatch_uid=uid)
