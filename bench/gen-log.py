#!/usr/bin/env python3
"""Write a synthetic embedded log (schemas.log) for start-up benchmarks.

    bench/gen-log.py DIR LIVE DELETED

LIVE versions stay registered (10 per subject, each its own schema and id); DELETED more are
registered, soft-deleted and hard-deleted (3 records each) — the history compaction removes.
The frame format is registry/src/store/frame.rs: len | crc32 | key_len | key | flags | value.
"""
import json
import os
import struct
import sys
import zlib


def frame(key: bytes, value):
    payload = struct.pack("<I", len(key)) + key
    if value is None:
        payload += b"\x00"
    else:
        payload += b"\x01" + struct.pack("<I", len(value)) + value
    return struct.pack("<II", len(payload), zlib.crc32(payload)) + payload


def schema_records(subject, version, id_, deleted, text):
    key = json.dumps({"keytype": "SCHEMA", "subject": subject, "version": version, "magic": 1},
                     separators=(",", ":")).encode()
    value = json.dumps({"subject": subject, "version": version, "id": id_, "schemaType": "AVRO",
                        "schema": text, "deleted": deleted}, separators=(",", ":")).encode()
    return key, value


def main():
    out_dir, live, deleted = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    os.makedirs(out_dir, exist_ok=True)
    next_id = 1
    with open(os.path.join(out_dir, "schemas.log"), "wb") as f:
        cfg_key = b'{"keytype":"CONFIG","magic":0}'
        f.write(frame(cfg_key, b'{"compatibilityLevel":"NONE"}'))
        buf = []
        for kind, count in (("live", live), ("gone", deleted)):
            for i in range(count):
                subject = f"{kind}-{i // 10}"
                version = i % 10 + 1
                text = json.dumps({"type": "record", "name": f"R{next_id}", "namespace": "bench",
                                   "fields": [{"name": "a", "type": "string"}, {"name": "b", "type": "long"}]},
                                  separators=(",", ":"))
                key, value = schema_records(subject, version, next_id, False, text)
                buf.append(frame(key, value))
                if kind == "gone":
                    _, soft = schema_records(subject, version, next_id, True, text)
                    buf.append(frame(key, soft))
                    buf.append(frame(key, None))
                next_id += 1
                if len(buf) > 10000:
                    f.write(b"".join(buf))
                    buf = []
        f.write(b"".join(buf))


if __name__ == "__main__":
    main()
