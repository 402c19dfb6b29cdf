//! Parser: declarations (messages, fields, oneofs, groups, enums, services, ranges).

use super::*;

impl Parser {
    pub(super) fn read_declaration(&mut self, ctx: Ctx) -> PResult<Option<Decl>> {
        let index = self.decl_count;
        self.decl_count += 1;
        if self.peek_is(';')? {
            return Ok(None);
        }
        let label = self.read_word(ctx != Ctx::Enum, true)?;
        let permits_message = matches!(ctx, Ctx::File | Ctx::Message);
        match label.as_str() {
            "package" if ctx == Ctx::File => {
                let name = self.read_name(true, false, true)?;
                self.package = Some(name);
                self.require(';')?;
                Ok(None)
            }
            "import" if ctx == Ctx::File => {
                let c = self.peek()?;
                if c == '"' || c == '\'' {
                    let s = self.read_quoted_string()?;
                    self.imports.push(s);
                } else {
                    match self.read_string()?.as_str() {
                        "weak" => {
                            // Wire keeps weak imports apart; Confluent's printer never prints them.
                            self.read_quoted_string()?;
                        }
                        "public" => {
                            let s = self.read_quoted_string()?;
                            self.public_imports.push(s);
                        }
                        _ => return self.err("expected quoted string"),
                    }
                }
                self.require(';')?;
                Ok(None)
            }
            "syntax" if ctx == Ctx::File => {
                if self.syntax.is_some() {
                    return self.err("too many syntax definitions");
                }
                self.require('=')?;
                if index != 0 {
                    return self.err("'syntax' element must be the first declaration in a file");
                }
                let s = self.read_quoted_string()?;
                if s != "proto2" && s != "proto3" {
                    return self.err(format!("unexpected syntax: {s}"));
                }
                self.syntax = Some(s);
                self.require(';')?;
                Ok(None)
            }
            "option" => {
                let o = self.read_option('=')?;
                self.require(';')?;
                Ok(Some(Decl::Option(o)))
            }
            "reserved" => Ok(Some(Decl::Reserved(self.read_reserved()?))),
            "message" if permits_message => Ok(Some(Decl::Type(TypeEl::Message(self.read_message()?)))),
            "enum" if permits_message => Ok(Some(Decl::Type(TypeEl::Enum(self.read_enum()?)))),
            "service" if ctx == Ctx::File => Ok(Some(Decl::Service(self.read_service()?))),
            "extend" if permits_message => Ok(Some(Decl::Extend(self.read_extend()?))),
            "rpc" if ctx == Ctx::Service => Ok(Some(Decl::Rpc(self.read_rpc()?))),
            "oneof" if ctx == Ctx::Message => Ok(Some(Decl::Oneof(self.read_oneof()?))),
            "extensions" if ctx == Ctx::Message => Ok(Some(Decl::Extensions(self.read_extensions()?))),
            _ if matches!(ctx, Ctx::Message | Ctx::Extend) => self.read_field_decl(label),
            _ if ctx == Ctx::Enum => Ok(Some(Decl::Const(self.read_enum_constant(label)?))),
            "edition" if ctx == Ctx::File => self.err("edition is not currently supported"),
            _ => self.err(format!("unexpected label: {label}")),
        }
    }

    pub(super) fn read_message(&mut self) -> PResult<MessageEl> {
        self.enter()?;
        let mut m = MessageEl { name: self.read_name(true, false, true)?, ..Default::default() };
        self.require('{')?;
        loop {
            if self.peek_is('}')? {
                break;
            }
            match self.read_declaration(Ctx::Message)? {
                Some(Decl::Field(f)) => m.fields.push(f),
                Some(Decl::Oneof(o)) => m.oneofs.push(o),
                Some(Decl::Group(g)) => m.groups.push(g),
                Some(Decl::Type(t)) => m.nested.push(t),
                Some(Decl::Extensions(e)) => m.extensions.push(e),
                Some(Decl::Option(o)) => m.options.push(o),
                Some(Decl::Extend(e)) => m.extends.push(e),
                Some(Decl::Reserved(r)) => m.reserveds.push(r),
                _ => {}
            }
        }
        self.leave();
        Ok(m)
    }

