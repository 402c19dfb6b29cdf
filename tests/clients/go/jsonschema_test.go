package clients

import (
	"reflect"
	"strings"
	"testing"

	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry/serde"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry/serde/jsonschema"
)

type shipment struct {
	ID     string   `json:"id"`
	Weight float64  `json:"weight"`
	Labels []string `json:"labels,omitempty"`
}

const shipmentSchema = `{"$schema":"http://json-schema.org/draft-07/schema#","title":"Shipment","type":"object",
 "properties":{"id":{"type":"string"},"weight":{"type":"number","minimum":0},
  "labels":{"type":"array","items":{"type":"string"}}},
 "required":["id","weight"]}`

// The serializer derives a JSON Schema from the Go type and registers it.
func TestJSONSchemaRoundTripAutoRegisters(t *testing.T) {
	topic := unique("go-json")
	conf := jsonschema.NewSerializerConfig()
	conf.EnableValidation = true
	ser := ok(jsonschema.NewSerializer(newClient(t), serde.ValueSerde, conf))(t)
	in := shipment{ID: "s-1", Weight: 2.5, Labels: []string{"fragile"}}
	payload := ok(ser.Serialize(topic, &in))(t)
	latest := ok(newClient(t).GetLatestSchemaMetadata(topic + "-value"))(t)
	if latest.SchemaType != "JSON" || prefixID(t, payload) != latest.ID {
		t.Fatalf("registered %+v, payload id %d", latest, prefixID(t, payload))
	}
	// (The Go deserializer validates the value it decoded into, so validation on read only
	// works for untyped targets; the serializer validated on write.)
	deser := ok(jsonschema.NewDeserializer(newClient(t), serde.ValueSerde, jsonschema.NewDeserializerConfig()))(t)
	var out shipment
	if err := deser.DeserializeInto(topic, payload, &out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip %+v != %+v", out, in)
	}
}

// With a registered schema and validation on, the latest schema is used and enforced.
func TestJSONSchemaUseLatestVersionValidates(t *testing.T) {
	topic := unique("go-json-latest")
	id := ok(newClient(t).Register(topic+"-value", schemaregistry.SchemaInfo{Schema: shipmentSchema, SchemaType: "JSON"}, false))(t)
	conf := jsonschema.NewSerializerConfig()
	conf.AutoRegisterSchemas = false
	conf.UseLatestVersion = true
	conf.EnableValidation = true
	ser := ok(jsonschema.NewSerializer(newClient(t), serde.ValueSerde, conf))(t)
	payload := ok(ser.Serialize(topic, map[string]any{"id": "s-2", "weight": 1}))(t)
	if prefixID(t, payload) != id {
		t.Fatalf("payload id %d, want %d", prefixID(t, payload), id)
	}
	if !strings.Contains(string(payload[5:]), `"s-2"`) {
		t.Fatalf("payload %q", payload)
	}
	_, err := ser.Serialize(topic, map[string]any{"id": "s-3", "weight": -1})
	if err == nil {
		t.Fatal("a negative weight passed validation against the registered schema")
	}
	deser := ok(jsonschema.NewDeserializer(newClient(t), serde.ValueSerde, jsonschema.NewDeserializerConfig()))(t)
	var out map[string]any
	if err := deser.DeserializeInto(topic, payload, &out); err != nil {
		t.Fatal(err)
	}
	if out["id"] != "s-2" {
		t.Fatalf("deserialized %v", out)
	}
}
