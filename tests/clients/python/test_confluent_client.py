"""Confluent's official Python client (confluent-kafka) against Lockstep.

Run by run.sh, which starts `lockstep registry` and sets LOCKSTEP_URL.
Every test uses its own subjects (uuid suffix) so tests are independent.
"""

import json
import os
import struct
import uuid

import pytest
from confluent_kafka.schema_registry import (
    Schema,
    SchemaReference,
    SchemaRegistryClient,
)
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import MessageField, SerializationContext

URL = os.environ.get("LOCKSTEP_URL", "http://127.0.0.1:8081")

USER_V1 = json.dumps(
    {
        "type": "record",
        "name": "User",
        "namespace": "com.example",
        "fields": [
            {"name": "id", "type": "long"},
            {"name": "name", "type": "string"},
        ],
    }
)
# Adds an optional field: BACKWARD compatible.
USER_V2 = json.dumps(
    {
        "type": "record",
        "name": "User",
        "namespace": "com.example",
        "fields": [
            {"name": "id", "type": "long"},
            {"name": "name", "type": "string"},
            {"name": "email", "type": ["null", "string"], "default": None},
        ],
    }
)
# Adds a required field: not BACKWARD compatible.
USER_BAD = json.dumps(
    {
        "type": "record",
        "name": "User",
        "namespace": "com.example",
        "fields": [
            {"name": "id", "type": "long"},
            {"name": "name", "type": "string"},
            {"name": "age", "type": "int"},
        ],
    }
)


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def client():
    # A fresh client per test: the client caches ids and schemas.
    return SchemaRegistryClient({"url": URL})


def test_register_is_idempotent_and_lookup_finds_it(client):
    subject = unique("users-value")
    schema_id = client.register_schema(subject, Schema(USER_V1, "AVRO"))
    assert schema_id >= 1
    # Same schema, formatted differently, from a fresh client: same id, no new version.
    again = SchemaRegistryClient({"url": URL}).register_schema(
        subject, Schema(json.dumps(json.loads(USER_V1), indent=2), "AVRO")
    )
    assert again == schema_id
    found = client.lookup_schema(subject, Schema(USER_V1, "AVRO"))
    assert found.schema_id == schema_id
    assert found.version == 1
    assert found.subject == subject
    # The registry stores and returns the canonical form: no whitespace (the client returns its
    # own copy on lookup, so read it back with a fresh client).
    stored = SchemaRegistryClient({"url": URL}).get_version(subject, 1).schema.schema_str
    assert " " not in stored
    assert json.loads(stored) == json.loads(USER_V1)


def test_register_full_response_has_id_and_version(client):
    subject = unique("full-value")
    registered = client.register_schema_full_response(subject, Schema(USER_V1, "AVRO"))
    assert registered.schema_id >= 1
    assert registered.version == 1


def test_get_schema_by_id_versions_and_subjects(client):
    subject = unique("orders-value")
    id1 = client.register_schema(subject, Schema(USER_V1, "AVRO"))
    id2 = client.register_schema(subject, Schema(USER_V2, "AVRO"))
    assert id2 != id1
    fetched = client.get_schema(id2)
    assert fetched.schema_type == "AVRO"
    assert json.loads(fetched.schema_str) == json.loads(USER_V2)
    latest = client.get_latest_version(subject)
    assert (latest.version, latest.schema_id) == (2, id2)
    v1 = client.get_version(subject, 1)
    assert v1.schema_id == id1
    assert client.get_versions(subject) == [1, 2]
    assert subject in client.get_subjects()


def test_compatibility_checks_and_incompatible_registration(client):
    subject = unique("compat-value")
    client.register_schema(subject, Schema(USER_V1, "AVRO"))
    assert client.test_compatibility(subject, Schema(USER_V2, "AVRO")) is True
    assert client.test_compatibility(subject, Schema(USER_BAD, "AVRO")) is False
    assert client.test_compatibility_all_versions(subject, Schema(USER_BAD, "AVRO")) is False
    with pytest.raises(SchemaRegistryError) as e:
        client.register_schema(subject, Schema(USER_BAD, "AVRO"))
    assert e.value.http_status_code == 409
    assert e.value.error_code in (409, 40901)
    assert "incompatible" in e.value.error_message
    # NONE lets it through.
    client.set_compatibility(subject, "NONE")
    assert client.get_compatibility(subject) == "NONE"
    client.register_schema(subject, Schema(USER_BAD, "AVRO"))
    assert client.get_versions(subject) == [1, 2]


def test_global_compatibility_round_trip(client):
    before = client.get_compatibility()
    try:
        client.set_compatibility(level="FULL")
        assert client.get_compatibility() == "FULL"
    finally:
        client.set_compatibility(level=before)


def test_errors_carry_confluent_codes(client):
    with pytest.raises(SchemaRegistryError) as e:
        client.get_latest_version(unique("missing"))
    assert (e.value.http_status_code, e.value.error_code) == (404, 40401)

    with pytest.raises(SchemaRegistryError) as e:
        client.get_schema(2_000_000_000)
    assert (e.value.http_status_code, e.value.error_code) == (404, 40403)

    subject = unique("errs-value")
    client.register_schema(subject, Schema(USER_V1, "AVRO"))
    with pytest.raises(SchemaRegistryError) as e:
        client.lookup_schema(subject, Schema(USER_V2, "AVRO"))
    assert e.value.error_code == 40403

    with pytest.raises(SchemaRegistryError) as e:
        client.register_schema(unique("bad-value"), Schema('{"type":"record","name":"X"}', "AVRO"))
    assert (e.value.http_status_code, e.value.error_code) == (422, 42201)


