"""Fixtures shared by the client tests."""

import os
import socket
import subprocess
import tempfile
import time
import urllib.request

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
BIN = os.environ.get("LOCKSTEP_BIN", os.path.join(REPO, "target", "debug", "lockstep"))


@pytest.fixture
def destination():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with tempfile.TemporaryDirectory() as data:
        proc = subprocess.Popen(
            [BIN, "registry", "--listen", f"127.0.0.1:{port}", "--data-dir", os.path.join(data, "store")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(url + "/", timeout=1)
                    break
                except OSError:
                    if proc.poll() is not None:
                        pytest.fail("destination registry exited early")
                    time.sleep(0.1)
            yield url
        finally:
            proc.terminate()
            proc.wait(timeout=10)
