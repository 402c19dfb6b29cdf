package clients

import (
	"testing"

	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry/serde"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry/serde/protobuf"
	"github.com/jhump/protoreflect/desc"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

const orderJSON = `{"id":"o-1","total":{"units":"1250","currency":"EUR"},
 "lines":[{"sku":"pen","quantity":3},{"sku":"ink","quantity":1}],"created":"2026-11-30T08:00:00Z"}`

func newMessage(t *testing.T, mt protoreflect.MessageType, js string) proto.Message {
	t.Helper()
	m := mt.New().Interface()
	if err := protojson.Unmarshal([]byte(js), m); err != nil {
		t.Fatalf("protojson: %v", err)
	}
	return m
}

func protoDeserializer(t *testing.T, fd *desc.FileDescriptor, conf *protobuf.DeserializerConfig, names ...string) *protobuf.Deserializer {
	t.Helper()
	if conf == nil {
		conf = protobuf.NewDeserializerConfig()
	}
	d := ok(protobuf.NewDeserializer(newClient(t), serde.ValueSerde, conf))(t)
	for _, n := range names {
		if err := d.ProtoRegistry.RegisterMessage(messageType(t, fd, n)); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// The serializer registers the imported file under its own subject (named after the file)
// and the order's schema with a reference to it; the deserializer resolves both.
func TestProtobufWithImportedMessage(t *testing.T) {
	fd := parseProtos(t, protoSources, "shop/order.proto")
	topic := unique("go-proto")
	ser := ok(protobuf.NewSerializer(newClient(t), serde.ValueSerde, protobuf.NewSerializerConfig()))(t)
	in := newMessage(t, messageType(t, fd, "shop.Order"), orderJSON)
	payload := ok(ser.Serialize(topic, in))(t)

	c := newClient(t)
	latest := ok(c.GetLatestSchemaMetadata(topic + "-value"))(t)
	if prefixID(t, payload) != latest.ID {
		t.Fatalf("payload id %d, registered %d", prefixID(t, payload), latest.ID)
	}
	if latest.SchemaType != "PROTOBUF" || len(latest.References) != 1 ||
		latest.References[0].Name != "shop/common.proto" || latest.References[0].Subject != "shop/common.proto" {
		t.Fatalf("registered %+v", latest)
	}
	// First top-level message: message indexes [0], written as one zero byte.
	if payload[5] != 0 {
		t.Fatalf("message index bytes % x", payload[5:7])
	}
	common := ok(c.GetLatestSchemaMetadata("shop/common.proto"))(t)
	if common.SchemaType != "PROTOBUF" {
		t.Fatalf("reference subject %+v", common)
	}

	d := protoDeserializer(t, fd, nil, "shop.Order")
	out := ok(d.Deserialize(topic, payload))(t).(proto.Message)
	if !proto.Equal(in, out) {
		t.Fatalf("round trip:\n got %v\nwant %v", out, in)
	}
}

// The second top-level message gets message indexes [1]; a nested one [0, 0].
func TestProtobufMessageIndexes(t *testing.T) {
	fd := parseProtos(t, protoSources, "shop/order.proto")
	ser := ok(protobuf.NewSerializer(newClient(t), serde.ValueSerde, protobuf.NewSerializerConfig()))(t)
	d := protoDeserializer(t, fd, nil, "shop.Refund", "shop.Order.Line")

	topic := unique("go-proto-refund")
	refund := newMessage(t, messageType(t, fd, "shop.Refund"), `{"orderId":"o-1","amount":{"units":"5","currency":"EUR"}}`)
	payload := ok(ser.Serialize(topic, refund))(t)
	if payload[5] != 2 || payload[6] != 2 {
		t.Fatalf("indexes for [1]: % x", payload[5:7])
	}
	if out := ok(d.Deserialize(topic, payload))(t).(proto.Message); !proto.Equal(refund, out) {
		t.Fatalf("refund: %v", out)
	}

	topic = unique("go-proto-line")
	line := newMessage(t, messageType(t, fd, "shop.Order.Line"), `{"sku":"pen","quantity":2}`)
	payload = ok(ser.Serialize(topic, line))(t)
	if payload[5] != 4 || payload[6] != 0 || payload[7] != 0 {
		t.Fatalf("indexes for [0,0]: % x", payload[5:8])
	}
	if out := ok(d.Deserialize(topic, payload))(t).(proto.Message); !proto.Equal(line, out) {
		t.Fatalf("line: %v", out)
	}
}

// Use the latest registered version (registered as .proto text with a reference) instead of
// deriving the schema from the message.
func TestProtobufUseLatestVersion(t *testing.T) {
	fd := parseProtos(t, protoSources, "shop/order.proto")
	c := newClient(t)
	commonSubject := unique("go-common")
	ok(c.Register(commonSubject, schemaregistry.SchemaInfo{Schema: protoSources["shop/common.proto"], SchemaType: "PROTOBUF"}, false))(t)
	topic := unique("go-proto-latest")
	id := ok(c.Register(topic+"-value", schemaregistry.SchemaInfo{
		Schema:     protoSources["shop/order.proto"],
		SchemaType: "PROTOBUF",
		References: []schemaregistry.Reference{{Name: "shop/common.proto", Subject: commonSubject, Version: 1}},
	}, false))(t)

	conf := protobuf.NewSerializerConfig()
	conf.AutoRegisterSchemas = false
	conf.UseLatestVersion = true
	ser := ok(protobuf.NewSerializer(newClient(t), serde.ValueSerde, conf))(t)
	in := newMessage(t, messageType(t, fd, "shop.Order"), orderJSON)
	payload := ok(ser.Serialize(topic, in))(t)
	if prefixID(t, payload) != id {
		t.Fatalf("payload id %d, want %d", prefixID(t, payload), id)
	}
	d := protoDeserializer(t, fd, nil, "shop.Order")
	if out := ok(d.Deserialize(topic, payload))(t).(proto.Message); !proto.Equal(in, out) {
		t.Fatalf("round trip: %v", out)
	}
}
