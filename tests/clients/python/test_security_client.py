"""Confluent's Python client against a secured `lockstep registry`: basic auth
(`basic.auth.user.info`) and a static bearer token (`bearer.auth.credentials.source=STATIC_TOKEN`).

Starts its own registry (the binary run.sh uses) with a users file, a JWKS file and rules, so it
does not depend on the shared unsecured registry. Skipped when the binary has no security flags.
"""

import hashlib
import json
import os
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid

import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
BIN = os.environ.get("LOCKSTEP_BIN", os.path.join(REPO, "target", "debug", "lockstep"))

SCHEMA = json.dumps({"type": "record", "name": "Order", "fields": [{"name": "id", "type": "long"}]})
RULES = """
[[rule]]
groups = ["team-a"]
operations = ["read", "write"]
resources = ["subject:orders-*"]

[[rule]]
principals = ["*"]
operations = ["read"]
resources = ["subject:*"]
"""


def _supports_security():
    try:
        out = subprocess.run([BIN, "registry", "--help"], capture_output=True, text=True, timeout=30).stdout
    except OSError:
        return False
    return "--auth-basic-users-file" in out


pytestmark = pytest.mark.skipif(
    not _supports_security(), reason="lockstep registry has no --auth-* flags yet (SecurityArgs not wired)"
)


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture(scope="module")
def secured():
    jose = pytest.importorskip("authlib.jose")
    key = jose.JsonWebKey.generate_key("EC", "P-256", is_private=True)
    public = key.as_dict(is_private=False)
    public.update({"kid": "k1", "alg": "ES256", "use": "sig"})
    with tempfile.TemporaryDirectory() as d:
        users = os.path.join(d, "users.properties")
        with open(users, "w") as f:
            # JAAS PropertyFileLoginModule format; MD5: needs the migration flag (Python has no
            # argon2/bcrypt without extra packages; the Rust tests cover those hashes).
            f.write("alice: MD5:%s,team-a\n" % hashlib.md5(b"alice-pw").hexdigest())
            f.write("bob: MD5:%s\n" % hashlib.md5(b"bob-pw").hexdigest())
        jwks = os.path.join(d, "jwks.json")
        with open(jwks, "w") as f:
            json.dump({"keys": [public]}, f)
        rules = os.path.join(d, "rules.toml")
        with open(rules, "w") as f:
            f.write(RULES)
        port = _free_port()
        log = open(os.path.join(d, "registry.log"), "w")
        proc = subprocess.Popen(
            [
                BIN, "registry", "--listen", "127.0.0.1:%d" % port, "--data-dir", os.path.join(d, "data"),
                "--auth-basic-users-file", users, "--auth-basic-allow-insecure-passwords",
                "--auth-bearer-jwks-file", jwks, "--auth-bearer-issuer", "https://idp.test",
                "--auth-bearer-audience", "lockstep", "--authz-rules-file", rules,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = "http://127.0.0.1:%d" % port
        try:
            for _ in range(200):
                try:
                    urllib.request.urlopen(url + "/", timeout=1)
                    break
                except urllib.error.HTTPError:
                    break  # 401: it is up
                except OSError:
                    assert proc.poll() is None, open(log.name).read()
                    time.sleep(0.1)

            def token(sub, groups):
                now = int(time.time())
                claims = {"sub": sub, "groups": groups, "iss": "https://idp.test", "aud": "lockstep",
                          "iat": now, "exp": now + 300}
                return jose.jwt.encode({"alg": "ES256", "kid": "k1"}, claims, key).decode()

            yield url, token
        finally:
            proc.terminate()
            proc.wait(timeout=10)
            log.close()


def _bearer(url, tok):
    return SchemaRegistryClient({
        "url": url,
        "bearer.auth.credentials.source": "STATIC_TOKEN",
        "bearer.auth.token": tok,
        "bearer.auth.logical.cluster": "lsrc-local",
        "bearer.auth.identity.pool.id": "pool-local",
    })


def test_basic_auth_user_info(secured):
    url, _ = secured
    subject = "orders-%s-value" % uuid.uuid4().hex[:8]
    alice = SchemaRegistryClient({"url": url, "basic.auth.user.info": "alice:alice-pw"})
    sid = alice.register_schema(subject, Schema(SCHEMA, "AVRO"))
    assert alice.get_schema(sid).schema_str
    bob = SchemaRegistryClient({"url": url, "basic.auth.user.info": "bob:bob-pw"})
    assert subject in bob.get_subjects()
    with pytest.raises(SchemaRegistryError) as e:
        bob.register_schema(subject, Schema(SCHEMA, "AVRO"))
    assert e.value.http_status_code == 403 and e.value.error_code == 40301
    wrong = SchemaRegistryClient({"url": url, "basic.auth.user.info": "alice:nope"})
    with pytest.raises(SchemaRegistryError) as e:
        wrong.get_subjects()
    assert e.value.http_status_code == 401 and e.value.error_code == 401


def test_static_bearer_token(secured):
    url, token = secured
    subject = "orders-%s-value" % uuid.uuid4().hex[:8]
    writer = _bearer(url, token("svc-orders", ["team-a"]))
    sid = writer.register_schema(subject, Schema(SCHEMA, "AVRO"))
    reader = _bearer(url, token("svc-reader", []))
    assert reader.get_latest_version(subject).schema_id == sid
    with pytest.raises(SchemaRegistryError) as e:
        reader.register_schema(subject, Schema(SCHEMA, "AVRO"))
    assert e.value.error_code == 40301
    forged = _bearer(url, token("svc-orders", ["team-a"])[:-4] + "AAAA")
    with pytest.raises(SchemaRegistryError) as e:
        forged.get_subjects()
    assert e.value.http_status_code == 401
