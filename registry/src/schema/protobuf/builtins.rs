//! Semantic validation with protox, and the built-in files: google/type/*, confluent/*
//! (message/field layout from their public definitions) and google/protobuf/* (from
//! prost-reflect's bundled descriptors).

use super::*;

pub(super) struct MemResolver {
    pub(super) files: HashMap<String, String>,
}

impl protox::file::FileResolver for MemResolver {
    fn open_file(&self, name: &str) -> Result<protox::file::File, protox::Error> {
        if let Some(src) = self.files.get(name) {
            return protox::file::File::from_source(name, src);
        }
        if let Some(src) = builtin_source(name) {
            return protox::file::File::from_source(name, src);
        }
        Err(protox::Error::file_not_found(name))
    }
}

pub(super) fn compile(text: &str, references: &[(&str, &str)]) -> Result<DescriptorPool, ProtobufError> {
    let mut files: HashMap<String, String> =
        references.iter().map(|(n, t)| ((*n).to_string(), (*t).to_string())).collect();
    files.insert(MAIN_FILE.to_string(), text.to_string());
    // protox is not known to panic, but it runs on untrusted text: a panic in it must not take the
    // request down with it, so it is contained here and reported as an invalid schema.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
        let mut chain = protox::file::ChainFileResolver::new();
        chain.add(MemResolver { files });
        chain.add(protox::file::GoogleFileResolver::new());
        let mut compiler = protox::Compiler::with_file_resolver(chain);
        compiler.include_imports(true);
        compiler.open_file(MAIN_FILE).map(|c| c.descriptor_pool()).map_err(|e| e.to_string())
    }));
    match result {
        Ok(Ok(pool)) => Ok(pool),
        Ok(Err(e)) => Err(ProtobufError(format!("Invalid Protobuf schema - {}", e.replace(MAIN_FILE, "schema")))),
        Err(_) => Err(ProtobufError("Invalid Protobuf schema - internal compiler error".to_string())),
    }
}

