import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "python"))

from perkserver import perk  # noqa: E402,F401 (the fixture every module here uses)
