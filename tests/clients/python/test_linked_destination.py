"""Confluent's Python client against a *linked* destination.

A record is serialized with the source registry (run.sh's LOCKSTEP_URL); `lockstep link --once`
copies the subject to a fresh destination registry started here; a deserializer configured with
only the destination URL must decode the record, whose 4-byte id was assigned by the source.

Runs `lockstep link` from the binary under test (LOCKSTEP_LINK_CMD overrides the command).
"""

import os
import shlex
import struct
import subprocess
import uuid

import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import MessageField, SerializationContext

SOURCE = os.environ.get("LOCKSTEP_URL", "http://127.0.0.1:8081")
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
BIN = os.environ.get("LOCKSTEP_BIN", os.path.join(REPO, "target", "debug", "lockstep"))
LINK = shlex.split(os.environ.get("LOCKSTEP_LINK_CMD", f"{shlex.quote(BIN)} link"))

USER = """{"type":"record","name":"User","namespace":"com.example.linked",
 "fields":[{"name":"id","type":"long"},{"name":"name","type":"string"}]}"""





def _link(destination, *extra):
    r = subprocess.run(
        LINK + ["--once", "--no-progress", "--source", SOURCE, "--destination", destination, *extra],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr


def _serialize(topic, value):
    src = SchemaRegistryClient({"url": SOURCE})
    # Take an id on the source first, so the linked id cannot be a fresh registry's 1 by chance.
    src.register_schema(f"{topic}-burn", Schema('{"type":"fixed","name":"F%s","size":4}' % uuid.uuid4().hex[:8], "AVRO"))
    ser = AvroSerializer(src, USER, conf={"auto.register.schemas": True})
    payload = ser(value, SerializationContext(topic, MessageField.VALUE))
    (schema_id,) = struct.unpack(">I", payload[1:5])
    return payload, schema_id, src


def test_destination_deserializes_records_written_with_source_ids(destination):
    topic = f"linked-{uuid.uuid4().hex[:10]}"
    value = {"id": 42, "name": "ada"}
    payload, schema_id, src = _serialize(topic, value)
    assert schema_id > 1
    _link(destination, "--context-type", "NONE", "--subjects", f"{topic}-value")

    dst = SchemaRegistryClient({"url": destination})
    deser = AvroDeserializer(dst)
    assert deser(payload, SerializationContext(topic, MessageField.VALUE)) == value
    assert dst.get_schema(schema_id).schema_str == src.get_schema(schema_id).schema_str
    latest = dst.get_latest_version(f"{topic}-value")
    assert (latest.schema_id, latest.version) == (schema_id, 1)
    # The destination is held in IMPORT mode: applications cannot register there.
    with pytest.raises(SchemaRegistryError) as e:
        dst.register_schema(f"{topic}-value", Schema('{"type":"string"}', "AVRO"))
    assert e.value.error_code == 42205


def test_destination_context_url_deserializes_records_from_the_source(destination):
    topic = f"linkedctx-{uuid.uuid4().hex[:10]}"
    value = {"id": 7, "name": "grace"}
    payload, schema_id, _ = _serialize(topic, value)
    _link(destination, "--context", ".dr", "--subjects", f"{topic}-value")
    # A client pointed at the linked context resolves the source's ids.
    dst = SchemaRegistryClient({"url": destination + "/contexts/.dr"})
    assert AvroDeserializer(dst)(payload, SerializationContext(topic, MessageField.VALUE)) == value
