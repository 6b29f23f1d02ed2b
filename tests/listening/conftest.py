"""Fixtures for the listening tests: a vault with the demo areas."""

from __future__ import annotations

import random

import pytest

import halqa.places as places


@pytest.fixture
def areas_vault(vault):
    """The shared ``vault`` fixture with the six demo areas (no households needed)."""
    places.demo(vault, random.Random(0), households_per_area=1)
    return vault
