"""Unit-test fixtures."""

from __future__ import annotations

import pytest
from unit_world import World, make_world


@pytest.fixture
def world() -> World:
    """The services on empty in-memory fakes."""
    return make_world()
