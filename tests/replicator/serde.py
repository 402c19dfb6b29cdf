"""Produce and consume Avro records with Confluent's Python client (confluent-kafka), for the
replication tests: records written on the source with the source registry must read back on the
destination with the destination registry.

  serde.py produce --bootstrap B --registry R --topic T --count N --partitions P
  serde.py consume --bootstrap B --registry R --topic T --count N [--group G]

`produce` evolves the value schema half-way (v1 → v2, a new optional field), keys are Avro
strings, every record carries two headers and an explicit timestamp. `consume` prints one JSON
line per record, in partition order, and exits non-zero on any deserialization failure.
"""
import argparse
import json
import sys
import time

from confluent_kafka import Consumer, Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

V1 = json.dumps({"type": "record", "name": "Order", "namespace": "test.replication",
                 "fields": [{"name": "id", "type": "long"}, {"name": "amount", "type": "double"}]})
V2 = json.dumps({"type": "record", "name": "Order", "namespace": "test.replication",
                 "fields": [{"name": "id", "type": "long"}, {"name": "amount", "type": "double"},
                            {"name": "note", "type": ["null", "string"], "default": None}]})
BASE_TS = 1_700_000_000_000


def produce(a):
    reg = SchemaRegistryClient({"url": a.registry})
    key_ser = AvroSerializer(reg, '"string"')
    v1 = AvroSerializer(reg, V1)
    v2 = AvroSerializer(reg, V2)
    p = Producer({"bootstrap.servers": a.bootstrap, "enable.idempotence": True})
    for i in range(a.count):
        ser = v1 if i < a.count // 2 else v2
        value = {"id": i, "amount": i * 1.5}
        if ser is v2:
            value["note"] = f"n{i}"
        ctx_v = SerializationContext(a.topic, MessageField.VALUE)
        ctx_k = SerializationContext(a.topic, MessageField.KEY)
        p.produce(a.topic, key=key_ser(f"k{i % 7}", ctx_k), value=ser(value, ctx_v),
                  partition=i % a.partitions, timestamp=BASE_TS + i,
                  headers=[("trace", str(i).encode()), ("bin", b"\x00\x01\xff")])
        p.poll(0)
    if p.flush(60) != 0:
        sys.exit("records left undelivered")


def consume(a):
    reg = SchemaRegistryClient({"url": a.registry})
    key_de = AvroDeserializer(reg)
    val_de = AvroDeserializer(reg)
    c = Consumer({"bootstrap.servers": a.bootstrap, "group.id": a.group, "auto.offset.reset": "earliest",
                  "enable.auto.commit": False, "isolation.level": "read_committed"})
    c.subscribe([a.topic])
    out, failures = [], 0
    deadline = time.time() + a.timeout
    while len(out) < a.count and time.time() < deadline:
        m = c.poll(0.5)
        if m is None or m.error():
            continue
        try:
            key = key_de(m.key(), SerializationContext(m.topic(), MessageField.KEY))
            value = val_de(m.value(), SerializationContext(m.topic(), MessageField.VALUE))
        except Exception as e:  # noqa: BLE001 - every failure is counted and reported
            failures += 1
            print(f"deserialization failed at {m.partition()}/{m.offset()}: {e}", file=sys.stderr)
            continue
        headers = [[k, v.hex() if v is not None else None] for k, v in (m.headers() or [])
                   if not k.startswith("lockstep.")]
        out.append({"partition": m.partition(), "offset": m.offset(), "key": key, "value": value,
                    "headers": headers, "timestamp": m.timestamp()[1],
                    "wire_id": int.from_bytes(m.value()[1:5], "big")})
    c.close()
    out.sort(key=lambda r: (r["partition"], r["offset"]))
    for r in out:
        print(json.dumps(r, sort_keys=True))
    if failures:
        sys.exit(f"{failures} deserialization failures")
    if len(out) < a.count:
        sys.exit(f"only {len(out)} of {a.count} records within {a.timeout} s")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("command", choices=["produce", "consume"])
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--registry", required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--partitions", type=int, default=1)
    ap.add_argument("--group", default="serde-check")
    ap.add_argument("--timeout", type=float, default=60)
    a = ap.parse_args()
    produce(a) if a.command == "produce" else consume(a)


if __name__ == "__main__":
    main()
