// JSON Schema through @confluentinc/schemaregistry, with validation on both sides.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsonDeserializer, JsonSerializer, SerdeType } from '@confluentinc/schemaregistry';
import { SHIPMENT_SCHEMA, newClient, prefixId, unique } from './common.mjs';

test('json: round trip with auto-registration', async () => {
  const topic = unique('js-json');
  const ser = new JsonSerializer(newClient(), SerdeType.VALUE, { autoRegisterSchemas: true, validate: true });
  const input = { id: 's-1', weight: 2.5, labels: ['fragile'] };
  const bytes = await ser.serialize(topic, input);
  const latest = await newClient().getLatestSchemaMetadata(`${topic}-value`);
  assert.equal(latest.schemaType, 'JSON');
  assert.equal(prefixId(bytes), latest.id);
  const de = new JsonDeserializer(newClient(), SerdeType.VALUE, { validate: true });
  assert.deepEqual(await de.deserialize(topic, bytes), input);
});

test('json: useLatestVersion validates against the registered schema', async () => {
  const topic = unique('js-json-latest');
  const id = await newClient().register(`${topic}-value`, { schemaType: 'JSON', schema: SHIPMENT_SCHEMA });
  const ser = new JsonSerializer(newClient(), SerdeType.VALUE, {
    autoRegisterSchemas: false, useLatestVersion: true, validate: true,
  });
  const bytes = await ser.serialize(topic, { id: 's-2', weight: 1 });
  assert.equal(prefixId(bytes), id);
  await assert.rejects(ser.serialize(topic, { id: 's-3', weight: -1 }), /Invalid message/);
  const de = new JsonDeserializer(newClient(), SerdeType.VALUE, { validate: true });
  assert.deepEqual(await de.deserialize(topic, bytes), { id: 's-2', weight: 1 });
});
