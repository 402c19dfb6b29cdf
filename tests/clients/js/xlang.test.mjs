// Cross-language records (see ../go/xlang_test.go for the layout). Without
// LOCKSTEP_XLANG_READ this writes js-*.json into LOCKSTEP_XLANG_DIR; with it
// (LOCKSTEP_XLANG_READ=go,python) it reads what those languages wrote.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromJson, toJson } from '@bufbuild/protobuf';
import {
  AvroDeserializer, AvroSerializer, HeaderSchemaIdSerializer, JsonDeserializer, JsonSerializer,
  ProtobufDeserializer, ProtobufSerializer, SerdeType,
} from '@confluentinc/schemaregistry';
import { SHIPMENT_SCHEMA, newClient, plain, unique } from './common.mjs';
import { OrderSchema, orderJson, registry } from './protos.mjs';

const dir = process.env.LOCKSTEP_XLANG_DIR;
const readFrom = process.env.LOCKSTEP_XLANG_READ;

// The same schemas and values as the Go and Python writers.
const AVRO_SCHEMA = JSON.stringify({
  type: 'record', name: 'Payment', namespace: 'lockstep.xlang', fields: [
    { name: 'id', type: 'string' }, { name: 'amount', type: 'double' },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    { name: 'note', type: ['null', 'string'], default: null },
  ],
});
const avroValue = (lang) => ({ id: `p-${lang}`, amount: 12.5, tags: ['a', lang], note: `from ${lang}` });
const jsonValue = (lang) => ({ id: `s-${lang}`, weight: 2.5, labels: ['x', lang] });

function write(name, topic, payload, headers) {
  const rec = { topic, payload: payload.toString('base64') };
  if (headers) {
    rec.headers = Object.entries(headers).map(([key, value]) => ({ key, value: Buffer.from(value).toString('base64') }));
  }
  writeFileSync(join(dir, `${name}.json`), JSON.stringify(rec));
}

function read(name) {
  const rec = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8'));
  let headers;
  if (rec.headers) {
    headers = Object.fromEntries(rec.headers.map((h) => [h.key, Buffer.from(h.value, 'base64')]));
  }
  return [rec.topic, Buffer.from(rec.payload, 'base64'), headers];
}

test('cross-language: write', { skip: !dir ? 'LOCKSTEP_XLANG_DIR not set' : readFrom ? 'read pass' : false }, async () => {
  const c = newClient();
  const run = unique('xlang-js');
  const latest = { autoRegisterSchemas: false, useLatestVersion: true };

  let topic = `${run}-avro`;
  await c.register(`${topic}-value`, { schemaType: 'AVRO', schema: AVRO_SCHEMA });
  write('js-avro', topic, await new AvroSerializer(c, SerdeType.VALUE, latest).serialize(topic, avroValue('js')));

  topic = `${run}-avro-guid`;
  await c.register(`${topic}-value`, { schemaType: 'AVRO', schema: AVRO_SCHEMA });
  const headers = {};
  const ser = new AvroSerializer(c, SerdeType.VALUE, { ...latest, schemaIdSerializer: HeaderSchemaIdSerializer });
  write('js-avro-guid', topic, await ser.serialize(topic, avroValue('js'), headers), headers);

  topic = `${run}-proto`;
  const pser = new ProtobufSerializer(c, SerdeType.VALUE, { autoRegisterSchemas: true, registry });
  write('js-protobuf', topic, await pser.serialize(topic, fromJson(OrderSchema, orderJson('o-js'), { registry })));

  topic = `${run}-json`;
  await c.register(`${topic}-value`, { schemaType: 'JSON', schema: SHIPMENT_SCHEMA });
  const jser = new JsonSerializer(c, SerdeType.VALUE, { ...latest, validate: true });
  write('js-json', topic, await jser.serialize(topic, jsonValue('js')));
});

for (const lang of readFrom ? readFrom.split(',') : []) {
  test(`cross-language: read ${lang} avro`, async () => {
    for (const name of [`${lang}-avro`, `${lang}-avro-guid`]) {
      const [topic, payload, headers] = read(name);
      const de = new AvroDeserializer(newClient(), SerdeType.VALUE, {});
      assert.deepEqual(plain(await de.deserialize(topic, payload, headers)), avroValue(lang), name);
    }
  });
  test(`cross-language: read ${lang} protobuf`, async () => {
    const [topic, payload, headers] = read(`${lang}-protobuf`);
    const out = await new ProtobufDeserializer(newClient(), SerdeType.VALUE, {}).deserialize(topic, payload, headers);
    assert.deepEqual(toJson(OrderSchema, out, { registry }), orderJson(`o-${lang}`));
  });
  test(`cross-language: read ${lang} json`, async () => {
    const [topic, payload, headers] = read(`${lang}-json`);
    const de = new JsonDeserializer(newClient(), SerdeType.VALUE, { validate: true });
    assert.deepEqual(await de.deserialize(topic, payload, headers), jsonValue(lang));
  });
}
