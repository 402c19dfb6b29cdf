"""Protobuf through Confluent's Python client (run by run.sh): .proto text as the Java and Go
clients send it, and the ProtobufSerializer, which registers base64 FileDescriptorProtos.
"""

import os
import uuid

import pytest
from confluent_kafka.schema_registry import Schema, SchemaReference, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

URL = os.environ.get("LOCKSTEP_URL", "http://127.0.0.1:8081")

ORDER_V1 = """
syntax = "proto3";
package shop;
import "google/protobuf/timestamp.proto";

message Order {
  int64 id = 1;
  string customer = 2;
  google.protobuf.Timestamp created = 3;
}
"""


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def test_register_lookup_and_compatibility_of_proto_text():
    client = SchemaRegistryClient({"url": URL})
    subject = unique("orders-proto")
    schema_id = client.register_schema(subject, Schema(ORDER_V1, "PROTOBUF"))
    latest = SchemaRegistryClient({"url": URL}).get_latest_version(subject)
    assert latest.schema_id == schema_id
    assert latest.schema.schema_type == "PROTOBUF"
    assert "message Order" in latest.schema.schema_str
    # Same schema, different formatting and comments: same id.
    reformatted = ORDER_V1.replace("  int64 id = 1;", "  // the key\n  int64   id=1;")
    assert client.register_schema(subject, Schema(reformatted, "PROTOBUF")) == schema_id
    # Adding a field is compatible; changing a field's type is not.
    added = ORDER_V1.replace("}", "  string note = 4;\n}")
    assert client.test_compatibility(subject, Schema(added, "PROTOBUF")) is True
    changed = ORDER_V1.replace("string customer = 2;", "int32 customer = 2;")
    assert client.test_compatibility(subject, Schema(changed, "PROTOBUF")) is False
    with pytest.raises(SchemaRegistryError) as e:
        client.register_schema(unique("bad-proto"), Schema("message {", "PROTOBUF"))
    assert e.value.error_code == 42201


def test_imports_resolve_through_references():
    client = SchemaRegistryClient({"url": URL})
    common = unique("shop/common.proto")
    client.register_schema(common, Schema('syntax = "proto3";\npackage shop;\nmessage Money { int64 units = 1; string currency = 2; }\n', "PROTOBUF"))
    order = 'syntax = "proto3";\npackage shop;\nimport "shop/common.proto";\nmessage Priced { Money price = 1; }\n'
    refs = [SchemaReference("shop/common.proto", common, 1)]
    subject = unique("priced")
    schema_id = client.register_schema(subject, Schema(order, "PROTOBUF", refs))
    got = client.get_latest_version(subject)
    assert got.schema_id == schema_id
    assert [(r.name, r.subject, r.version) for r in got.schema.references] == [("shop/common.proto", common, 1)]
    with pytest.raises(SchemaRegistryError) as e:
        client.register_schema(unique("priced-noref"), Schema(order, "PROTOBUF"))
    assert e.value.error_code == 42201


def _order_class(package):
    """A generated-style message class, built from a descriptor at run time."""
    fdp = descriptor_pb2.FileDescriptorProto(name=f"{package}/order.proto", package=package, syntax="proto3")
    msg = fdp.message_type.add(name="Order")
    T = descriptor_pb2.FieldDescriptorProto
    msg.field.add(name="id", number=1, type=T.TYPE_INT64, label=T.LABEL_OPTIONAL)
    msg.field.add(name="customer", number=2, type=T.TYPE_STRING, label=T.LABEL_OPTIONAL)
    msg.field.add(name="tags", number=3, type=T.TYPE_STRING, label=T.LABEL_REPEATED)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{package}.Order"))


def test_protobuf_serializer_round_trip_with_auto_registration():
    client = SchemaRegistryClient({"url": URL})
    order_cls = _order_class("shop" + uuid.uuid4().hex[:8])
    topic = unique("orders")
    ctx = SerializationContext(topic, MessageField.VALUE)
    ser = ProtobufSerializer(order_cls, client, conf={"use.deprecated.format": False, "auto.register.schemas": True})
    payload = ser(order_cls(id=7, customer="ada", tags=["a", "b"]), ctx)
    assert payload[0] == 0
    latest = SchemaRegistryClient({"url": URL}).get_latest_version(f"{topic}-value")
    assert latest.schema.schema_type == "PROTOBUF"
    # The descriptor was stored as .proto text.
    assert "message Order" in latest.schema.schema_str
    assert int.from_bytes(payload[1:5], "big") == latest.schema_id
    de = ProtobufDeserializer(order_cls, conf={"use.deprecated.format": False})
    got = de(payload, ctx)
    assert (got.id, got.customer, list(got.tags)) == (7, "ada", ["a", "b"])
