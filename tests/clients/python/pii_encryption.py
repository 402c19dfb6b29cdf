"""What the encryption tests share: a PII-tagged Avro schema, an ENCRYPT rule set for Confluent's
`local-kms` driver, and the rule registry a serializer or deserializer runs it with."""

import json

from confluent_kafka.schema_registry.rule_registry import RuleRegistry
from confluent_kafka.schema_registry.rules.encryption.encrypt_executor import FieldEncryptionExecutor
from confluent_kafka.schema_registry.rules.encryption.localkms.local_driver import LocalKmsDriver
from confluent_kafka.schema_registry.schema_registry_client import Rule, RuleKind, RuleMode, RuleParams, RuleSet

SECRET = "lockstep-test-secret"
SSN = "123-45-6789-unmistakable"

LocalKmsDriver.register()


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


def encryption_rules():
    """A rule registry of its own per registry URL (the encryption executor binds to one)."""
    reg = RuleRegistry()
    reg.register_executor(FieldEncryptionExecutor())
    return reg
