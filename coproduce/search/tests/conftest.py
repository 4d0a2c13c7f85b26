from __future__ import annotations

import pytest

from conftest import make_person
from coproduce.accounts.models import Role, User
from coproduce.communities.models import Space, SpaceMembership, SpaceRole


@pytest.fixture
def space_member(db: None, private_space: Space) -> User:
    """A community member who also belongs to the private space."""
    person = make_person("sam", Role.MEMBER, name="Sam Steering")
    SpaceMembership.objects.create(space=private_space, user=person, role=SpaceRole.MEMBER)
    return person
