// Protobuf through @confluentinc/schemaregistry: the serializer registers base64
// FileDescriptorProtos (the imported file under its own subject, as a reference); the
// deserializer and use.latest.version fetch schemas with ?format=serialized.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromJson, toJson } from '@bufbuild/protobuf';
import { ProtobufDeserializer, ProtobufSerializer, SerdeType } from '@confluentinc/schemaregistry';
import { newClient, prefixId, unique } from './common.mjs';
import { LineSchema, OrderSchema, RefundSchema, orderJson, registry } from './protos.mjs';

const serializer = (conf = { autoRegisterSchemas: true }) =>
  new ProtobufSerializer(newClient(), SerdeType.VALUE, { ...conf, registry });

test('protobuf: auto-registers the imported file as a reference', async () => {
  const topic = unique('js-proto');
  const msg = fromJson(OrderSchema, orderJson(), { registry });
  const bytes = await serializer().serialize(topic, msg);
  const c = newClient();
  const latest = await c.getLatestSchemaMetadata(`${topic}-value`);
  assert.equal(prefixId(bytes), latest.id);
  assert.equal(latest.schemaType, 'PROTOBUF');
  assert.deepEqual(latest.references.map((r) => [r.name, r.subject]), [['shop/common.proto', 'shop/common.proto']]);
  assert.equal(bytes[5], 0, 'message indexes [0] are one zero byte');
  // The registry stores .proto text (as Confluent does) and answers format=serialized with
  // the base64 FileDescriptorProto the deserializer needs.
  assert.match(latest.schema, /message Order/);
});

test('protobuf: round trip (writer schema fetched with format=serialized)', async () => {
  const topic = unique('js-proto-rt');
  const msg = fromJson(OrderSchema, orderJson(), { registry });
  const bytes = await serializer().serialize(topic, msg);
  const out = await new ProtobufDeserializer(newClient(), SerdeType.VALUE, {}).deserialize(topic, bytes);
  assert.equal(out.$typeName, 'shop.Order');
  assert.deepEqual(toJson(OrderSchema, out, { registry }), orderJson());
});

test('protobuf: message indexes of a second and a nested message', async () => {
  const ser = serializer();
  let topic = unique('js-proto-refund');
  const refund = fromJson(RefundSchema, { orderId: 'o-1', amount: { units: '5', currency: 'EUR' } }, { registry });
  let bytes = await ser.serialize(topic, refund);
  assert.deepEqual([...bytes.subarray(5, 7)], [2, 2], 'indexes [1]');
  const de = new ProtobufDeserializer(newClient(), SerdeType.VALUE, {});
  assert.deepEqual(toJson(RefundSchema, await de.deserialize(topic, bytes)), toJson(RefundSchema, refund));

  topic = unique('js-proto-line');
  const line = fromJson(LineSchema, { sku: 'pen', quantity: 2 });
  bytes = await ser.serialize(topic, line);
  assert.deepEqual([...bytes.subarray(5, 8)], [4, 0, 0], 'indexes [0, 0]');
  assert.deepEqual(toJson(LineSchema, await de.deserialize(topic, bytes)), { sku: 'pen', quantity: 2 });
});

test('protobuf: useLatestVersion with a schema registered as .proto text with a reference', async () => {
  const c = newClient();
  const commonSubject = unique('js-common');
  await c.register(commonSubject, {
    schemaType: 'PROTOBUF',
    schema: 'syntax = "proto3";\npackage shop;\n\nmessage Money {\n  int64 units = 1;\n  string currency = 2;\n}\n',
  });
  const topic = unique('js-proto-latest');
  const orderProto = `syntax = "proto3";
package shop;

import "shop/common.proto";
import "google/protobuf/timestamp.proto";

message Order {
  string id = 1;
  Money total = 2;
  repeated Line lines = 3;
  google.protobuf.Timestamp created = 4;

  message Line {
    string sku = 1;
    int32 quantity = 2;
  }
}

message Refund {
  string order_id = 1;
  Money amount = 2;
}
`;
  const id = await c.register(`${topic}-value`, {
    schemaType: 'PROTOBUF', schema: orderProto,
    references: [{ name: 'shop/common.proto', subject: commonSubject, version: 1 }],
  });
  const ser = serializer({ autoRegisterSchemas: false, useLatestVersion: true });
  const bytes = await ser.serialize(topic, fromJson(OrderSchema, orderJson('o-2'), { registry }));
  assert.equal(prefixId(bytes), id);
  const out = await new ProtobufDeserializer(newClient(), SerdeType.VALUE, {}).deserialize(topic, bytes);
  assert.deepEqual(toJson(OrderSchema, out, { registry }), orderJson('o-2'));
});
