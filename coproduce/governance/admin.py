from __future__ import annotations

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from coproduce.governance.models import AuditEntry, Flag, Sanction, WatchedWord


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin[AuditEntry]):
    """The audit log is written only by services: the admin can read it, never change it."""

    list_display = ("created_at", "actor_label", "action", "target_type", "target_label", "space")
    list_filter = ("action", "target_type", "space")
    search_fields = ("actor_label", "action", "target_label", "target_id")
    date_hierarchy = "created_at"
    list_select_related = ("space",)
    readonly_fields = (
        "created_at",
        "actor",
        "actor_label",
        "action",
        "target_type",
        "target_id",
        "target_label",
        "space",
        "before",
        "after",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEntry | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEntry | None = None) -> bool:
        return False


class _ReadOnly[M: models.Model](admin.ModelAdmin[M]):
    """Moderation changes go through the services (and the audit log): the admin only reads."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: M | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: M | None = None) -> bool:
        return False


@admin.register(Flag)
class FlagAdmin(_ReadOnly[Flag]):
    list_display = ("created_at", "reason", "status", "space", "comment", "page", "reporter", "resolved_by")
    list_filter = ("status", "reason", "space")
    list_select_related = ("space", "comment", "page", "reporter", "resolved_by")
    date_hierarchy = "created_at"


@admin.register(WatchedWord)
class WatchedWordAdmin(_ReadOnly[WatchedWord]):
    list_display = ("phrase", "action", "created_at", "created_by")
    list_filter = ("action",)
    search_fields = ("phrase",)


@admin.register(Sanction)
class SanctionAdmin(_ReadOnly[Sanction]):
    list_display = ("created_at", "user", "kind", "ends_at", "lifted_at", "created_by")
    list_filter = ("kind",)
    search_fields = ("user__username", "user__name", "reason")
    list_select_related = ("user", "created_by")
