//! Confluent's `?format=serialized` for Protobuf (`ProtobufSchema.formattedString("serialized")`):
//! the schema's compiled `FileDescriptorProto`, without source info, protobuf-encoded and base64'd.
//! Confluent builds it under the file name `default`; imports keep the reference names, so a
//! client can compile it against its referenced schemas fetched the same way.

use base64::Engine;
use prost::Message;

use super::*;

/// The file name Confluent gives the main schema's descriptor (`ProtobufSchema.DEFAULT_NAME`).
pub const SERIALIZED_FILE_NAME: &str = "default";

impl ProtobufSchema {
    /// The base64 `FileDescriptorProto` of this schema (Confluent's `serialized` format).
    pub fn serialized(&self) -> String {
        let mut file = match self.pool.get_file_by_name(MAIN_FILE) {
            Some(f) => f.file_descriptor_proto().clone(),
            None => prost_types::FileDescriptorProto::default(),
        };
        file.name = Some(SERIALIZED_FILE_NAME.to_string());
        file.source_code_info = None;
        base64::engine::general_purpose::STANDARD.encode(file.encode_to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORDER: &str = "syntax = \"proto3\";\npackage shop;\nimport \"google/protobuf/timestamp.proto\";\nimport \"shop/money.proto\";\n\nmessage Order {\n  int64 id = 1;\n  map<string, int32> counts = 2;\n  oneof kind {\n    string a = 3;\n    int32 b = 4;\n  }\n  google.protobuf.Timestamp at = 5;\n  Money total = 6;\n  Line line = 7;\n  message Line {\n    string sku = 1;\n  }\n}\nenum Status {\n  UNKNOWN = 0;\n  DONE = 1;\n}\n";
    const MONEY: &str = "syntax = \"proto3\";\npackage shop;\n\nmessage Money {\n  int64 units = 1;\n}\n";

    #[test]
    fn serialized_is_a_descriptor_that_prints_back_to_the_same_schema() {
        let schema = ProtobufSchema::parse(ORDER, &[("shop/money.proto", MONEY)], false).unwrap();
        let b64 = schema.serialized();
        let bytes = base64::engine::general_purpose::STANDARD.decode(&b64).unwrap();
        let file = prost_types::FileDescriptorProto::decode(bytes.as_slice()).unwrap();
        assert_eq!(file.name(), SERIALIZED_FILE_NAME);
        assert_eq!(file.package(), "shop");
        assert_eq!(file.dependency, vec!["google/protobuf/timestamp.proto", "shop/money.proto"]);
        assert!(file.source_code_info.is_none());
        // The registry's own base64 → .proto path reads it back as the same schema.
        let text = base64_descriptor_to_proto(&b64).unwrap();
        let again = ProtobufSchema::parse(&text, &[("shop/money.proto", MONEY)], false)
            .unwrap_or_else(|e| panic!("{e}\n{text}"));
        let written = ProtobufSchema::parse(ORDER, &[("shop/money.proto", MONEY)], false).unwrap();
        assert_eq!(again.message_indexes("shop.Order.Line"), written.message_indexes("shop.Order.Line"));
        assert_eq!(again.top_level_fields(), written.top_level_fields());
        assert_eq!(again.serialized(), b64);
    }

    #[test]
    fn a_referenced_schema_serializes_on_its_own() {
        let money = ProtobufSchema::parse(MONEY, &[], false).unwrap();
        let bytes = base64::engine::general_purpose::STANDARD.decode(money.serialized()).unwrap();
        let file = prost_types::FileDescriptorProto::decode(bytes.as_slice()).unwrap();
        assert_eq!(file.message_type.len(), 1);
        assert_eq!(file.message_type[0].name(), "Money");
        assert!(file.dependency.is_empty());
    }
}
