// The .proto files of the Protobuf tests, as descriptors built at run time (what protobuf-es
// generated code embeds), with the same names and shapes as the Go suite's sources:
//   shop/common.proto: message Money { int64 units = 1; string currency = 2; }
//   shop/order.proto:  imports it and google/protobuf/timestamp.proto;
//                      message Order { string id = 1; Money total = 2; repeated Line lines = 3;
//                        google.protobuf.Timestamp created = 4; message Line { string sku = 1; int32 quantity = 2; } }
//                      message Refund { string order_id = 1; Money amount = 2; }
import { create, createFileRegistry } from '@bufbuild/protobuf';
import {
  FieldDescriptorProto_Label as Label, FieldDescriptorProto_Type as Type,
  FileDescriptorProtoSchema, file_google_protobuf_timestamp,
} from '@bufbuild/protobuf/wkt';

// protoc fills json_name on every field (lowerCamelCase of the name); protobuf-es's toJson
// uses it, so descriptors built by hand must carry it too.
const jsonNameOf = (name) => name.replace(/_+([a-z0-9])/g, (_, c) => c.toUpperCase());

function field(name, number, type, extra = {}) {
  return { name, number, type, label: Label.OPTIONAL, jsonName: jsonNameOf(name), ...extra };
}

const common = create(FileDescriptorProtoSchema, {
  name: 'shop/common.proto', package: 'shop', syntax: 'proto3',
  messageType: [{ name: 'Money', field: [field('units', 1, Type.INT64), field('currency', 2, Type.STRING)] }],
});

const order = create(FileDescriptorProtoSchema, {
  name: 'shop/order.proto', package: 'shop', syntax: 'proto3',
  dependency: ['shop/common.proto', 'google/protobuf/timestamp.proto'],
  messageType: [
    {
      name: 'Order',
      field: [
        field('id', 1, Type.STRING),
        field('total', 2, Type.MESSAGE, { typeName: '.shop.Money' }),
        field('lines', 3, Type.MESSAGE, { typeName: '.shop.Order.Line', label: Label.REPEATED }),
        field('created', 4, Type.MESSAGE, { typeName: '.google.protobuf.Timestamp' }),
      ],
      nestedType: [{ name: 'Line', field: [field('sku', 1, Type.STRING), field('quantity', 2, Type.INT32)] }],
    },
    {
      name: 'Refund',
      field: [field('order_id', 1, Type.STRING, { jsonName: 'orderId' }),
        field('amount', 2, Type.MESSAGE, { typeName: '.shop.Money' })],
    },
  ],
});

const commonFile = createFileRegistry(common, () => undefined).getFile('shop/common.proto');

/** A registry holding shop/order.proto and what it imports. */
export const registry = createFileRegistry(order, (name) => ({
  'shop/common.proto': commonFile,
  'google/protobuf/timestamp.proto': file_google_protobuf_timestamp,
}[name]));

export const OrderSchema = registry.getMessage('shop.Order');
export const RefundSchema = registry.getMessage('shop.Refund');
export const LineSchema = registry.getMessage('shop.Order.Line');

export const orderJson = (id = 'o-1') => ({
  id, total: { units: '1250', currency: 'EUR' },
  lines: [{ sku: 'pen', quantity: 3 }, { sku: 'ink', quantity: 1 }],
  created: '2026-11-30T08:00:00Z',
});
