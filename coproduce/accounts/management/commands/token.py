"""`coproduce token create USERNAME [--name N]`: print a new personal API token for that user."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from coproduce.accounts import services
from coproduce.accounts.models import User
from coproduce.governance.safety import UnsafeContent


class Command(BaseCommand):
    help = "Manage personal API tokens. `token create USERNAME` prints a new token, and nothing else."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        create = actions.add_parser("create", help="create a token and print it")
        create.add_argument("username")
        create.add_argument("--name", default="Command line", help="what the token is for")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user called {options['username']!r}", returncode=2)
        if not user.is_active:
            raise CommandError(f"the user {user.username!r} is not active", returncode=2)
        try:
            _token, raw = services.token_create(user=user, name=options["name"], actor=None)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages), returncode=2) from None
        except UnsafeContent:
            raise CommandError("the token name looks like patient-identifiable data", returncode=2) from None
        self.stdout.write(raw)
