package clients

import (
	"reflect"
	"testing"

	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry/serde"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry/serde/avrov2"
)

type user struct {
	ID    int64    `avro:"id"`
	Name  string   `avro:"name"`
	Email *string  `avro:"email"`
	Tags  []string `avro:"tags"`
}

const userV1 = `{"type":"record","name":"User","namespace":"lockstep.test","fields":[
 {"name":"id","type":"long"},{"name":"name","type":"string"},
 {"name":"email","type":["null","string"],"default":null},
 {"name":"tags","type":{"type":"array","items":"string"}}]}`

// userV2 adds a field with a default: BACKWARD compatible.
const userV2 = `{"type":"record","name":"User","namespace":"lockstep.test","fields":[
 {"name":"id","type":"long"},{"name":"name","type":"string"},
 {"name":"email","type":["null","string"],"default":null},
 {"name":"tags","type":{"type":"array","items":"string"}},
 {"name":"country","type":"string","default":"NL"}]}`

func TestAvroRoundTripAutoRegisters(t *testing.T) {
	c := newClient(t)
	topic := unique("go-avro")
	ser := ok(avrov2.NewSerializer(c, serde.ValueSerde, avrov2.NewSerializerConfig()))(t)
	email := "ada@example.com"
	in := user{ID: 42, Name: "Ada", Email: &email, Tags: []string{"a", "b"}}
	payload := ok(ser.Serialize(topic, &in))(t)

	// The serializer registered the struct's schema under the topic's value subject.
	latest := ok(newClient(t).GetLatestSchemaMetadata(topic + "-value"))(t)
	if got := prefixID(t, payload); got != latest.ID {
		t.Fatalf("payload id %d, registered id %d", got, latest.ID)
	}
	if latest.Version != 1 {
		t.Fatalf("version %d", latest.Version)
	}

	deser := ok(avrov2.NewDeserializer(newClient(t), serde.ValueSerde, avrov2.NewDeserializerConfig()))(t)
	var out user
	if err := deser.DeserializeInto(topic, payload, &out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip: %+v != %+v", out, in)
	}
	// Serializing again reuses the id (lookup, not a new version).
	again := ok(avrov2.NewSerializer(newClient(t), serde.ValueSerde, avrov2.NewSerializerConfig()))(t)
	if prefixID(t, ok(again.Serialize(topic, &in))(t)) != latest.ID {
		t.Fatal("second serializer got another id")
	}
	if vs := ok(c.GetAllVersions(topic + "-value"))(t); len(vs) != 1 {
		t.Fatalf("versions %v", vs)
	}
}

func TestAvroUseLatestVersion(t *testing.T) {
	c := newClient(t)
	topic := unique("go-avro-latest")
	subject := topic + "-value"
	v1 := ok(c.Register(subject, schemaregistry.SchemaInfo{Schema: userV1}, false))(t)
	v2 := ok(c.Register(subject, schemaregistry.SchemaInfo{Schema: userV2}, false))(t)
	if v1 == v2 {
		t.Fatalf("v1 and v2 share id %d", v1)
	}
	conf := avrov2.NewSerializerConfig()
	conf.AutoRegisterSchemas = false
	conf.UseLatestVersion = true
	ser := ok(avrov2.NewSerializer(newClient(t), serde.ValueSerde, conf))(t)
	rec := map[string]any{"id": int64(7), "name": "Bo", "email": nil, "tags": []any{}, "country": "SE"}
	payload := ok(ser.Serialize(topic, &rec))(t)
	if got := prefixID(t, payload); got != v2 {
		t.Fatalf("payload id %d, want latest %d", got, v2)
	}
	deser := ok(avrov2.NewDeserializer(newClient(t), serde.ValueSerde, avrov2.NewDeserializerConfig()))(t)
	var out map[string]any
	if err := deser.DeserializeInto(topic, payload, &out); err != nil {
		t.Fatal(err)
	}
	if out["country"] != "SE" || out["name"] != "Bo" {
		t.Fatalf("deserialized %v", out)
	}
	// Without auto-registration, a schema the subject does not hold is refused (40403).
	strict := avrov2.NewSerializerConfig()
	strict.AutoRegisterSchemas = false
	ser2 := ok(avrov2.NewSerializer(newClient(t), serde.ValueSerde, strict))(t)
	_, err := ser2.Serialize(topic, &user{ID: 1, Name: "x", Tags: []string{}})
	if err == nil || restCode(err) != 40403 {
		t.Fatalf("want 40403 for an unregistered schema, got %v", err)
	}
}

func TestAvroSchemaIDInHeaderByGUID(t *testing.T) {
	topic := unique("go-avro-guid")
	ser := ok(avrov2.NewSerializer(newClient(t), serde.ValueSerde, avrov2.NewSerializerConfig()))(t)
	ser.SchemaIDSerializer = serde.HeaderSchemaIDSerializer
	in := user{ID: 9, Name: "Cy", Tags: []string{"x"}}
	headers, payload := mustHeaders(t)(ser.SerializeWithHeaders(topic, &in))
	if len(headers) != 1 || headers[0].Key != serde.ValueSchemaIDHeader || len(headers[0].Value) != 17 || headers[0].Value[0] != 1 {
		t.Fatalf("headers %v", headers)
	}
	// The deserializer resolves the guid through GET /schemas/guids/{guid}.
	deser := ok(avrov2.NewDeserializer(newClient(t), serde.ValueSerde, avrov2.NewDeserializerConfig()))(t)
	var out user
	if err := deser.DeserializeWithHeadersInto(topic, headers, payload, &out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip: %+v != %+v", out, in)
	}
}
