"""Cross-language records for Confluent's Python client (run by run-all.sh).

`xlang_python.py write` writes python-<format>.json records into LOCKSTEP_XLANG_DIR (the
layout is described in go/xlang_test.go); `xlang_python.py read go,js` reads the records
those languages wrote, with fresh clients, and compares them with the values they write.
"""

import base64
import json
import os
import sys
import traceback
import uuid

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.schema_registry import header_schema_id_serializer
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory, timestamp_pb2

URL = os.environ["LOCKSTEP_URL"]
DIR = os.environ["LOCKSTEP_XLANG_DIR"]

# The same schemas and values as the Go and JavaScript writers.
AVRO_SCHEMA = json.dumps({
    "type": "record", "name": "Payment", "namespace": "lockstep.xlang", "fields": [
        {"name": "id", "type": "string"}, {"name": "amount", "type": "double"},
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "note", "type": ["null", "string"], "default": None},
    ],
})
JSON_SCHEMA = json.dumps({
    "$schema": "http://json-schema.org/draft-07/schema#", "title": "Shipment", "type": "object",
    "properties": {"id": {"type": "string"}, "weight": {"type": "number", "minimum": 0},
                   "labels": {"type": "array", "items": {"type": "string"}}},
    "required": ["id", "weight"],
})


def avro_value(lang):
    return {"id": f"p-{lang}", "amount": 12.5, "tags": ["a", lang], "note": f"from {lang}"}


def json_value(lang):
    return {"id": f"s-{lang}", "weight": 2.5, "labels": ["x", lang]}


def order_json(lang):
    return {"id": f"o-{lang}", "total": {"units": "1250", "currency": "EUR"},
            "lines": [{"sku": "pen", "quantity": 3}, {"sku": "ink", "quantity": 1}],
            "created": "2026-11-30T08:00:00Z"}


def order_class():
    """shop.Order as generated code would define it (same files as the Go and JS suites)."""
    T = descriptor_pb2.FieldDescriptorProto
    opt, rep = T.LABEL_OPTIONAL, T.LABEL_REPEATED
    common = descriptor_pb2.FileDescriptorProto(name="shop/common.proto", package="shop", syntax="proto3")
    money = common.message_type.add(name="Money")
    money.field.add(name="units", number=1, type=T.TYPE_INT64, label=opt)
    money.field.add(name="currency", number=2, type=T.TYPE_STRING, label=opt)
    order_file = descriptor_pb2.FileDescriptorProto(
        name="shop/order.proto", package="shop", syntax="proto3",
        dependency=["shop/common.proto", "google/protobuf/timestamp.proto"])
    order = order_file.message_type.add(name="Order")
    order.field.add(name="id", number=1, type=T.TYPE_STRING, label=opt)
    order.field.add(name="total", number=2, type=T.TYPE_MESSAGE, label=opt, type_name=".shop.Money")
    order.field.add(name="lines", number=3, type=T.TYPE_MESSAGE, label=rep, type_name=".shop.Order.Line")
    order.field.add(name="created", number=4, type=T.TYPE_MESSAGE, label=opt, type_name=".google.protobuf.Timestamp")
    line = order.nested_type.add(name="Line")
    line.field.add(name="sku", number=1, type=T.TYPE_STRING, label=opt)
    line.field.add(name="quantity", number=2, type=T.TYPE_INT32, label=opt)
    refund = order_file.message_type.add(name="Refund")
    refund.field.add(name="order_id", number=1, type=T.TYPE_STRING, label=opt, json_name="orderId")
    refund.field.add(name="amount", number=2, type=T.TYPE_MESSAGE, label=opt, type_name=".shop.Money")
    pool = descriptor_pool.DescriptorPool()
    ts = descriptor_pb2.FileDescriptorProto()
    timestamp_pb2.DESCRIPTOR.CopyToProto(ts)
    for f in (ts, common, order_file):
        pool.Add(f)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("shop.Order"))


def ctx(topic, headers=None):
    return SerializationContext(topic, MessageField.VALUE, headers)


def write():
    client = SchemaRegistryClient({"url": URL})
    run = f"xlang-python-{uuid.uuid4().hex[:8]}"
    latest = {"auto.register.schemas": False, "use.latest.version": True}
    records = {}

    topic = f"{run}-avro"
    client.register_schema(f"{topic}-value", Schema(AVRO_SCHEMA, "AVRO"))
    records["python-avro"] = (topic, AvroSerializer(client, AVRO_SCHEMA, conf=latest)(avro_value("python"), ctx(topic)), None)

    topic = f"{run}-avro-guid"
    client.register_schema(f"{topic}-value", Schema(AVRO_SCHEMA, "AVRO"))
    headers = []
    ser = AvroSerializer(client, AVRO_SCHEMA, conf={**latest, "schema.id.serializer": header_schema_id_serializer})
    payload = ser(avro_value("python"), ctx(topic, headers))
    records["python-avro-guid"] = (topic, payload, headers)

    topic = f"{run}-proto"
    Order = order_class()
    msg = json_format.ParseDict(order_json("python"), Order())
    ser = ProtobufSerializer(Order, client, {"use.deprecated.format": False})
    records["python-protobuf"] = (topic, ser(msg, ctx(topic)), None)

    topic = f"{run}-json"
    client.register_schema(f"{topic}-value", Schema(JSON_SCHEMA, "JSON"))
    records["python-json"] = (topic, JSONSerializer(JSON_SCHEMA, client, conf=latest)(json_value("python"), ctx(topic)), None)

    for name, (topic, payload, headers) in records.items():
        rec = {"topic": topic, "payload": base64.b64encode(payload).decode()}
        if headers:
            rec["headers"] = [{"key": k, "value": base64.b64encode(v).decode()} for k, v in headers]
        with open(os.path.join(DIR, f"{name}.json"), "w") as f:
            json.dump(rec, f)
        print(f"ok   write {name}")
    return len(records), 0


def read_record(name):
    with open(os.path.join(DIR, f"{name}.json")) as f:
        rec = json.load(f)
    headers = [(h["key"], base64.b64decode(h["value"])) for h in rec.get("headers", [])]
    return rec["topic"], base64.b64decode(rec["payload"]), headers or None


def read(langs):
    passed = failed = 0
    Order = order_class()
    for lang in langs:
        checks = []
        for name in (f"{lang}-avro", f"{lang}-avro-guid"):
            checks.append((name, lambda c, n=name: AvroDeserializer(c), avro_value(lang)))
        checks.append((f"{lang}-json", lambda c: JSONDeserializer(None, schema_registry_client=c), json_value(lang)))
        checks.append((f"{lang}-protobuf", lambda c: ProtobufDeserializer(Order, {"use.deprecated.format": False}, c), order_json(lang)))
        for name, make, want in checks:
            try:
                topic, payload, headers = read_record(name)
                got = make(SchemaRegistryClient({"url": URL}))(payload, ctx(topic, headers))
                if name.endswith("protobuf"):
                    got = json_format.MessageToDict(got)
                assert got == want, f"got {got!r}, want {want!r}"
                print(f"ok   read {name}")
                passed += 1
            except Exception:  # report every record, then fail
                print(f"FAIL read {name}")
                traceback.print_exc()
                failed += 1
    return passed, failed


if __name__ == "__main__":
    if sys.argv[1] == "write":
        passed, failed = write()
    else:
        passed, failed = read(sys.argv[2].split(","))
    print(f"xlang: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
