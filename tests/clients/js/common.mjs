// Shared helpers for the JavaScript suites (run by ../run-all.sh, which sets LOCKSTEP_URL).
import { SchemaRegistryClient } from '@confluentinc/schemaregistry';

export const URL = process.env.LOCKSTEP_URL;
if (!URL) {
  throw new Error('LOCKSTEP_URL is not set: run tests/clients/run-all.sh');
}

/** A client with empty caches, so every call reaches the registry. */
export function newClient() {
  return new SchemaRegistryClient({ baseURLs: [URL], cacheCapacity: 100 });
}

/** A topic name no other test (or earlier run) uses. */
export function unique(prefix) {
  return `${prefix}-${Math.random().toString(16).slice(2, 10)}`;
}

/** The schema id of the classic wire format: 0x00 + 4-byte big-endian id. */
export function prefixId(buf) {
  if (buf.length < 5 || buf[0] !== 0) {
    throw new Error(`not the classic wire format: ${buf.toString('hex')}`);
  }
  return buf.readInt32BE(1);
}

/** Runs fn, which must reject with a REST error carrying error_code code. */
export async function rejectsWithCode(assert, fn, code) {
  await assert.rejects(fn, (err) => {
    assert.equal(err.errorCode, code, `error_code of ${err}`);
    return true;
  });
}

/** The JSON Schema of the JSON tests (the Go suite registers the same). */
export const SHIPMENT_SCHEMA = JSON.stringify({
  $schema: 'http://json-schema.org/draft-07/schema#', title: 'Shipment', type: 'object',
  properties: {
    id: { type: 'string' }, weight: { type: 'number', minimum: 0 },
    labels: { type: 'array', items: { type: 'string' } },
  },
  required: ['id', 'weight'],
});

/** A deserialized Avro record (an avsc class instance) as a plain object, for deepEqual. */
export function plain(value) {
  return JSON.parse(JSON.stringify(value));
}
