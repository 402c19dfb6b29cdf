"""Fixtures shared by the client tests."""

import contextlib
import os
import socket
import subprocess
import tempfile
import time
import urllib.request

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
BIN = os.environ.get("LOCKSTEP_BIN", os.path.join(REPO, "target", "debug", "lockstep"))
KAFKA = os.path.join(REPO, "scripts", "kafka")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@contextlib.contextmanager
def lockstep_registry():
    """A `lockstep registry` on a free loopback port with a fresh data dir; yields its URL."""
    port = free_port()
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
                        pytest.fail("registry exited early")
                    time.sleep(0.1)
            yield url
        finally:
            proc.terminate()
            proc.wait(timeout=10)


@pytest.fixture
def destination():
    with lockstep_registry() as url:
        yield url


@pytest.fixture(scope="module")
def region_b_registry():
    """A second region's registry, kept for a whole test module."""
    with lockstep_registry() as url:
        yield url


@pytest.fixture(scope="module")
def kafka_pair():
    """Two single-node Kafka clusters (scripts/kafka, started side by side in a temporary
    LOCKSTEP_KAFKA_HOME), kept for a whole test module and always stopped; yields their
    bootstrap addresses (A, B)."""
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, LOCKSTEP_KAFKA_HOME=os.path.join(home, "kafka"))
        fetch = subprocess.run([KAFKA, "fetch"], env=env, capture_output=True, text=True, timeout=600)
        assert fetch.returncode == 0, fetch.stderr
        starts = [
            subprocess.Popen([KAFKA, "start", name, str(free_port())], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
            for name in ("region-a", "region-b")
        ]
        try:
            bootstraps = []
            for p in starts:
                out, err = p.communicate(timeout=120)
                assert p.returncode == 0, err
                bootstraps.append(out.strip().splitlines()[-1])
            yield tuple(bootstraps)
        finally:
            for p in starts:
                if p.poll() is None:
                    p.kill()
            subprocess.run([KAFKA, "stop-all"], env=env, capture_output=True, timeout=120)
