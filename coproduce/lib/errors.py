"""Domain errors shared by every app's services; the API and views translate them."""

from __future__ import annotations

from django.core.exceptions import ValidationError


class Conflict(ValidationError):
    """The change no longer applies to the current state (e.g. an application already decided): 409."""
