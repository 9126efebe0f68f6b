from perkserver import perk  # noqa: F401 (the fixture every module here uses)
