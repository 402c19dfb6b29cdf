"""Client-side field-level encryption through Lockstep's DEK Registry, with Confluent's Python
client and its `local-kms` driver.

A PII-tagged field is encrypted by the serializer (an ENCRYPT rule in the subject's rule set, the
DEK created by the client in Lockstep's DEK Registry, wrapped by the local KMS): the raw bytes
do not contain it, and a deserializer decrypts it through Lockstep. Then `lockstep link --once`
copies the subject (and, before its versions, its KEK and DEK) to a second Lockstep registry;
a deserializer that knows only that registry decrypts the same bytes there.

Needs the registry to store rule sets (Confluent Enterprise semantics) and the `rules` extra of
confluent-kafka (tink). Run by run.sh, which sets LOCKSTEP_URL.
"""

import json
import os
import urllib.request
import uuid

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

from pii_encryption import SECRET, SSN, encrypt_rule_set, encrypting_serializer, encryption_rules, link_once, pii_schema

SOURCE = os.environ.get("LOCKSTEP_URL", "http://127.0.0.1:8081")
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
BIN = os.environ.get("LOCKSTEP_BIN", os.path.join(REPO, "target", "debug", "lockstep"))


def _get(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


def test_pii_field_is_encrypted_and_decrypts_here_and_in_a_linked_registry(destination):
    topic = f"patients-{uuid.uuid4().hex[:10]}"
    subject = f"{topic}-value"
    kek = f"kek_{uuid.uuid4().hex[:8]}"
    ctx = SerializationContext(topic, MessageField.VALUE)
    src = SchemaRegistryClient({"url": SOURCE})
    src.register_schema(subject, Schema(pii_schema(), "AVRO", [], None, encrypt_rule_set(kek)))
    # The rule set is stored with the version (else the client would write plaintext).
    assert src.get_latest_version(subject).schema.rule_set is not None

    ser = encrypting_serializer(src)
    value = {"id": 7, "ssn": SSN}
    payload = ser(dict(value), ctx)  # the serializer encrypts the dict it is given in place
    assert SSN.encode() not in payload, "the PII field must not be readable in the raw bytes"

    # The client created the KEK and a KMS-wrapped DEK in Lockstep's DEK Registry.
    k = _get(f"{SOURCE}/dek-registry/v1/keks/{kek}")
    assert (k["kmsType"], k["kmsKeyId"], k["shared"]) == ("local-kms", "mykey", False)
    d = _get(f"{SOURCE}/dek-registry/v1/keks/{kek}/deks/{subject}/versions/latest")
    assert d["encryptedKeyMaterial"] and "keyMaterial" not in d

    here = AvroDeserializer(SchemaRegistryClient({"url": SOURCE}), rule_conf={"secret": SECRET}, rule_registry=encryption_rules())
    assert here(payload, ctx) == value

    # Another region: the link carries the subject and, first, its keys.
    link_once(BIN, SOURCE, destination, subject)
    assert _get(f"{destination}/dek-registry/v1/keks/{kek}/deks/{subject}/versions/latest")["encryptedKeyMaterial"] == d[
        "encryptedKeyMaterial"
    ]
    there = AvroDeserializer(
        SchemaRegistryClient({"url": destination}), rule_conf={"secret": SECRET}, rule_registry=encryption_rules()
    )
    assert there(payload, ctx) == value

