"""Differential test: Lockstep's Avro compatibility verdicts against Apache Avro's own checker.

The oracle is `avro.compatibility` from the `avro` package on PyPI (a port of Java's
SchemaCompatibility, which Confluent runs). Random writer schemas are generated with fixed
seeds, each is evolved by random mutations into a reader schema, and both implementations
judge "can the reader read the writer's data?". Lockstep answers through its real REST API:
the writer is registered (compatibility NONE) and the reader is checked with
POST /compatibility/subjects/{s}/versions/latest under BACKWARD (reader = new schema).
Every disagreement fails the test with both schemas printed.
"""

import copy
import json
import os
import random
import urllib.error
import urllib.request

import avro.schema
from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType

URL = os.environ.get("LOCKSTEP_URL", "http://127.0.0.1:8081")
CT = "application/vnd.schemaregistry.v1+json"
PAIRS_PER_SEED = 400
SEEDS = [1, 2, 3, 4, 5]

PRIMITIVES = ["null", "boolean", "int", "long", "float", "double", "bytes", "string"]
DEFAULTS = {
    "null": None,
    "boolean": True,
    "int": 7,
    "long": 7,
    "float": 1.5,
    "double": 2.5,
    "bytes": "\u00ff",
    "string": "x",
}


def call(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(URL + path, data=data, method=method, headers={"Content-Type": CT})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.n = 0

    def name(self, prefix):
        self.n += 1
        return f"{prefix}{self.n}"

    def schema(self, depth=0):
        r = self.r
        roll = r.random()
        if depth >= 3 or roll < 0.45:
            return r.choice(PRIMITIVES)
        if roll < 0.55:
            return {"type": "array", "items": self.schema(depth + 1)}
        if roll < 0.62:
            return {"type": "map", "values": self.schema(depth + 1)}
        if roll < 0.72:
            symbols = r.sample(["A", "B", "C", "D", "E"], r.randint(1, 4))
            e = {"type": "enum", "name": self.name("E"), "symbols": symbols}
            if r.random() < 0.3:
                e["default"] = r.choice(symbols)
            return e
        if roll < 0.78:
            return {"type": "fixed", "name": self.name("F"), "size": r.choice([2, 4, 8])}
        if roll < 0.88:
            branches = r.sample(["null", "int", "long", "string", "double", "boolean"], r.randint(2, 3))
            return branches
        return self.record(depth + 1)

    def record(self, depth=0):
        fields = []
        for i in range(self.r.randint(1, 4)):
            f = {"name": f"f{i}", "type": self.schema(depth)}
            d = default_for(f["type"])
            if d is not NO_DEFAULT and self.r.random() < 0.4:
                f["default"] = d
            fields.append(f)
        return {"type": "record", "name": self.name("R"), "fields": fields}

    def mutate(self, s):
        """A random evolution of schema `s` (a new object)."""
        s = copy.deepcopy(s)
        for _ in range(self.r.randint(1, 3)):
            s = self._mutate_once(s)
        return s

    def _mutate_once(self, s):
        r = self.r
        if isinstance(s, str):
            promotions = {
                "int": ["long", "float", "double", "string"],
                "long": ["float", "double", "int"],
                "float": ["double", "long"],
                "double": ["float"],
                "string": ["bytes", "int"],
                "bytes": ["string"],
                "boolean": ["int"],
                "null": ["int"],
            }
            roll = r.random()
            if roll < 0.5:
                return r.choice(promotions[s])
            if roll < 0.8:
                return ["null", s] if s != "null" else ["null", "int"]
            return s
        if isinstance(s, list):
            roll = r.random()
            if roll < 0.35 and len(s) > 1:
                return [b for b in s if b != r.choice(s)] or s
            if roll < 0.7:
                extra = r.choice(["null", "int", "long", "string", "double", "boolean", "float", "bytes"])
                return s if extra in s else s + [extra]
            if roll < 0.85 and len(s) == 2:
                return r.choice(s)
            return list(reversed(s))
        t = s["type"]
        if t == "array":
            s["items"] = self._mutate_once(s["items"])
            return s
        if t == "map":
            s["values"] = self._mutate_once(s["values"]) if r.random() < 0.8 else s["values"]
            if r.random() < 0.1:
                return {"type": "array", "items": s["values"]}
            return s
        if t == "enum":
            roll = r.random()
            if roll < 0.4:
                extra = r.choice(["A", "B", "C", "D", "E", "F"])
                if extra not in s["symbols"]:
                    s["symbols"] = s["symbols"] + [extra]
            elif roll < 0.8 and len(s["symbols"]) > 1:
                gone = r.choice(s["symbols"])
                s["symbols"] = [x for x in s["symbols"] if x != gone]
                if s.get("default") == gone:
                    s.pop("default")
            else:
                s["default"] = r.choice(s["symbols"])
            return s
        if t == "fixed":
            if r.random() < 0.5:
                s["size"] = r.choice([2, 4, 8, 16])
            else:
                s["aliases"] = [s["name"]]
                s["name"] = self.name("F")
            return s
        # record
        fields = s["fields"]
        roll = r.random()
        if roll < 0.25:
            f = {"name": self.name("n"), "type": self.schema(2)}
            d = default_for(f["type"])
            if d is not NO_DEFAULT and r.random() < 0.6:
                f["default"] = d
            fields.append(f)
        elif roll < 0.45 and len(fields) > 1:
            fields.pop(r.randrange(len(fields)))
        elif roll < 0.55 and fields:
            f = r.choice(fields)
            f["aliases"] = [f["name"]]
            f["name"] = self.name("renamed")
        elif roll < 0.62:
            s["aliases"] = [s["name"]]
            s["name"] = self.name("R")
        elif roll < 0.67:
            s["name"] = self.name("R")
        elif fields:
            f = r.choice(fields)
            f["type"] = self._mutate_once(f["type"])
            f.pop("default", None)
            d = default_for(f["type"])
            if d is not NO_DEFAULT and r.random() < 0.4:
                f["default"] = d
        return s


NO_DEFAULT = object()


def default_for(t):
    """A valid default for type `t` (a union's default matches its first branch)."""
    if isinstance(t, str):
        return DEFAULTS.get(t, NO_DEFAULT)
    if isinstance(t, list):
        return default_for(t[0])
    kind = t["type"]
    if kind == "array":
        return []
    if kind == "map":
        return {}
    if kind == "enum":
        return t["symbols"][0]
    if kind == "fixed":
        return "\u0000" * t["size"]
    if kind == "record":
        out = {}
        for f in t["fields"]:
            d = f.get("default", default_for(f["type"]))
            if d is NO_DEFAULT:
                return NO_DEFAULT
            out[f["name"]] = d
        return out
    return NO_DEFAULT


def oracle(reader, writer):
    """None when the oracle cannot parse one of the schemas."""
    try:
        r = avro.schema.parse(json.dumps(reader))
        w = avro.schema.parse(json.dumps(writer))
    except Exception:
        return None
    result = ReaderWriterCompatibilityChecker().get_compatibility(r, w)
    return result.compatibility is SchemaCompatibilityType.compatible


def lockstep(subject, reader, writer):
    status, body = call("POST", f"/subjects/{subject}/versions", {"schema": json.dumps(writer)})
    assert status == 200, f"register writer: {status} {body}\n{json.dumps(writer)}"
    status, body = call(
        "POST", f"/compatibility/subjects/{subject}/versions/latest?verbose=true", {"schema": json.dumps(reader)}
    )
    assert status == 200, f"check: {status} {body}"
    return body["is_compatible"], body.get("messages", [])


def test_avro_verdicts_match_apache_avro():
    status, _ = call("PUT", "/config/:.oracle:", {"compatibility": "BACKWARD"})
    assert status == 200
    compared = compatible = 0
    disagreements = []
    for seed in SEEDS:
        gen = Gen(seed)
        for i in range(PAIRS_PER_SEED):
            writer = gen.record()
            reader = gen.mutate(writer)
            expected = oracle(reader, writer)
            if expected is None:
                continue
            subject = f":.oracle:s{seed}-{i}"
            got, messages = lockstep(subject, reader, writer)
            compared += 1
            compatible += expected
            if got != expected:
                disagreements.append(
                    f"seed {seed} pair {i}: avro says {expected}, lockstep says {got} {messages[:1]}\n"
                    f"  writer: {json.dumps(writer)}\n  reader: {json.dumps(reader)}"
                )
    assert compared >= 0.9 * PAIRS_PER_SEED * len(SEEDS), f"only {compared} pairs compared"
    # The generator must produce both verdicts in quantity, or the test proves little.
    assert 0.2 * compared < compatible < 0.8 * compared, f"{compatible} of {compared} compatible"
    assert not disagreements, f"{len(disagreements)} of {compared} disagree:\n" + "\n".join(disagreements[:10])