    pub(super) fn read_extend(&mut self) -> PResult<ExtendEl> {
        let name = self.read_name(true, false, true)?;
        let mut fields = Vec::new();
        self.require('{')?;
        loop {
            if self.peek_is('}')? {
                break;
            }
            if let Some(Decl::Field(f)) = self.read_declaration(Ctx::Extend)? {
                fields.push(f);
            }
        }
        Ok(ExtendEl { name, fields })
    }

    pub(super) fn read_service(&mut self) -> PResult<ServiceEl> {
        let name = self.read_name(true, false, true)?;
        let mut rpcs = Vec::new();
        let mut options = Vec::new();
        self.require('{')?;
        loop {
            if self.peek_is('}')? {
                break;
            }
            match self.read_declaration(Ctx::Service)? {
                Some(Decl::Rpc(r)) => rpcs.push(r),
                Some(Decl::Option(o)) => options.push(o),
                _ => {}
            }
        }
        Ok(ServiceEl { name, rpcs, options })
    }

    pub(super) fn read_enum(&mut self) -> PResult<EnumEl> {
        let mut e = EnumEl { name: self.read_name(true, false, true)?, ..Default::default() };
        self.require('{')?;
        loop {
            if self.peek_is('}')? {
                break;
            }
            match self.read_declaration(Ctx::Enum)? {
                Some(Decl::Const(c)) => e.constants.push(c),
                Some(Decl::Option(o)) => e.options.push(o),
                Some(Decl::Reserved(r)) => e.reserveds.push(r),
                _ => {}
            }
        }
        Ok(e)
    }

    pub(super) fn read_field_decl(&mut self, word: String) -> PResult<Option<Decl>> {
        let (label, ty) = match word.as_str() {
            "required" => {
                if self.syntax.as_deref() == Some("proto3") {
                    return self.err("'required' label forbidden in proto3 field declarations");
                }
                (Some(Label::Required), self.read_data_type()?)
            }
            "optional" => (Some(Label::Optional), self.read_data_type()?),
            "repeated" => (Some(Label::Repeated), self.read_data_type()?),
            _ => {
                let is_map = word == "map" && self.peek()? == '<';
                if self.syntax.as_deref() != Some("proto3") && !is_map {
                    return self.err(format!("unexpected label: {word}"));
                }
                (None, self.read_data_type_named(word)?)
            }
        };
        if ty.starts_with("map<") && label.is_some() {
            return self.err("'map' type cannot have label");
        }
        if ty == "group" {
            return Ok(Some(Decl::Group(self.read_group(label)?)));
        }
        Ok(Some(Decl::Field(self.read_field(label, ty)?)))
    }

    pub(super) fn read_field(&mut self, label: Option<Label>, ty: String) -> PResult<FieldEl> {
        let name = self.read_name(false, false, true)?;
        self.require('=')?;
        let tag = self.read_int()?;
        let mut options = self.read_options()?;
        let default = strip_value("default", &mut options);
        let json_name = strip_value("json_name", &mut options);
        self.require(';')?;
        Ok(FieldEl { label, ty, name, tag, default, json_name, options })
    }

    pub(super) fn read_oneof(&mut self) -> PResult<OneofEl> {
        let mut o = OneofEl { name: self.read_name(true, false, true)?, ..Default::default() };
        self.require('{')?;
        loop {
            if self.peek_is('}')? {
                break;
            }
            let ty = self.read_data_type()?;
            match ty.as_str() {
                "group" => o.groups.push(self.read_group(None)?),
                "option" => {
                    o.options.push(self.read_option('=')?);
                    self.require(';')?;
                }
                _ => o.fields.push(self.read_field(None, ty)?),
            }
        }
        Ok(o)
    }

