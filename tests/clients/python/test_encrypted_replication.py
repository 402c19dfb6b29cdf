"""Encrypted records cross regions: field-level encryption (Confluent's Python client, `local-kms`)
on region A's Kafka cluster and Lockstep registry, `lockstep link` and `lockstep replicate`
(schemas.policy = "preserve", exactly-once) to region B's own cluster and registry, and a
consumer in region B that knows only region B's registry decrypts every record.

Two real Kafka 4.3.1 clusters (scripts/kafka) serve the whole module. Region A's registry is
run.sh's (LOCKSTEP_URL); region B's is started here.
"""

import json
import os
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

from conftest import BIN
from pii_encryption import SECRET, SSN, encrypt_rule_set, encrypting_serializer, encryption_rules, link_once, pii_schema

REGISTRY_A = os.environ.get("LOCKSTEP_URL", "http://127.0.0.1:8081")
RECORDS = 12


def _get(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


def _dek_code(registry, kek, subject):
    """The error code of GET latest DEK (None when it exists)."""
    try:
        _get(f"{registry}/dek-registry/v1/keks/{kek}/deks/{subject}/versions/latest")
        return None
    except urllib.error.HTTPError as e:
        return json.loads(e.read()).get("error_code")


def _create_topic(bootstrap, topic, config=None):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for f in admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1, config=config or {})]).values():
        f.result(timeout=30)


def _register(topic, kek):
    subject = f"{topic}-value"
    src = SchemaRegistryClient({"url": REGISTRY_A})
    src.register_schema(subject, Schema(pii_schema(), "AVRO", [], None, encrypt_rule_set(kek)))
    return src


def _produce(bootstrap, src, topic):
    """RECORDS encrypted records to region A's cluster (the client creates the KEK and DEK in
    region A's registry on first use); the plaintext values, by key."""
    ser = encrypting_serializer(src)
    ctx = SerializationContext(topic, MessageField.VALUE)
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    sent = {}
    for i in range(RECORDS):
        value = {"id": i, "ssn": f"{SSN}-{i}"}
        sent[str(i).encode()] = dict(value)
        payload = ser(value, ctx)  # encrypts the dict in place
        assert SSN.encode() not in payload
        producer.produce(topic, key=str(i).encode(), value=payload, partition=i % 2)
    assert producer.flush(30) == 0
    return sent


class Replicator:
    """`lockstep replicate` A→B for one topic, schemas preserved, exactly-once."""

    def __init__(self, kafka_pair, registry_b, topic):
        self.dir = tempfile.TemporaryDirectory()
        a, b = kafka_pair
        config = os.path.join(self.dir.name, "replicate.toml")
        with open(config, "w") as f:
            f.write(
                f'name = "{topic}"\n'
                f'[source]\nalias = "region-a"\nbootstrap = "{a}"\n'
                f'[destination]\nalias = "region-b"\nbootstrap = "{b}"\n'
                f'[registries]\nsource = "{REGISTRY_A}"\ndestination = "{registry_b}"\n'
                f'[topics]\ninclude = ["{topic}"]\nrefresh_interval_ms = 500\n'
                f'[schemas]\npolicy = "preserve"\non_invalid = "stop"\n'
                f'[[schemas.topics]]\npattern = "{topic}"\nkey = false\n'
                f'[delivery]\nmode = "exactly-once"\nworkers = 1\n'
            )
        self.log_path = os.path.join(self.dir.name, "replicate.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([BIN, "replicate", "--config", config], stdout=subprocess.DEVNULL,
                                     stderr=self.log, env=dict(os.environ, LOCKSTEP_LOG="info"))

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        self.dir.cleanup()

    def tail(self):
        with open(self.log_path) as f:
            return "".join(f.readlines()[-30:])