def test_soft_and_permanent_deletes(client):
    subject = unique("del-value")
    # A schema no other test registers, so its id belongs to this subject alone.
    own = json.loads(USER_V1)
    own["name"] = "Deleted" + uuid.uuid4().hex[:8]
    own_v2 = dict(own, fields=own["fields"] + [{"name": "x", "type": ["null", "int"], "default": None}])
    id1 = client.register_schema(subject, Schema(json.dumps(own), "AVRO"))
    client.register_schema(subject, Schema(json.dumps(own_v2), "AVRO"))
    assert client.delete_version(subject, 2) == 2
    assert client.get_versions(subject) == [1]
    assert client.delete_version(subject, 2, permanent=True) == 2
    assert client.delete_subject(subject) == [1]
    assert subject not in client.get_subjects()
    # The id of a soft-deleted version still resolves (consumers keep reading old data).
    assert json.loads(SchemaRegistryClient({"url": URL}).get_schema(id1).schema_str) == own
    assert client.delete_subject(subject, permanent=True) == [1]
    with pytest.raises(SchemaRegistryError) as e:
        SchemaRegistryClient({"url": URL}).get_schema(id1)
    assert e.value.error_code == 40403
    # Deleting again: the subject is gone.
    with pytest.raises(SchemaRegistryError) as e:
        client.delete_subject(subject)
    assert e.value.error_code == 40401


def test_references_between_subjects(client):
    address_subject = unique("address")
    address = json.dumps(
        {
            "type": "record",
            "name": "Address",
            "namespace": "com.example",
            "fields": [{"name": "city", "type": "string"}],
        }
    )
    client.register_schema(address_subject, Schema(address, "AVRO"))
    customer = json.dumps(
        {
            "type": "record",
            "name": "Customer",
            "namespace": "com.example",
            "fields": [{"name": "home", "type": "com.example.Address"}],
        }
    )
    refs = [SchemaReference("com.example.Address", address_subject, 1)]
    subject = unique("customer-value")
    schema_id = client.register_schema(subject, Schema(customer, "AVRO", refs))
    got = client.get_latest_version(subject)
    assert got.schema_id == schema_id
    assert [(r.name, r.subject, r.version) for r in got.schema.references] == [
        ("com.example.Address", address_subject, 1)
    ]
    # The referenced version cannot be deleted while in use.
    with pytest.raises(SchemaRegistryError) as e:
        client.delete_version(address_subject, 1)
    assert e.value.error_code == 42206


def test_subjects_with_slashes_and_contexts(client):
    slashed = unique("google/type/money.proto")
    sid = client.register_schema(slashed, Schema(USER_V1, "AVRO"))
    assert client.get_latest_version(slashed).schema_id == sid
    qualified = ":.{}:orders-value".format(unique("ctx"))
    qid = client.register_schema(qualified, Schema(USER_V1, "AVRO"))
    # A new context has its own id space, starting at 1.
    assert qid == 1
    assert qualified in client.get_subjects()


def _avro_record_bytes(value_bytes):
    assert value_bytes[0] == 0, "Confluent wire format starts with magic byte 0"
    return struct.unpack(">I", value_bytes[1:5])[0]


def test_avro_serializer_round_trip_with_auto_registration(client):
    topic = unique("people")
    ctx = SerializationContext(topic, MessageField.VALUE)
    serializer = AvroSerializer(client, USER_V1, conf={"auto.register.schemas": True})
    payload = serializer({"id": 7, "name": "Ada"}, ctx)
    schema_id = _avro_record_bytes(payload)
    assert client.get_latest_version(f"{topic}-value").schema_id == schema_id

    deserializer = AvroDeserializer(SchemaRegistryClient({"url": URL}))
    assert deserializer(payload, ctx) == {"id": 7, "name": "Ada"}

    # The evolved schema auto-registers as version 2; old bytes still read.
    serializer2 = AvroSerializer(client, USER_V2, conf={"auto.register.schemas": True})
    payload2 = serializer2({"id": 8, "name": "Bob", "email": "bob@example.com"}, ctx)
    id2 = _avro_record_bytes(payload2)
    assert id2 != schema_id
    assert client.get_versions(f"{topic}-value") == [1, 2]
    reader = AvroDeserializer(SchemaRegistryClient({"url": URL}), USER_V2)
    assert reader(payload, ctx) == {"id": 7, "name": "Ada", "email": None}
    assert reader(payload2, ctx) == {"id": 8, "name": "Bob", "email": "bob@example.com"}


def test_incompatible_auto_registration_is_refused(client):
    topic = unique("strict")
    ctx = SerializationContext(topic, MessageField.VALUE)
    AvroSerializer(client, USER_V1, conf={"auto.register.schemas": True})({"id": 1, "name": "a"}, ctx)
    bad = AvroSerializer(SchemaRegistryClient({"url": URL}), USER_BAD, conf={"auto.register.schemas": True})
    with pytest.raises(Exception) as e:
        bad({"id": 1, "name": "a", "age": 3}, ctx)
    assert "409" in str(e.value) or "incompatible" in str(e.value)