    pub(super) fn read_group(&mut self, label: Option<Label>) -> PResult<GroupEl> {
        self.enter()?;
        let name = self.read_word(true, true)?;
        self.require('=')?;
        let tag = self.read_int()?;
        let mut fields = Vec::new();
        self.require('{')?;
        loop {
            if self.peek_is('}')? {
                break;
            }
            let word = self.read_word(true, true)?;
            match self.read_field_decl(word)? {
                Some(Decl::Field(f)) => fields.push(f),
                _ => return self.err("expected field declaration"),
            }
        }
        self.leave();
        Ok(GroupEl { label, name, tag, fields })
    }

    pub(super) fn read_range_end(&mut self) -> PResult<i32> {
        let w = self.read_word(true, true)?;
        if w == "max" {
            return Ok(MAX_TAG_VALUE);
        }
        match w.parse::<i32>() {
            Ok(v) => Ok(v),
            Err(_) => self.err(format!("expected an integer but was {w}")),
        }
    }

    pub(super) fn read_reserved(&mut self) -> PResult<Vec<RangeVal>> {
        let mut values = Vec::new();
        loop {
            let c = self.peek()?;
            if c == '"' || c == '\'' {
                values.push(RangeVal::Name(self.read_quoted_string()?));
            } else {
                let start = self.read_int()?;
                let c = self.peek()?;
                if c == ',' || c == ';' {
                    values.push(RangeVal::Tag(start));
                } else {
                    if self.read_word(true, true)? != "to" {
                        return self.err("expected ',', ';', or 'to'");
                    }
                    let end = self.read_range_end()?;
                    values.push(RangeVal::Range(start, end));
                }
            }
            match self.read_char()? {
                ';' => break,
                ',' => continue,
                _ => return self.err("expected ',' or ';'"),
            }
        }
        Ok(values)
    }

    pub(super) fn read_extensions(&mut self) -> PResult<ExtensionsEl> {
        let mut values = Vec::new();
        let mut options = Vec::new();
        loop {
            let start = self.read_int()?;
            let c = self.peek()?;
            if c == ',' || c == ';' || c == '[' {
                values.push(RangeVal::Tag(start));
            } else {
                if self.read_word(true, true)? != "to" {
                    return self.err("expected ',', ';', '[' or 'to'");
                }
                let end = self.read_range_end()?;
                values.push(RangeVal::Range(start, end));
            }
            if self.peek()? == '[' {
                options.extend(self.read_options()?);
                self.require(';')?;
                break;
            }
            match self.read_char()? {
                ';' => break,
                ',' => continue,
                _ => return self.err("expected ',' or ';'"),
            }
        }
        Ok(ExtensionsEl { values, options })
    }

    pub(super) fn read_enum_constant(&mut self, name: String) -> PResult<EnumConst> {
        self.require('=')?;
        let tag = self.read_int()?;
        let options = self.read_options()?;
        self.require(';')?;
        Ok(EnumConst { name, tag, options })
    }

    pub(super) fn read_rpc_type(&mut self) -> PResult<(bool, String)> {
        let word = self.read_word(true, true)?;
        if word == "stream" {
            Ok((true, self.read_data_type()?))
        } else {
            Ok((false, self.read_data_type_named(word)?))
        }
    }

    pub(super) fn read_rpc(&mut self) -> PResult<RpcEl> {
        let name = self.read_name(true, false, true)?;
        self.require('(')?;
        let (request_stream, request) = self.read_rpc_type()?;
        self.require(')')?;
        if self.read_word(true, true)? != "returns" {
            return self.err("expected 'returns'");
        }
        self.require('(')?;
        let (response_stream, response) = self.read_rpc_type()?;
        self.require(')')?;
        let mut options = Vec::new();
        if self.peek_is('{')? {
            loop {
                if self.peek_is('}')? {
                    break;
                }
                if let Some(Decl::Option(o)) = self.read_declaration(Ctx::Rpc)? {
                    options.push(o);
                }
            }
        } else {
            self.require(';')?;
        }
        Ok(RpcEl { name, request, response, request_stream, response_stream, options })
    }
}
