"""Data-contract rules with Confluent's Python client (the `rules` extra) against Lockstep
(run by run.sh): the rules live in the registry, the client executes them.

- a CEL CONDITION rule stored with the schema rejects a bad record on serialize;
- JSONata UPGRADE/DOWNGRADE migration rules read version-1 records as version 2 (and back)
  across a major-version bump kept apart by the subject's `compatibilityGroup`.
"""

import json
import os
import uuid

import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.common.serde import RuleConditionError
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.schema_registry.rules.cel.cel_executor import CelExecutor
from confluent_kafka.schema_registry.rules.jsonata.jsonata_executor import JsonataExecutor
from confluent_kafka.schema_registry.schema_registry_client import (
    Metadata,
    MetadataProperties,
    Rule,
    RuleKind,
    RuleMode,
    RuleSet,
    ServerConfig,
)
from confluent_kafka.serialization import MessageField, SerializationContext, SerializationError

URL = os.environ.get("LOCKSTEP_URL", "http://127.0.0.1:8081")

CelExecutor.register()
JsonataExecutor.register()


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


ORDER = {
    "type": "record",
    "name": "Order",
    "fields": [{"name": "qty", "type": "int"}, {"name": "sku", "type": "string"}],
}


def test_cel_condition_from_the_registry_rejects_a_bad_record_on_serialize():
    client = SchemaRegistryClient({"url": URL})
    topic = unique("orders")
    subject = f"{topic}-value"
    rule = Rule(
        "qtyPositive", None, RuleKind.CONDITION, RuleMode.WRITE, "CEL", None, None,
        "message.qty > 0", None, None, False,
    )
    client.register_schema(subject, Schema(json.dumps(ORDER), "AVRO", [], None, RuleSet(None, [rule])))
    # The rule comes back from the registry as it was stored.
    latest = client.get_latest_version(subject)
    stored = latest.schema.rule_set.domain_rules[0]
    assert (stored.name, stored.kind, stored.mode, stored.expr) == (
        "qtyPositive", RuleKind.CONDITION, RuleMode.WRITE, "message.qty > 0")

    ctx = SerializationContext(topic, MessageField.VALUE)
    # A fresh client: the serializer learns the rule only from Lockstep.
    ser = AvroSerializer(SchemaRegistryClient({"url": URL}), schema_str=None,
                         conf={"auto.register.schemas": False, "use.latest.version": True})
    good = ser({"qty": 3, "sku": "lamp"}, ctx)
    de = AvroDeserializer(SchemaRegistryClient({"url": URL}))
    assert de(good, ctx) == {"qty": 3, "sku": "lamp"}
    with pytest.raises(SerializationError) as e:
        ser({"qty": 0, "sku": "lamp"}, ctx)
    assert isinstance(e.value.__cause__, RuleConditionError), repr(e.value.__cause__)
    assert "message.qty > 0" in str(e.value.__cause__)


def test_an_invalid_rule_set_is_refused_with_42210():
    client = SchemaRegistryClient({"url": URL})
    bad = Rule("has space", None, RuleKind.CONDITION, RuleMode.WRITE, "CEL", None, None,
               "true", None, None, False)
    with pytest.raises(SchemaRegistryError) as e:
        client.register_schema(unique("bad-rules"), Schema(json.dumps(ORDER), "AVRO", [], None,
                                                           RuleSet(None, [bad])))
    assert (e.value.http_status_code, e.value.error_code) == (422, 42210)
    assert "Illegal character in rule name: has space" in e.value.error_message


WIDGET_V1 = {
    "type": "record",
    "name": "Widget",
    "fields": [
        {"name": "name", "type": "string"},
        {"name": "size", "type": "int"},
        {"name": "version", "type": "int"},
    ],
}
WIDGET_V2 = {
    "type": "record",
    "name": "Widget",
    "fields": [
        {"name": "name", "type": "string"},
        {"name": "height", "type": "int"},
        {"name": "version", "type": "int"},
    ],
}
UP = "$merge([$sift($, function($v, $k) {$k != 'size'}), {'height': $.'size'}])"
DOWN = "$merge([$sift($, function($v, $k) {$k != 'height'}), {'size': $.'height'}])"


def major(n):
    return Metadata(None, MetadataProperties({"application.major.version": str(n)}), None)


def test_jsonata_migrations_read_v1_records_as_v2_across_a_major_bump():
    client = SchemaRegistryClient({"url": URL})
    topic = unique("widgets")
    subject = f"{topic}-value"
    client.set_config(subject, ServerConfig(compatibility_group="application.major.version"))
    client.register_schema(subject, Schema(json.dumps(WIDGET_V1), "AVRO", [], major(1), None))
    rules = RuleSet([
        Rule("upgrade", None, RuleKind.TRANSFORM, RuleMode.UPGRADE, "JSONATA", None, None, UP, None, None, False),
        Rule("downgrade", None, RuleKind.TRANSFORM, RuleMode.DOWNGRADE, "JSONATA", None, None, DOWN, None, None,
             False),
    ], None)
    # `size` renamed to `height` breaks BACKWARD; the compatibility group keeps major 1 out of the check.
    client.register_schema(subject, Schema(json.dumps(WIDGET_V2), "AVRO", [], major(2), rules))
    with pytest.raises(SchemaRegistryError) as e:
        client.register_schema(subject, Schema(json.dumps(WIDGET_V1), "AVRO", [], major(2), None))
    assert e.value.http_status_code == 409

    ctx = SerializationContext(topic, MessageField.VALUE)

    def ser(n):
        return AvroSerializer(SchemaRegistryClient({"url": URL}), schema_str=None, conf={
            "auto.register.schemas": False, "use.latest.with.metadata": {"application.major.version": str(n)}})

    def de(n):
        return AvroDeserializer(SchemaRegistryClient({"url": URL}), conf={
            "use.latest.with.metadata": {"application.major.version": str(n)}})

    old_record = ser(1)({"name": "w", "size": 3, "version": 1}, ctx)
    new_record = ser(2)({"name": "w", "height": 4, "version": 2}, ctx)
    # UPGRADE: a version-2 reader sees version-1 records in its own shape.
    assert de(2)(old_record, ctx) == {"name": "w", "height": 3, "version": 1}
    # DOWNGRADE: a version-1 reader sees version-2 records in its shape.
    assert de(1)(new_record, ctx) == {"name": "w", "size": 4, "version": 2}
    # Without migrations each reader gets the writer's shape.
    assert AvroDeserializer(SchemaRegistryClient({"url": URL}))(old_record, ctx) == {
        "name": "w", "size": 3, "version": 1}
