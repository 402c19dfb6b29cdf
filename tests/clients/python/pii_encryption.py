"""What the encryption tests share: a PII-tagged Avro schema, an ENCRYPT rule set for Confluent's
`local-kms` driver, the rule registry a serializer or deserializer runs it with, and one
`lockstep link --once` between two registries."""

import json
import os
import shlex
import subprocess

from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.schema_registry.rule_registry import RuleRegistry
from confluent_kafka.schema_registry.rules.encryption.encrypt_executor import FieldEncryptionExecutor
from confluent_kafka.schema_registry.rules.encryption.localkms.local_driver import LocalKmsDriver
from confluent_kafka.schema_registry.schema_registry_client import Rule, RuleKind, RuleMode, RuleParams, RuleSet

SECRET = "lockstep-test-secret"
SSN = "123-45-6789-unmistakable"

LocalKmsDriver.register()


def link_once(bin_path, source, destination, subject):
    """`lockstep link --once` of one subject (and, first, its keys) from `source` to `destination`."""
    link = shlex.split(os.environ.get("LOCKSTEP_LINK_CMD", f"{shlex.quote(bin_path)} link"))
    r = subprocess.run(
        link + ["--once", "--no-progress", "--source", source, "--destination", destination,
                "--context-type", "NONE", "--subjects", subject],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr


def pii_schema():
    return json.dumps(
        {
            "type": "record",
            "name": "Patient",
            "namespace": "com.example.encrypted",
            "fields": [
                {"name": "id", "type": "long"},
                {"name": "ssn", "type": "string", "confluent:tags": ["PII"]},
            ],
        }
    )


def encrypt_rule_set(kek):
    rule = Rule(
        "encrypt-pii",
        "",
        RuleKind.TRANSFORM,
        RuleMode.WRITEREAD,
        "ENCRYPT",
        ["PII"],
        RuleParams({"encrypt.kek.name": kek, "encrypt.kms.type": "local-kms", "encrypt.kms.key.id": "mykey"}),
        None,
        None,
        "ERROR,NONE",
        False,
    )
    return RuleSet(None, [rule])


def encrypting_serializer(registry):
    """An Avro serializer that writes with the subject's latest version and its encryption rules."""
    return AvroSerializer(
        registry,
        None,
        conf={"auto.register.schemas": False, "use.latest.version": True},
        rule_conf={"secret": SECRET},
        rule_registry=encryption_rules(),
    )


def encryption_rules():
    """A rule registry of its own per registry URL (the encryption executor binds to one)."""
    reg = RuleRegistry()
    reg.register_executor(FieldEncryptionExecutor())
    return reg