pub(super) const BUILTIN_SOURCES: &[(&str, &str)] = &[
    (
        "confluent/meta.proto",
        "syntax = \"proto3\";\npackage confluent;\nimport \"google/protobuf/descriptor.proto\";\n\
         option java_package = \"io.confluent.protobuf\";\noption java_outer_classname = \"MetaProto\";\n\
         message Meta {\n  string doc = 1;\n  map<string, string> params = 2;\n  repeated string tags = 3;\n  repeated Rule rules = 4;\n}\n\
         message Rule {\n  string name = 1;\n  string doc = 2;\n  string expr = 3;\n  string sql = 4;\n}\n\
         extend google.protobuf.FileOptions {\n  Meta file_meta = 1088;\n}\n\
         extend google.protobuf.MessageOptions {\n  Meta message_meta = 1088;\n}\n\
         extend google.protobuf.FieldOptions {\n  Meta field_meta = 1088;\n}\n\
         extend google.protobuf.EnumOptions {\n  Meta enum_meta = 1088;\n}\n\
         extend google.protobuf.EnumValueOptions {\n  Meta enum_value_meta = 1088;\n}\n",
    ),
    (
        "confluent/type/decimal.proto",
        "syntax = \"proto3\";\npackage confluent.type;\noption java_package = \"io.confluent.protobuf.type\";\n\
         option java_multiple_files = true;\noption java_outer_classname = \"DecimalProto\";\n\
         message Decimal {\n  bytes value = 1;\n  uint32 precision = 2;\n  int32 scale = 3;\n}\n",
    ),
    (
        "confluent/type/variant.proto",
        "syntax = \"proto3\";\npackage confluent.type;\noption java_package = \"io.confluent.protobuf.type\";\n\
         option java_multiple_files = true;\noption java_outer_classname = \"VariantProto\";\n\
         message Variant {\n  bytes metadata = 1;\n  bytes value = 2;\n}\n",
    ),
    (
        "google/type/calendar_period.proto",
        "syntax = \"proto3\";\npackage google.type;\nenum CalendarPeriod {\n  CALENDAR_PERIOD_UNSPECIFIED = 0;\n  DAY = 1;\n  \
         WEEK = 2;\n  FORTNIGHT = 3;\n  MONTH = 4;\n  QUARTER = 5;\n  HALF = 6;\n  YEAR = 7;\n}\n",
    ),
    (
        "google/type/color.proto",
        "syntax = \"proto3\";\npackage google.type;\nimport \"google/protobuf/wrappers.proto\";\n\
         message Color {\n  float red = 1;\n  float green = 2;\n  float blue = 3;\n  google.protobuf.FloatValue alpha = 4;\n}\n",
    ),
    (
        "google/type/date.proto",
        "syntax = \"proto3\";\npackage google.type;\nmessage Date {\n  int32 year = 1;\n  int32 month = 2;\n  int32 day = 3;\n}\n",
    ),
    (
        "google/type/datetime.proto",
        "syntax = \"proto3\";\npackage google.type;\nimport \"google/protobuf/duration.proto\";\n\
         message DateTime {\n  int32 year = 1;\n  int32 month = 2;\n  int32 day = 3;\n  int32 hours = 4;\n  \
         int32 minutes = 5;\n  int32 seconds = 6;\n  int32 nanos = 7;\n  oneof time_offset {\n    \
         google.protobuf.Duration utc_offset = 8;\n    TimeZone time_zone = 9;\n  }\n}\n\
         message TimeZone {\n  string id = 1;\n  string version = 2;\n}\n",
    ),
    (
        "google/type/dayofweek.proto",
        "syntax = \"proto3\";\npackage google.type;\nenum DayOfWeek {\n  DAY_OF_WEEK_UNSPECIFIED = 0;\n  MONDAY = 1;\n  \
         TUESDAY = 2;\n  WEDNESDAY = 3;\n  THURSDAY = 4;\n  FRIDAY = 5;\n  SATURDAY = 6;\n  SUNDAY = 7;\n}\n",
    ),
    ("google/type/decimal.proto", "syntax = \"proto3\";\npackage google.type;\nmessage Decimal {\n  string value = 1;\n}\n"),
    (
        "google/type/expr.proto",
        "syntax = \"proto3\";\npackage google.type;\nmessage Expr {\n  string expression = 1;\n  string title = 2;\n  \
         string description = 3;\n  string location = 4;\n}\n",
    ),
    (
        "google/type/fraction.proto",
        "syntax = \"proto3\";\npackage google.type;\nmessage Fraction {\n  int64 numerator = 1;\n  int64 denominator = 2;\n}\n",
    ),
    (
        "google/type/interval.proto",
        "syntax = \"proto3\";\npackage google.type;\nimport \"google/protobuf/timestamp.proto\";\n\
         message Interval {\n  google.protobuf.Timestamp start_time = 1;\n  google.protobuf.Timestamp end_time = 2;\n}\n",
    ),
    (
        "google/type/latlng.proto",
        "syntax = \"proto3\";\npackage google.type;\nmessage LatLng {\n  double latitude = 1;\n  double longitude = 2;\n}\n",
    ),
    (
        "google/type/money.proto",
        "syntax = \"proto3\";\npackage google.type;\nmessage Money {\n  string currency_code = 1;\n  int64 units = 2;\n  \
         int32 nanos = 3;\n}\n",
    ),
    (
        "google/type/month.proto",
        "syntax = \"proto3\";\npackage google.type;\nenum Month {\n  MONTH_UNSPECIFIED = 0;\n  JANUARY = 1;\n  FEBRUARY = 2;\n  \
         MARCH = 3;\n  APRIL = 4;\n  MAY = 5;\n  JUNE = 6;\n  JULY = 7;\n  AUGUST = 8;\n  SEPTEMBER = 9;\n  OCTOBER = 10;\n  \
         NOVEMBER = 11;\n  DECEMBER = 12;\n}\n",
    ),
    (
        "google/type/phone_number.proto",
        "syntax = \"proto3\";\npackage google.type;\nmessage PhoneNumber {\n  oneof kind {\n    string e164_number = 1;\n    \
         ShortCode short_code = 2;\n  }\n  string extension = 3;\n  message ShortCode {\n    string region_code = 1;\n    \
         string number = 2;\n  }\n}\n",
    ),
    (
        "google/type/postal_address.proto",
        "syntax = \"proto3\";\npackage google.type;\nmessage PostalAddress {\n  int32 revision = 1;\n  string region_code = 2;\n  \
         string language_code = 3;\n  string postal_code = 4;\n  string sorting_code = 5;\n  string administrative_area = 6;\n  \
         string locality = 7;\n  string sublocality = 8;\n  repeated string address_lines = 9;\n  repeated string recipients = 10;\n  \
         string organization = 11;\n}\n",
    ),
    (
        "google/type/quaternion.proto",
        "syntax = \"proto3\";\npackage google.type;\nmessage Quaternion {\n  double x = 1;\n  double y = 2;\n  double z = 3;\n  \
         double w = 4;\n}\n",
    ),
    (
        "google/type/timeofday.proto",
        "syntax = \"proto3\";\npackage google.type;\nmessage TimeOfDay {\n  int32 hours = 1;\n  int32 minutes = 2;\n  \
         int32 seconds = 3;\n  int32 nanos = 4;\n}\n",
    ),
];

