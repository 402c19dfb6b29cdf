//! Confluent's `Difference.Type` and the differences found.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DiffKind {
    PackageChanged,
    MessageAdded,
    MessageRemoved,
    MessageMoved,
    EnumAdded,
    EnumRemoved,
    EnumConstAdded,
    EnumConstChanged,
    EnumConstRemoved,
    FieldAdded,
    FieldRemoved,
    FieldNameChanged,
    FieldKindChanged,
    FieldScalarKindChanged,
    FieldNamedTypeChanged,
    FieldNumericLabelChanged,
    FieldStringOrBytesLabelChanged,
    RequiredFieldAdded,
    RequiredFieldRemoved,
    OneofAdded,
    OneofRemoved,
    OneofFieldAdded,
    OneofFieldRemoved,
    OneofFieldMovedToTopLevel,
    MultipleFieldsMovedToOneof,
    FieldMovedToExistingOneof,
}

impl DiffKind {
    pub(crate) fn as_str(self) -> &'static str {
        use DiffKind::*;
        match self {
            PackageChanged => "PACKAGE_CHANGED",
            MessageAdded => "MESSAGE_ADDED",
            MessageRemoved => "MESSAGE_REMOVED",
            MessageMoved => "MESSAGE_MOVED",
            EnumAdded => "ENUM_ADDED",
            EnumRemoved => "ENUM_REMOVED",
            EnumConstAdded => "ENUM_CONST_ADDED",
            EnumConstChanged => "ENUM_CONST_CHANGED",
            EnumConstRemoved => "ENUM_CONST_REMOVED",
            FieldAdded => "FIELD_ADDED",
            FieldRemoved => "FIELD_REMOVED",
            FieldNameChanged => "FIELD_NAME_CHANGED",
            FieldKindChanged => "FIELD_KIND_CHANGED",
            FieldScalarKindChanged => "FIELD_SCALAR_KIND_CHANGED",
            FieldNamedTypeChanged => "FIELD_NAMED_TYPE_CHANGED",
            FieldNumericLabelChanged => "FIELD_NUMERIC_LABEL_CHANGED",
            FieldStringOrBytesLabelChanged => "FIELD_STRING_OR_BYTES_LABEL_CHANGED",
            RequiredFieldAdded => "REQUIRED_FIELD_ADDED",
            RequiredFieldRemoved => "REQUIRED_FIELD_REMOVED",
            OneofAdded => "ONEOF_ADDED",
            OneofRemoved => "ONEOF_REMOVED",
            OneofFieldAdded => "ONEOF_FIELD_ADDED",
            OneofFieldRemoved => "ONEOF_FIELD_REMOVED",
            OneofFieldMovedToTopLevel => "ONEOF_FIELD_MOVED_TO_TOP_LEVEL",
            MultipleFieldsMovedToOneof => "MULTIPLE_FIELDS_MOVED_TO_ONEOF",
            FieldMovedToExistingOneof => "FIELD_MOVED_TO_EXISTING_ONEOF",
        }
    }

    /// Confluent's `SchemaDiff.COMPATIBLE_CHANGES`.
    pub(crate) fn is_compatible(self) -> bool {
        use DiffKind::*;
        matches!(
            self,
            MessageAdded
                | MessageMoved
                | EnumAdded
                | EnumRemoved
                | EnumConstAdded
                | EnumConstChanged
                | EnumConstRemoved
                | FieldAdded
                | FieldRemoved
                | FieldNameChanged
                | FieldStringOrBytesLabelChanged
                | OneofAdded
                | OneofRemoved
                | OneofFieldAdded
                | OneofFieldMovedToTopLevel
        )
    }

    /// Description with two `%s` slots: the reader's word, then the writer's.
    pub(crate) fn template(self, p: &str) -> String {
        use DiffKind::*;
        match self {
            PackageChanged => format!("The package at '{p}' in the %s schema does not match the package in the %s schema"),
            MessageRemoved => format!("The %s schema is missing a MESSAGE type at path '{p}' in the %s schema"),
            FieldKindChanged => format!("The type of a field at path '{p}' in the %s schema does not match the %s schema"),
            FieldScalarKindChanged => {
                format!("The kind of a SCALAR field at path '{p}' in the %s schema does not match its kind in the %s schema")
            }
            FieldNamedTypeChanged => {
                format!("The type of a MESSAGE field at path '{p}' in the %s schema does not match its type in the %s schema")
            }
            FieldNumericLabelChanged => format!(
                "The label for a NUMERIC field at path '{p}' in the %s schema does not match its label in the %s schema"
            ),
            RequiredFieldAdded => format!("A required field  at path '{p}' in the %s schema is missing in the %s schema"),
            RequiredFieldRemoved => format!("The %s schema is missing a required field at path: '{p}' in the %s schema"),
            OneofFieldRemoved => format!("The %s schema is missing a oneof field at path '{p}' in the %s schema"),
            OneofFieldMovedToTopLevel => format!(
                "The oneof field at path '{p}' in the %s schema was moved out of its oneof to a top-level field in the %s schema"
            ),
            MultipleFieldsMovedToOneof => {
                format!("Multiple fields in the oneof at path '{p}' in the %s schema are outside a oneof in the %s schema")
            }
            FieldMovedToExistingOneof => {
                format!("A field in the oneof at path '{p}' in the %s schema is outside an existing oneof in the %s schema")
            }
            _ => String::new(),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Diff {
    pub(crate) kind: DiffKind,
    pub(crate) path: String,
}
