"""Protobuf schemas through Confluent's Python client (REST calls; run by run.sh).

The client's ProtobufSerializer registers base64-encoded FileDescriptorProtos, which Lockstep
does not parse yet; these tests use .proto text, as the Java and Go clients send it.
"""

import os
import uuid

import pytest
from confluent_kafka.schema_registry import Schema, SchemaReference, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError

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
