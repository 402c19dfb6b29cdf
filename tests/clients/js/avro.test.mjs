// Avro through @confluentinc/schemaregistry: auto-registration, use.latest.version,
// use.latest.with.metadata, the schema guid in a header, and the metadata lookup's errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AvroDeserializer, AvroSerializer, HeaderSchemaIdSerializer, SerdeType, VALUE_SCHEMA_ID_HEADER,
} from '@confluentinc/schemaregistry';
import { newClient, plain, prefixId, rejectsWithCode, unique } from './common.mjs';

const USER_V1 = JSON.stringify({
  type: 'record', name: 'User', namespace: 'lockstep.test', fields: [
    { name: 'id', type: 'long' }, { name: 'name', type: 'string' },
    { name: 'email', type: ['null', 'string'], default: null },
    { name: 'tags', type: { type: 'array', items: 'string' } },
  ],
});
const USER_V2 = JSON.stringify({
  ...JSON.parse(USER_V1),
  fields: [...JSON.parse(USER_V1).fields, { name: 'country', type: 'string', default: 'NL' }],
});

test('avro: round trip with auto-registration', async () => {
  const topic = unique('js-avro');
  const ser = new AvroSerializer(newClient(), SerdeType.VALUE, { autoRegisterSchemas: true });
  const input = { id: 42, name: 'Ada', active: true, tags: ['a', 'b'] };
  const bytes = await ser.serialize(topic, input);
  const latest = await newClient().getLatestSchemaMetadata(`${topic}-value`);
  assert.equal(prefixId(bytes), latest.id);
  assert.equal(latest.version, 1);
  const de = new AvroDeserializer(newClient(), SerdeType.VALUE, {});
  assert.deepEqual(plain(await de.deserialize(topic, bytes)), input);
  // A second serializer finds the same id (lookup), no new version.
  const again = new AvroSerializer(newClient(), SerdeType.VALUE, { autoRegisterSchemas: true });
  assert.equal(prefixId(await again.serialize(topic, input)), latest.id);
  assert.deepEqual(await newClient().getAllVersions(`${topic}-value`), [1]);
});

test('avro: useLatestVersion serializes with the latest registered schema', async () => {
  const topic = unique('js-avro-latest');
  const c = newClient();
  const v1 = await c.register(`${topic}-value`, { schemaType: 'AVRO', schema: USER_V1 });
  const v2 = await c.register(`${topic}-value`, { schemaType: 'AVRO', schema: USER_V2 });
  assert.notEqual(v1, v2);
  const ser = new AvroSerializer(newClient(), SerdeType.VALUE, { autoRegisterSchemas: false, useLatestVersion: true });
  const bytes = await ser.serialize(topic, { id: 7, name: 'Bo', email: null, tags: [], country: 'SE' });
  assert.equal(prefixId(bytes), v2);
  const out = await new AvroDeserializer(newClient(), SerdeType.VALUE, {}).deserialize(topic, bytes);
  assert.equal(out.country, 'SE');
  assert.equal(out.name, 'Bo');
  // Without auto-registration, a schema the subject does not hold is refused with 40403.
  const strict = new AvroSerializer(newClient(), SerdeType.VALUE, { autoRegisterSchemas: false });
  await rejectsWithCode(assert, strict.serialize(topic, { x: 1 }), 40403);
});

test('avro: schema guid in the __value_schema_id header', async () => {
  const topic = unique('js-avro-guid');
  const ser = new AvroSerializer(newClient(), SerdeType.VALUE, {
    autoRegisterSchemas: true, schemaIdSerializer: HeaderSchemaIdSerializer,
  });
  const headers = {};
  const input = { id: 9, name: 'Cy' };
  const bytes = await ser.serialize(topic, input, headers);
  const header = headers[VALUE_SCHEMA_ID_HEADER];
  assert.equal(header.length, 17);
  assert.equal(header[0], 1);
  const de = new AvroDeserializer(newClient(), SerdeType.VALUE, {});
  assert.deepEqual(plain(await de.deserialize(topic, bytes, headers)), input);
});

async function registerWithMetadata(subject) {
  const c = newClient();
  const v1 = await c.registerFullResponse(subject, {
    schemaType: 'AVRO', schema: USER_V1,
    metadata: { properties: { 'app.version': '1', owner: 'team-a' } },
  });
  const v2 = await c.registerFullResponse(subject, {
    schemaType: 'AVRO', schema: USER_V2,
    metadata: { properties: { 'app.version': '2', owner: 'team-a' } },
  });
  assert.notEqual(v1.id, v2.id);
  return [v1, v2];
}

test('metadata: getLatestWithMetadata picks the latest matching version', async () => {
  const subject = `${unique('js-meta')}-value`;
  const [v1, v2] = await registerWithMetadata(subject);
  let got = await newClient().getLatestWithMetadata(subject, { 'app.version': '1' });
  assert.equal(got.id, v1.id);
  assert.equal(got.version, 1);
  assert.equal(got.metadata.properties['app.version'], '1');
  got = await newClient().getLatestWithMetadata(subject, { owner: 'team-a' });
  assert.equal(got.id, v2.id);
  assert.equal(got.version, 2);
  got = await newClient().getLatestWithMetadata(subject, { owner: 'team-a', 'app.version': '1' });
  assert.equal(got.version, 1);
});

test('metadata: unknown subject is 40401, no matching version 40403', async () => {
  const subject = `${unique('js-meta-err')}-value`;
  await registerWithMetadata(subject);
  await rejectsWithCode(assert, newClient().getLatestWithMetadata(`${unique('js-none')}-value`, { 'app.version': '1' }), 40401);
  await rejectsWithCode(assert, newClient().getLatestWithMetadata(subject, { 'app.version': '3' }), 40403);
  await rejectsWithCode(assert, newClient().getLatestWithMetadata(subject, { 'app.version': '1', owner: 'team-b' }), 40403);
});

test('avro: useLatestWithMetadata writes with the matching version, reads as another', async () => {
  const topic = unique('js-avro-meta');
  const [v1, v2] = await registerWithMetadata(`${topic}-value`);
  const ser = new AvroSerializer(newClient(), SerdeType.VALUE, {
    autoRegisterSchemas: false, useLatestWithMetadata: { 'app.version': '1' },
  });
  const bytes = await ser.serialize(topic, { id: 1, name: 'Di', email: null, tags: ['t'] });
  assert.equal(prefixId(bytes), v1.id, `latest is ${v2.id}`);
  const de = new AvroDeserializer(newClient(), SerdeType.VALUE, { useLatestWithMetadata: { 'app.version': '2' } });
  const out = await de.deserialize(topic, bytes);
  assert.equal(out.name, 'Di');
  assert.equal(out.country, 'NL');
});
