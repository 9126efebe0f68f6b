import pytest

import perkserver


@pytest.fixture(scope="module")
def perk():
    """A perk serve process of its own per test module, with the demo: its base URL and the demo
    application's API key."""
    proc, base, key = perkserver.start()
    yield base, key
    proc.terminate()
    proc.wait(timeout=10)
