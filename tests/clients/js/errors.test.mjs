// The error codes @confluentinc/schemaregistry surfaces (RestError.errorCode).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newClient, rejectsWithCode, unique } from './common.mjs';

const SCHEMA = JSON.stringify({ type: 'record', name: 'E', fields: [{ name: 'a', type: 'int' }] });

test('errors: the codes clients branch on', async () => {
  const subject = `${unique('js-errors')}-value`;
  const id = await newClient().register(subject, { schemaType: 'AVRO', schema: SCHEMA });
  await rejectsWithCode(assert, newClient().getLatestSchemaMetadata(unique('js-none')), 40401);
  await rejectsWithCode(assert, newClient().getSchemaMetadata(subject, 99), 40402);
  await rejectsWithCode(assert, newClient().getBySubjectAndId(subject, id + 100000), 40403);
  await rejectsWithCode(assert, newClient().register(unique('js-bad'), { schemaType: 'AVRO', schema: '{"type":"record"}' }), 42201);
  await rejectsWithCode(assert, newClient().deleteSubject(subject, true), 40405);
  const incompatible = JSON.stringify({ type: 'record', name: 'E', fields: [{ name: 'a', type: 'string' }] });
  assert.equal(await newClient().testSubjectCompatibility(subject, { schemaType: 'AVRO', schema: incompatible }), false);
  await assert.rejects(newClient().register(subject, { schemaType: 'AVRO', schema: incompatible }),
    (err) => [409, 40901].includes(err.errorCode));
});
