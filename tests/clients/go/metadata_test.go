package clients

import (
	"testing"

	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry/serde"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry/serde/avrov2"
)

// registerWithMetadata registers userV1 and userV2 with metadata properties app.version=1 and 2.
func registerWithMetadata(t *testing.T, subject string) (v1, v2 schemaregistry.SchemaMetadata) {
	t.Helper()
	c := newClient(t)
	v1 = ok(c.RegisterFullResponse(subject, schemaregistry.SchemaInfo{
		Schema:   userV1,
		Metadata: &schemaregistry.Metadata{Properties: map[string]string{"app.version": "1", "owner": "team-a"}},
	}, false))(t)
	v2 = ok(c.RegisterFullResponse(subject, schemaregistry.SchemaInfo{
		Schema:   userV2,
		Metadata: &schemaregistry.Metadata{Properties: map[string]string{"app.version": "2", "owner": "team-a"}},
	}, false))(t)
	if v1.ID == v2.ID {
		t.Fatalf("same id %d for both versions", v1.ID)
	}
	return v1, v2
}

// GET /subjects/{s}/metadata?key=&value= through the client's own call.
func TestGetLatestWithMetadata(t *testing.T) {
	subject := unique("go-meta") + "-value"
	v1, v2 := registerWithMetadata(t, subject)

	got := ok(newClient(t).GetLatestWithMetadata(subject, map[string]string{"app.version": "1"}, false))(t)
	if got.ID != v1.ID || got.Version != 1 {
		t.Fatalf("app.version=1: got id %d version %d, want id %d version 1", got.ID, got.Version, v1.ID)
	}
	if got.Metadata == nil || got.Metadata.Properties["app.version"] != "1" {
		t.Fatalf("metadata not returned: %+v", got.Metadata)
	}
	// Several pairs must all match; the latest matching version wins.
	got = ok(newClient(t).GetLatestWithMetadata(subject, map[string]string{"owner": "team-a"}, false))(t)
	if got.ID != v2.ID || got.Version != 2 {
		t.Fatalf("owner=team-a: got id %d version %d, want the latest (id %d)", got.ID, got.Version, v2.ID)
	}
	got = ok(newClient(t).GetLatestWithMetadata(subject, map[string]string{"owner": "team-a", "app.version": "1"}, false))(t)
	if got.Version != 1 {
		t.Fatalf("two pairs: version %d", got.Version)
	}
}

func TestGetLatestWithMetadataErrors(t *testing.T) {
	subject := unique("go-meta-err") + "-value"
	registerWithMetadata(t, subject)
	_, err := newClient(t).GetLatestWithMetadata(unique("go-meta-none")+"-value", map[string]string{"app.version": "1"}, false)
	if restCode(err) != 40401 {
		t.Fatalf("unknown subject: want error_code 40401, got %v", err)
	}
	_, err = newClient(t).GetLatestWithMetadata(subject, map[string]string{"app.version": "3"}, false)
	if restCode(err) != 40403 {
		t.Fatalf("no matching version: want error_code 40403, got %v", err)
	}
	_, err = newClient(t).GetLatestWithMetadata(subject, map[string]string{"app.version": "1", "owner": "team-b"}, false)
	if restCode(err) != 40403 {
		t.Fatalf("one pair of two matching: want error_code 40403, got %v", err)
	}
}

// The serializer picks the version whose metadata matches, not the latest.
func TestAvroUseLatestWithMetadata(t *testing.T) {
	topic := unique("go-avro-meta")
	v1, v2 := registerWithMetadata(t, topic+"-value")
	conf := avrov2.NewSerializerConfig()
	conf.AutoRegisterSchemas = false
	conf.UseLatestWithMetadata = map[string]string{"app.version": "1"}
	ser := ok(avrov2.NewSerializer(newClient(t), serde.ValueSerde, conf))(t)
	rec := map[string]any{"id": int64(1), "name": "Di", "email": nil, "tags": []any{"t"}}
	payload := ok(ser.Serialize(topic, &rec))(t)
	if got := prefixID(t, payload); got != v1.ID {
		t.Fatalf("payload id %d, want the app.version=1 schema %d (latest is %d)", got, v1.ID, v2.ID)
	}
	// A reader pinned to app.version=2 migrates the v1 record to v2's shape (country default).
	dconf := avrov2.NewDeserializerConfig()
	dconf.UseLatestWithMetadata = map[string]string{"app.version": "2"}
	deser := ok(avrov2.NewDeserializer(newClient(t), serde.ValueSerde, dconf))(t)
	var out map[string]any
	if err := deser.DeserializeInto(topic, payload, &out); err != nil {
		t.Fatal(err)
	}
	if out["name"] != "Di" || out["country"] != "NL" {
		t.Fatalf("read with v2 as reader: %v", out)
	}
}
