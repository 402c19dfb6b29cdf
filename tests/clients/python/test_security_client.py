"""Confluent's Python client against a secured `lockstep registry` over HTTPS (`ssl.ca.location`):
basic auth (`basic.auth.user.info`), a static bearer token
(`bearer.auth.credentials.source=STATIC_TOKEN`) and a client certificate
(`ssl.certificate.location` + `ssl.key.location`, the principal taken from its CN).

Starts its own registry (the binary run.sh uses) with a CA, server and client certificates made
at test time, a users file, a JWKS file and rules, so it does not depend on the shared unsecured
registry. Skipped when the binary has no security flags.
"""

import datetime
import hashlib
import ipaddress
import json
import os
import socket
import ssl
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
principals = ["orders-svc"]
operations = ["read", "write"]
resources = ["subject:orders-*"]

[[rule]]
principals = ["*"]
operations = ["read"]
resources = ["subject:*"]
"""


def _pki(d):
    """A CA, a server certificate for 127.0.0.1 and client certificates (CN orders-svc, and one
    from another CA), as PEM files in d. Keys exist only for the test run."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)

    def name(cn):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    def write(stem, cert, key):
        with open(os.path.join(d, stem + ".pem"), "wb") as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))
        if key is not None:
            with open(os.path.join(d, stem + ".key"), "wb") as f:
                f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
        return os.path.join(d, stem + ".pem"), os.path.join(d, stem + ".key")

    def ca(cn):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (x509.CertificateBuilder().subject_name(name(cn)).issuer_name(name(cn))
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(minutes=5))
                .not_valid_after(now + datetime.timedelta(days=1))
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .sign(key, hashes.SHA256()))
        return cert, key

    def leaf(issuer, issuer_key, cn, server):
        key = ec.generate_private_key(ec.SECP256R1())
        b = (x509.CertificateBuilder().subject_name(name(cn)).issuer_name(issuer.subject)
             .public_key(key.public_key()).serial_number(x509.random_serial_number())
             .not_valid_before(now - datetime.timedelta(minutes=5))
             .not_valid_after(now + datetime.timedelta(days=1))
             .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True))
        if server:
            b = b.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                critical=False)
            b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        else:
            b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        return b.sign(issuer_key, hashes.SHA256()), key

    ca_cert, ca_key = ca("lockstep-test-ca")
    paths = {"ca": write("ca", ca_cert, None)[0]}
    paths["server"] = write("server", *leaf(ca_cert, ca_key, "127.0.0.1", True))
    paths["client"] = write("client", *leaf(ca_cert, ca_key, "orders-svc", False))
    other, other_key = ca("another-ca")
    paths["stranger"] = write("stranger", *leaf(other, other_key, "orders-svc", False))
    return paths


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
        pki = _pki(d)
        port = _free_port()
        log = open(os.path.join(d, "registry.log"), "w")
        proc = subprocess.Popen(
            [
                BIN, "registry", "--listen", "127.0.0.1:%d" % port, "--data-dir", os.path.join(d, "data"),
                "--auth-basic-users-file", users, "--auth-basic-allow-insecure-passwords",
                "--auth-bearer-jwks-file", jwks, "--auth-bearer-issuer", "https://idp.test",
                "--auth-bearer-audience", "lockstep", "--authz-rules-file", rules,
                "--tls-cert", pki["server"][0], "--tls-key", pki["server"][1],
                "--tls-client-ca", pki["ca"], "--tls-client-auth", "request", "--auth-mtls",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = "https://127.0.0.1:%d" % port
        ctx = ssl.create_default_context(cafile=pki["ca"])
        try:
            for _ in range(200):
                try:
                    urllib.request.urlopen(url + "/", timeout=1, context=ctx)
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

            yield url, token, pki
        finally:
            proc.terminate()
            proc.wait(timeout=10)
            log.close()


def _bearer(url, tok, ca):
    return SchemaRegistryClient({
        "url": url,
        "ssl.ca.location": ca,
        "bearer.auth.credentials.source": "STATIC_TOKEN",
        "bearer.auth.token": tok,
        "bearer.auth.logical.cluster": "lsrc-local",
        "bearer.auth.identity.pool.id": "pool-local",
    })


def test_basic_auth_user_info(secured):
    url, _, pki = secured
    subject = "orders-%s-value" % uuid.uuid4().hex[:8]
    alice = SchemaRegistryClient({"url": url, "ssl.ca.location": pki["ca"], "basic.auth.user.info": "alice:alice-pw"})
    sid = alice.register_schema(subject, Schema(SCHEMA, "AVRO"))
    assert alice.get_schema(sid).schema_str
    bob = SchemaRegistryClient({"url": url, "ssl.ca.location": pki["ca"], "basic.auth.user.info": "bob:bob-pw"})
    assert subject in bob.get_subjects()
    with pytest.raises(SchemaRegistryError) as e:
        bob.register_schema(subject, Schema(SCHEMA, "AVRO"))
    assert e.value.http_status_code == 403 and e.value.error_code == 40301
    wrong = SchemaRegistryClient({"url": url, "ssl.ca.location": pki["ca"], "basic.auth.user.info": "alice:nope"})
    with pytest.raises(SchemaRegistryError) as e:
        wrong.get_subjects()
    assert e.value.http_status_code == 401 and e.value.error_code == 401


def test_static_bearer_token(secured):
    url, token, pki = secured
    subject = "orders-%s-value" % uuid.uuid4().hex[:8]
    writer = _bearer(url, token("svc-orders", ["team-a"]), pki["ca"])
    sid = writer.register_schema(subject, Schema(SCHEMA, "AVRO"))
    reader = _bearer(url, token("svc-reader", []), pki["ca"])
    assert reader.get_latest_version(subject).schema_id == sid
    with pytest.raises(SchemaRegistryError) as e:
        reader.register_schema(subject, Schema(SCHEMA, "AVRO"))
    assert e.value.error_code == 40301
    forged = _bearer(url, token("svc-orders", ["team-a"])[:-4] + "AAAA", pki["ca"])
    with pytest.raises(SchemaRegistryError) as e:
        forged.get_subjects()
    assert e.value.http_status_code == 401


def test_client_certificate(secured):
    url, _, pki = secured
    subject = "orders-%s-value" % uuid.uuid4().hex[:8]
    cert, key = pki["client"]
    svc = SchemaRegistryClient({"url": url, "ssl.ca.location": pki["ca"],
                                "ssl.certificate.location": cert, "ssl.key.location": key})
    # CN=orders-svc may write orders-*, and nothing else.
    sid = svc.register_schema(subject, Schema(SCHEMA, "AVRO"))
    assert svc.get_latest_version(subject).schema_id == sid
    with pytest.raises(SchemaRegistryError) as e:
        svc.register_schema("payments-%s-value" % uuid.uuid4().hex[:8], Schema(SCHEMA, "AVRO"))
    assert e.value.http_status_code == 403 and e.value.error_code == 40301
    # No certificate and no credentials: 401.
    anonymous = SchemaRegistryClient({"url": url, "ssl.ca.location": pki["ca"]})
    with pytest.raises(SchemaRegistryError) as e:
        anonymous.get_subjects()
    assert e.value.http_status_code == 401
    # The same CN from another CA fails the TLS handshake.
    scert, skey = pki["stranger"]
    stranger = SchemaRegistryClient({"url": url, "ssl.ca.location": pki["ca"],
                                     "ssl.certificate.location": scert, "ssl.key.location": skey})
    with pytest.raises(Exception) as e:
        stranger.get_subjects()
    assert not isinstance(e.value, SchemaRegistryError) or e.value.http_status_code == 401
