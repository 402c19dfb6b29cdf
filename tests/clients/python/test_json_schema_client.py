"""Confluent's Python JSON Schema serializer against Lockstep (run by run.sh)."""

import json
import os
import struct
import uuid

import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

URL = os.environ.get("LOCKSTEP_URL", "http://127.0.0.1:8081")

PRODUCT = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Product",
    "type": "object",
    "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
    "required": ["id"],
}


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def test_json_serializer_round_trip_with_auto_registration():
    client = SchemaRegistryClient({"url": URL})
    topic = unique("products")
    ctx = SerializationContext(topic, MessageField.VALUE)
    ser = JSONSerializer(json.dumps(PRODUCT), client, conf={"auto.register.schemas": True})
    payload = ser({"id": 1, "name": "lamp"}, ctx)
    assert payload[0] == 0
    schema_id = struct.unpack(">I", payload[1:5])[0]
    latest = client.get_latest_version(f"{topic}-value")
    assert latest.schema_id == schema_id
    assert latest.schema.schema_type == "JSON"
    de = JSONDeserializer(None, schema_registry_client=SchemaRegistryClient({"url": URL}))
    assert de(payload, ctx) == {"id": 1, "name": "lamp"}


def test_json_schema_compatibility_through_the_client():
    client = SchemaRegistryClient({"url": URL})
    subject = unique("json-compat")
    client.register_schema(subject, Schema(json.dumps(PRODUCT), "JSON"))
    # Narrowing the type of an existing property breaks old data.
    narrowed = dict(PRODUCT, properties={"id": {"type": "string"}, "name": {"type": "string"}})
    assert client.test_compatibility(subject, Schema(json.dumps(narrowed), "JSON")) is False
    with pytest.raises(SchemaRegistryError) as e:
        client.register_schema(subject, Schema(json.dumps(narrowed), "JSON"))
    assert e.value.http_status_code == 409
    with pytest.raises(SchemaRegistryError) as e:
        client.register_schema(unique("json-bad"), Schema('{"type": 5}', "JSON"))
    assert e.value.error_code == 42201
