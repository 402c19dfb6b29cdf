package clients

import (
	"testing"

	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry"
)

// The error codes the Go client surfaces (rest.Error.Code), which callers branch on.
func TestClientErrorCodes(t *testing.T) {
	c := newClient(t)
	subject := unique("go-errors") + "-value"
	id := ok(c.Register(subject, schemaregistry.SchemaInfo{Schema: userV1}, false))(t)

	cases := []struct {
		name string
		code int
		call func() error
	}{
		{"unknown subject", 40401, func() error {
			_, err := newClient(t).GetLatestSchemaMetadata(unique("go-none"))
			return err
		}},
		{"unknown version", 40402, func() error {
			_, err := newClient(t).GetSchemaMetadata(subject, 99)
			return err
		}},
		{"unknown schema id", 40403, func() error {
			_, err := newClient(t).GetBySubjectAndID(subject, id+100000)
			return err
		}},
		{"unknown guid", 40403, func() error {
			_, err := newClient(t).GetByGUID("5fd8bc5b-1e2a-4b7e-9a47-000000000000")
			return err
		}},
		{"invalid schema", 42201, func() error {
			_, err := newClient(t).Register(unique("go-bad"), schemaregistry.SchemaInfo{Schema: `{"type":"record"}`}, false)
			return err
		}},
		{"lookup of a schema the subject does not hold", 40403, func() error {
			_, err := newClient(t).GetID(subject, schemaregistry.SchemaInfo{Schema: userV2}, false)
			return err
		}},
		{"permanent delete before soft delete", 40405, func() error {
			_, err := newClient(t).DeleteSubject(subject, true)
			return err
		}},
	}
	for _, tc := range cases {
		if got := restCode(tc.call()); got != tc.code {
			t.Errorf("%s: error_code %d, want %d", tc.name, got, tc.code)
		}
	}

	// Incompatible: the client reports false, and registering is refused with 409 (or 8.x's 40901).
	incompatible := `{"type":"record","name":"User","namespace":"lockstep.test","fields":[{"name":"id","type":"string"}]}`
	if compatible := ok(c.TestSubjectCompatibility(subject, schemaregistry.SchemaInfo{Schema: incompatible}))(t); compatible {
		t.Error("an incompatible schema was reported compatible")
	}
	_, err := c.Register(subject, schemaregistry.SchemaInfo{Schema: incompatible}, false)
	if code := restCode(err); code != 409 && code != 40901 {
		t.Errorf("incompatible registration: %v", err)
	}

	// Soft delete, then the subject is gone for reads but its versions are listed with deleted=true.
	if versions := ok(c.DeleteSubject(subject, false))(t); len(versions) != 1 || versions[0] != 1 {
		t.Fatalf("soft delete returned %v", versions)
	}
	if _, err := newClient(t).GetLatestSchemaMetadata(subject); restCode(err) != 40401 {
		t.Errorf("latest after soft delete: %v", err)
	}
	if got := ok(newClient(t).GetSchemaMetadataIncludeDeleted(subject, 1, true))(t); got.ID != id {
		t.Errorf("deleted version 1 has id %d, want %d", got.ID, id)
	}
	if versions := ok(c.DeleteSubject(subject, true))(t); len(versions) != 1 {
		t.Errorf("permanent delete returned %v", versions)
	}
}
