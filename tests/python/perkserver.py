"""Starting a `perk serve --demo` for the Python tests, and calling its management API."""

import json
import os
import re
import socket
import subprocess
import tempfile
import time
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PERK = os.environ.get("PERK_BINARY", os.path.join(ROOT, ".build", "debug", "perk"))
ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "secret"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start():
    """Starts a Perk with the demo on a fresh SQLite database; answers the process, its base URL
    and the demo application's API key once /health answers."""
    port = free_port()
    database = os.path.join(tempfile.mkdtemp(), "perk.db")
    env = dict(os.environ, PERK_ADMIN_EMAIL=ADMIN_EMAIL, PERK_ADMIN_PASSWORD=ADMIN_PASSWORD)
    proc = subprocess.Popen(
        [PERK, "serve", "--port", str(port), "--database", "sqlite:" + database, "--demo"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    key = None
    deadline = time.time() + 30
    while key is None and time.time() < deadline:
        line = proc.stdout.readline()
        match = re.search(r"API key \(shown once\): ([0-9a-f]+)", line)
        if match:
            key = match.group(1)
    base = "http://127.0.0.1:%d" % port
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/health", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    return proc, base, key


def management(base, method, path, body=None, token=None):
    request = urllib.request.Request(
        base + path, method=method, data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **({"Authorization": "Bearer " + token} if token else {})})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def sign_in(base):
    """A management token for the administrator the tests start Perk with."""
    return management(base, "POST", "/v1/sessions", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})["token"]


@pytest.fixture(scope="module")
def perk():
    """A perk serve process of its own per test module, with the demo: its base URL and the demo
    application's API key."""
    proc, base, key = start()
    yield base, key
    proc.terminate()
    proc.wait(timeout=10)