pub(super) const GOOGLE_PROTOBUF_FILES: &[&str] = &[
    "google/protobuf/any.proto",
    "google/protobuf/api.proto",
    "google/protobuf/descriptor.proto",
    "google/protobuf/duration.proto",
    "google/protobuf/empty.proto",
    "google/protobuf/field_mask.proto",
    "google/protobuf/source_context.proto",
    "google/protobuf/struct.proto",
    "google/protobuf/timestamp.proto",
    "google/protobuf/type.proto",
    "google/protobuf/wrappers.proto",
];

pub(super) fn builtin_source(name: &str) -> Option<&'static str> {
    BUILTIN_SOURCES.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
}

/// Syntax trees of every built-in file (Confluent's KNOWN_DEPENDENCIES), built once.
pub(super) fn builtin_asts() -> &'static [(&'static str, FileAst)] {
    static CELL: OnceLock<Vec<(&'static str, FileAst)>> = OnceLock::new();
    CELL.get_or_init(|| {
        let mut out = Vec::new();
        for (name, src) in BUILTIN_SOURCES {
            if let Ok(ast) = parse_file(src) {
                out.push((*name, ast));
            }
        }
        let pool = DescriptorPool::global();
        for name in GOOGLE_PROTOBUF_FILES {
            if let Some(fd) = pool.get_file_by_name(name) {
                out.push((*name, ast_from_descriptor(fd.file_descriptor_proto())));
            }
        }
        out
    })
}

pub(crate) fn scalar_type_name(t: i32) -> Option<&'static str> {
    use prost_types::field_descriptor_proto::Type;
    Some(match Type::try_from(t).ok()? {
        Type::Double => "double",
        Type::Float => "float",
        Type::Int64 => "int64",
        Type::Uint64 => "uint64",
        Type::Int32 => "int32",
        Type::Fixed64 => "fixed64",
        Type::Fixed32 => "fixed32",
        Type::Bool => "bool",
        Type::String => "string",
        Type::Bytes => "bytes",
        Type::Uint32 => "uint32",
        Type::Sfixed32 => "sfixed32",
        Type::Sfixed64 => "sfixed64",
        Type::Sint32 => "sint32",
        Type::Sint64 => "sint64",
        _ => return None,
    })
}