def _consume(bootstrap, topic, replicator, within=60):
    """Every committed record of `topic` on `bootstrap` once RECORDS have arrived."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"reader-{uuid.uuid4().hex}",
                         "enable.auto.commit": False, "isolation.level": "read_committed"})
    admin = AdminClient({"bootstrap.servers": bootstrap})
    deadline = time.monotonic() + within
    try:
        while True:  # the replicator creates the topic on B
            md = admin.list_topics(topic, timeout=10).topics.get(topic)
            if md is not None and md.error is None and len(md.partitions) == 2:
                break
            assert time.monotonic() < deadline, f"{topic} not created on B:\n{replicator.tail()}"
            time.sleep(0.2)
        consumer.assign([TopicPartition(topic, p, 0) for p in (0, 1)])
        got = []
        while len(got) < RECORDS and time.monotonic() < deadline:
            m = consumer.poll(0.5)
            if m is not None and m.error() is None:
                got.append(m)
        assert len(got) == RECORDS, f"{len(got)} of {RECORDS} records on B:\n{replicator.tail()}"
        return got
    finally:
        consumer.close()


def _check_decrypts_in_region_b(records, sent, registry_b, topic):
    there = AvroDeserializer(SchemaRegistryClient({"url": registry_b}), rule_conf={"secret": SECRET},
                             rule_registry=encryption_rules())
    ctx = SerializationContext(topic, MessageField.VALUE)
    for m in records:
        assert SSN.encode() not in m.value(), "the PII must not be readable in B's raw bytes"
        assert there(m.value(), ctx) == sent[m.key()]
        assert dict(m.headers())["lockstep.origin"] == b"region-a"


def test_encrypted_records_replicated_to_a_second_cluster_decrypt_with_its_own_registry(kafka_pair,
                                                                                     region_b_registry):
    a, b = kafka_pair
    topic = f"patients-{uuid.uuid4().hex[:10]}"
    kek = f"kek_{uuid.uuid4().hex[:8]}"
    _create_topic(a, topic)
    sent = _produce(a, _register(topic, kek), topic)
    link_once(BIN, REGISTRY_A, region_b_registry, f"{topic}-value")
    rep = Replicator(kafka_pair, region_b_registry, topic)
    try:
        records = _consume(b, topic, rep)
    finally:
        rep.stop()
    _check_decrypts_in_region_b(records, sent, region_b_registry, topic)


def test_a_record_does_not_land_before_its_key_exists_in_the_destination_registry(kafka_pair,
                                                                               region_b_registry):
    """The link ran before the producer's first record created the DEK: region B holds the schema
    but not the key. The replicator's gate does not let a record through on the schema alone; it
    brings the DEK over first. The topic stamps records with the broker's append time (a topic
    config the replicator copies), so each copy's time on B is compared with the DEK's creation
    in B's registry."""
    a, b = kafka_pair
    topic = f"patients-late-{uuid.uuid4().hex[:10]}"
    subject = f"{topic}-value"
    kek = f"kek_{uuid.uuid4().hex[:8]}"
    _create_topic(a, topic, {"message.timestamp.type": "LogAppendTime"})
    src = _register(topic, kek)
    link_once(BIN, REGISTRY_A, region_b_registry, subject)
    assert _get(f"{region_b_registry}/subjects/{subject}/versions/latest")["id"] == src.get_latest_version(subject).schema_id
    sent = _produce(a, src, topic)
    assert _dek_code(REGISTRY_A, kek, subject) is None
    assert _dek_code(region_b_registry, kek, subject) == 40470, "the DEK must not be in region B yet"

    rep = Replicator(kafka_pair, region_b_registry, topic)
    try:
        records = _consume(b, topic, rep)
    finally:
        rep.stop()
    assert _dek_code(region_b_registry, kek, subject) is None, "records reached B but their DEK is not in B's registry"
    dek = _get(f"{region_b_registry}/dek-registry/v1/keks/{kek}/deks/{subject}/versions/latest")
    for m in records:
        _, appended = m.timestamp()
        assert appended >= dek["ts"], f"a record landed on B at {appended}, before its DEK ({dek['ts']})"
    _check_decrypts_in_region_b(records, sent, region_b_registry, topic)
