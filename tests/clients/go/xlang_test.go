package clients

// Cross-language records: ../run-all.sh gives every suite one directory,
// LOCKSTEP_XLANG_DIR. In the first pass each language writes records there
// (<lang>-<format>.json: topic, base64 payload, headers); in the second pass
// (LOCKSTEP_XLANG_READ=js,python) each reads what the others wrote, with fresh clients,
// so every schema comes from the registry as the other language registered it.

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry/serde"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry/serde/avrov2"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry/serde/jsonschema"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry/serde/protobuf"
	"google.golang.org/protobuf/proto"
)

// The schemas every language writes with (same text in the JS and Python writers).
const xlangAvroSchema = `{"type":"record","name":"Payment","namespace":"lockstep.xlang","fields":[` +
	`{"name":"id","type":"string"},{"name":"amount","type":"double"},` +
	`{"name":"tags","type":{"type":"array","items":"string"}},` +
	`{"name":"note","type":["null","string"],"default":null}]}`

const xlangJSONSchema = shipmentSchema

// payment is the Go type of xlangAvroSchema.
type payment struct {
	ID     string   `avro:"id"`
	Amount float64  `avro:"amount"`
	Tags   []string `avro:"tags"`
	Note   *string  `avro:"note"`
}

// The values a writer in language lang writes.
func xlangAvroValue(lang string) map[string]any {
	return map[string]any{"id": "p-" + lang, "amount": 12.5, "tags": []any{"a", lang}, "note": "from " + lang}
}

func xlangJSONValue(lang string) map[string]any {
	return map[string]any{"id": "s-" + lang, "weight": 2.5, "labels": []any{"x", lang}}
}

func xlangProtoJSON(lang string) string {
	return strings.Replace(orderJSON, `"o-1"`, fmt.Sprintf(`"o-%s"`, lang), 1)
}

// ptr gives the avrov2 serializer the pointer it needs.
func ptr[T any](v T) *T { return &v }

type xlangHeader struct {
	Key   string `json:"key"`
	Value string `json:"value"` // base64
}

type xlangRecord struct {
	Topic   string        `json:"topic"`
	Payload string        `json:"payload"` // base64
	Headers []xlangHeader `json:"headers,omitempty"`
}

func xlangDir(t *testing.T) string {
	dir := os.Getenv("LOCKSTEP_XLANG_DIR")
	if dir == "" {
		t.Skip("LOCKSTEP_XLANG_DIR not set (run-all.sh sets it)")
	}
	return dir
}

func writeRecord(t *testing.T, dir, name, topic string, headers []kafka.Header, payload []byte) {
	t.Helper()
	rec := xlangRecord{Topic: topic, Payload: base64.StdEncoding.EncodeToString(payload)}
	for _, h := range headers {
		rec.Headers = append(rec.Headers, xlangHeader{h.Key, base64.StdEncoding.EncodeToString(h.Value)})
	}
	raw := ok(json.Marshal(rec))(t)
	if err := os.WriteFile(filepath.Join(dir, name+".json"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
}

func readRecord(t *testing.T, dir, name string) (string, []kafka.Header, []byte) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, name+".json"))
	if err != nil {
		t.Fatalf("the other language wrote no %s: %v", name, err)
	}
	var rec xlangRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var headers []kafka.Header
	for _, h := range rec.Headers {
		headers = append(headers, kafka.Header{Key: h.Key, Value: ok(base64.StdEncoding.DecodeString(h.Value))(t)})
	}
	return rec.Topic, headers, ok(base64.StdEncoding.DecodeString(rec.Payload))(t)
}

