package clients

import (
	"io"
	"strings"
	"testing"

	"github.com/jhump/protoreflect/desc"
	"github.com/jhump/protoreflect/desc/protoparse"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

// The .proto files the Protobuf tests (and the JavaScript suite, by the same names and
// shapes) use: an order that imports a shared money type from another file.
var protoSources = map[string]string{
	"shop/common.proto": `syntax = "proto3";
package shop;

message Money {
  int64 units = 1;
  string currency = 2;
}
`,
	"shop/order.proto": `syntax = "proto3";
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
`,
}

// parseProtos compiles the sources in memory, as generated code would carry them.
func parseProtos(t *testing.T, sources map[string]string, name string) *desc.FileDescriptor {
	t.Helper()
	p := protoparse.Parser{
		Accessor: func(filename string) (io.ReadCloser, error) {
			if src, ok := sources[filename]; ok {
				return io.NopCloser(strings.NewReader(src)), nil
			}
			return nil, &missingFile{filename}
		},
		IncludeSourceCodeInfo: false,
		LookupImport:          nil,
	}
	fds, err := p.ParseFiles(name)
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	return fds[0]
}

type missingFile struct{ name string }

func (m *missingFile) Error() string { return "no such file: " + m.name }

// messageType gives a dynamic (reflection-based) message type, the same API generated
// types implement.
func messageType(t *testing.T, fd *desc.FileDescriptor, fullName string) protoreflect.MessageType {
	t.Helper()
	md := fd.FindSymbol(fullName)
	if md == nil {
		t.Fatalf("no message %s", fullName)
	}
	return dynamicpb.NewMessageType(md.(*desc.MessageDescriptor).UnwrapMessage())
}
