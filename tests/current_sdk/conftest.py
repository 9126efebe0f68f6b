import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "python"))

import perkserver  # noqa: E402


@pytest.fixture(scope="module")
def perk():
    """A perk serve process of its own per test module, with the demo: its base URL and the demo
    application's API key."""
    proc, base, key = perkserver.start()
    yield base, key
    proc.terminate()
    proc.wait(timeout=10)
