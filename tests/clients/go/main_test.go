// Package clients runs Confluent's Go Schema Registry client and serdes
// (github.com/confluentinc/confluent-kafka-go/v2/schemaregistry) against a real
// `lockstep registry`, started by ../run-all.sh, which sets LOCKSTEP_URL.
package clients

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry/rest"
)

var registryURL string

func TestMain(m *testing.M) {
	registryURL = os.Getenv("LOCKSTEP_URL")
	if registryURL == "" {
		fmt.Fprintln(os.Stderr, "LOCKSTEP_URL is not set: run tests/clients/run-all.sh")
		os.Exit(2)
	}
	os.Exit(m.Run())
}

// newClient returns a client with empty caches, so every call it makes reaches the registry.
func newClient(t *testing.T) schemaregistry.Client {
	t.Helper()
	c, err := schemaregistry.NewClient(schemaregistry.NewConfig(registryURL))
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// unique gives a topic name no other test (or earlier run) uses.
func unique(prefix string) string {
	return fmt.Sprintf("%s-%08x", prefix, rand.Uint32())
}

// prefixID reads the schema id of the classic wire format: 0x00 + 4-byte big-endian id.
func prefixID(t *testing.T, payload []byte) int {
	t.Helper()
	if len(payload) < 5 || payload[0] != 0 {
		t.Fatalf("not the classic wire format: % x", payload)
	}
	return int(int32(binary.BigEndian.Uint32(payload[1:5])))
}

// restCode returns the Confluent error_code carried by err, or 0.
func restCode(err error) int {
	var re *rest.Error
	if errors.As(err, &re) {
		return re.Code
	}
	return 0
}

// ok unpacks a (value, error) pair: ok(f())(t) fails the test on an error.
func ok[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatalf("%v", err)
		}
		return v
	}
}

// mustHeaders unpacks SerializeWithHeaders' three results, failing the test on an error.
func mustHeaders(t *testing.T) func([]kafka.Header, []byte, error) ([]kafka.Header, []byte) {
	return func(h []kafka.Header, p []byte, err error) ([]kafka.Header, []byte) {
		t.Helper()
		if err != nil {
			t.Fatalf("%v", err)
		}
		return h, p
	}
}