pub(super) fn field_from_descriptor(fd: &prost_types::FieldDescriptorProto, proto3: bool) -> FieldEl {
    use prost_types::field_descriptor_proto::Label as L;
    let label = match L::try_from(fd.label.unwrap_or(1)) {
        Ok(L::Repeated) => Some(Label::Repeated),
        Ok(L::Required) => Some(Label::Required),
        _ if proto3 && !fd.proto3_optional.unwrap_or(false) => None,
        _ => Some(Label::Optional),
    };
    let ty = match scalar_type_name(fd.r#type.unwrap_or(0)) {
        Some(s) => s.to_string(),
        None => fd.type_name.clone().unwrap_or_default(),
    };
    FieldEl {
        label,
        ty,
        name: fd.name.clone().unwrap_or_default(),
        tag: fd.number.unwrap_or(0),
        default: None,
        json_name: None,
        options: Vec::new(),
    }
}

pub(super) fn extends_from_descriptor(exts: &[prost_types::FieldDescriptorProto], proto3: bool) -> Vec<ExtendEl> {
    let mut out: Vec<ExtendEl> = Vec::new();
    for fd in exts {
        let extendee = fd.extendee.clone().unwrap_or_default();
        let field = field_from_descriptor(fd, proto3);
        match out.iter_mut().find(|e| e.name == extendee) {
            Some(e) => e.fields.push(field),
            None => out.push(ExtendEl { name: extendee, fields: vec![field] }),
        }
    }
    out
}

pub(super) fn message_from_descriptor(d: &prost_types::DescriptorProto, proto3: bool) -> MessageEl {
    let mut m = MessageEl { name: d.name.clone().unwrap_or_default(), ..Default::default() };
    let mut oneofs: Vec<OneofEl> = d
        .oneof_decl
        .iter()
        .map(|o| OneofEl { name: o.name.clone().unwrap_or_default(), ..Default::default() })
        .collect();
    for fd in &d.field {
        let field = field_from_descriptor(fd, proto3);
        match fd.oneof_index {
            Some(i) if !fd.proto3_optional.unwrap_or(false) => {
                match usize::try_from(i).ok().and_then(|i| oneofs.get_mut(i)) {
                    Some(o) => o.fields.push(field),
                    None => m.fields.push(field),
                }
            }
            _ => m.fields.push(field),
        }
    }
    m.oneofs = oneofs.into_iter().filter(|o| !o.fields.is_empty()).collect();
    for n in &d.nested_type {
        m.nested.push(TypeEl::Message(message_from_descriptor(n, proto3)));
    }
    for e in &d.enum_type {
        m.nested.push(TypeEl::Enum(enum_from_descriptor(e)));
    }
    if d.options.as_ref().and_then(|o| o.map_entry).unwrap_or(false) {
        m.options.push(Opt { name: "map_entry".into(), paren: false, value: OVal::Bool("true".into()) });
    }
    m.extends = extends_from_descriptor(&d.extension, proto3);
    m
}

pub(super) fn enum_from_descriptor(e: &prost_types::EnumDescriptorProto) -> EnumEl {
    EnumEl {
        name: e.name.clone().unwrap_or_default(),
        constants: e
            .value
            .iter()
            .map(|v| EnumConst {
                name: v.name.clone().unwrap_or_default(),
                tag: v.number.unwrap_or(0),
                options: Vec::new(),
            })
            .collect(),
        ..Default::default()
    }
}

pub(super) fn ast_from_descriptor(fd: &prost_types::FileDescriptorProto) -> FileAst {
    let proto3 = fd.syntax.as_deref() == Some("proto3");
    let mut types = Vec::new();
    for m in &fd.message_type {
        types.push(TypeEl::Message(message_from_descriptor(m, proto3)));
    }
    for e in &fd.enum_type {
        types.push(TypeEl::Enum(enum_from_descriptor(e)));
    }
    FileAst {
        syntax: fd.syntax.clone(),
        package: fd.package.clone().filter(|p| !p.is_empty()),
        types,
        extends: extends_from_descriptor(&fd.extension, proto3),
        ..Default::default()
    }
}