func TestCrossLanguageWrite(t *testing.T) {
	dir := xlangDir(t)
	if os.Getenv("LOCKSTEP_XLANG_READ") != "" {
		t.Skip("read pass")
	}
	c := newClient(t)
	run := unique("xlang-go")

	// Avro, schema registered by the Go client, id in the payload prefix.
	topic := run + "-avro"
	ok(c.Register(topic+"-value", schemaregistry.SchemaInfo{Schema: xlangAvroSchema}, false))(t)
	aconf := avrov2.NewSerializerConfig()
	aconf.AutoRegisterSchemas = false
	aconf.UseLatestVersion = true
	aser := ok(avrov2.NewSerializer(c, serde.ValueSerde, aconf))(t)
	writeRecord(t, dir, "go-avro", topic, nil, ok(aser.Serialize(topic, ptr(xlangAvroValue("go"))))(t))

	// Avro again, schema guid in the __value_schema_id header.
	topic = run + "-avro-guid"
	ok(c.Register(topic+"-value", schemaregistry.SchemaInfo{Schema: xlangAvroSchema}, false))(t)
	aser = ok(avrov2.NewSerializer(c, serde.ValueSerde, aconf))(t)
	aser.SchemaIDSerializer = serde.HeaderSchemaIDSerializer
	h, p := mustHeaders(t)(aser.SerializeWithHeaders(topic, ptr(xlangAvroValue("go"))))
	writeRecord(t, dir, "go-avro-guid", topic, h, p)

	// Protobuf, auto-registered with its imported file as a reference.
	topic = run + "-proto"
	fd := parseProtos(t, protoSources, "shop/order.proto")
	pser := ok(protobuf.NewSerializer(c, serde.ValueSerde, protobuf.NewSerializerConfig()))(t)
	msg := newMessage(t, messageType(t, fd, "shop.Order"), xlangProtoJSON("go"))
	writeRecord(t, dir, "go-protobuf", topic, nil, ok(pser.Serialize(topic, msg))(t))

	// JSON Schema.
	topic = run + "-json"
	ok(c.Register(topic+"-value", schemaregistry.SchemaInfo{Schema: xlangJSONSchema, SchemaType: "JSON"}, false))(t)
	jconf := jsonschema.NewSerializerConfig()
	jconf.AutoRegisterSchemas = false
	jconf.UseLatestVersion = true
	jconf.EnableValidation = true
	jser := ok(jsonschema.NewSerializer(c, serde.ValueSerde, jconf))(t)
	writeRecord(t, dir, "go-json", topic, nil, ok(jser.Serialize(topic, xlangJSONValue("go")))(t))
}

func TestCrossLanguageRead(t *testing.T) {
	dir := xlangDir(t)
	langs := os.Getenv("LOCKSTEP_XLANG_READ")
	if langs == "" {
		t.Skip("write pass")
	}
	for _, lang := range strings.Split(langs, ",") {
		t.Run(lang+"/avro", func(t *testing.T) {
			for _, name := range []string{lang + "-avro", lang + "-avro-guid"} {
				topic, headers, payload := readRecord(t, dir, name)
				d := ok(avrov2.NewDeserializer(newClient(t), serde.ValueSerde, avrov2.NewDeserializerConfig()))(t)
				var got payment
				if err := d.DeserializeWithHeadersInto(topic, headers, payload, &got); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				note := "from " + lang
				want := payment{ID: "p-" + lang, Amount: 12.5, Tags: []string{"a", lang}, Note: &note}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("%s: got %+v, want %+v", name, got, want)
				}
			}
		})
		t.Run(lang+"/protobuf", func(t *testing.T) {
			topic, headers, payload := readRecord(t, dir, lang+"-protobuf")
			fd := parseProtos(t, protoSources, "shop/order.proto")
			d := protoDeserializer(t, fd, nil, "shop.Order")
			got := ok(d.DeserializeWithHeaders(topic, headers, payload))(t).(proto.Message)
			want := newMessage(t, messageType(t, fd, "shop.Order"), xlangProtoJSON(lang))
			if !proto.Equal(got, want) {
				t.Fatalf("got %v, want %v", got, want)
			}
		})
		t.Run(lang+"/json", func(t *testing.T) {
			topic, headers, payload := readRecord(t, dir, lang+"-json")
			d := ok(jsonschema.NewDeserializer(newClient(t), serde.ValueSerde, jsonschema.NewDeserializerConfig()))(t)
			var got map[string]any
			if err := d.DeserializeWithHeadersInto(topic, headers, payload, &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, xlangJSONValue(lang)) {
				t.Fatalf("got %#v, want %#v", got, xlangJSONValue(lang))
			}
		})
	}
}
