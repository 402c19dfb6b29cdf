//! Parser: options (Wire's `OptionReader`) and the field options Wire moves out.

use super::*;

impl Parser {
    pub(super) fn read_options(&mut self) -> PResult<Vec<Opt>> {
        if !self.peek_is('[')? {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        loop {
            out.push(self.read_option('=')?);
            if self.peek_is(']')? {
                break;
            }
            if !self.peek_is(',')? {
                return self.err("Expected ',' or ']");
            }
        }
        Ok(out)
    }

    pub(super) fn read_option(&mut self, sep: char) -> PResult<Opt> {
        self.enter()?;
        let first = self.peek()?;
        let is_extension = first == '[';
        let paren = first == '(';
        let mut name = self.read_name(true, false, true)?;
        if is_extension {
            name = format!("[{name}]");
        }
        let mut sub_names = Vec::new();
        let mut c;
        loop {
            c = self.read_char()?;
            if c != '.' {
                break;
            }
            sub_names.push(self.read_name(true, true, false)?);
        }
        if sep == ':' && c == '{' {
            self.pos -= 1;
        } else if c != sep {
            return self.err(format!("expected '{sep}' in option"));
        }
        let mut value = self.read_value()?;
        for sub in sub_names.into_iter().rev() {
            let (sub, sub_paren) = match sub.strip_prefix('(').and_then(|s| s.strip_suffix(')')) {
                Some(inner) => (inner.to_string(), true),
                None => (sub, false),
            };
            value = OVal::Opt(Box::new(Opt { name: sub, paren: sub_paren, value }));
        }
        self.leave();
        Ok(Opt { name, paren, value })
    }

    pub(super) fn read_value(&mut self) -> PResult<OVal> {
        match self.peek()? {
            '{' => self.read_map(),
            '[' => self.read_list(),
            '"' | '\'' => Ok(OVal::Str(self.read_string()?)),
            c if c.is_ascii_digit() || c == '-' => Ok(OVal::Num(self.read_word(true, true)?)),
            _ => {
                let w = self.read_word(true, true)?;
                Ok(match w.as_str() {
                    "true" | "false" => OVal::Bool(w),
                    _ => OVal::Enum(w),
                })
            }
        }
    }

    pub(super) fn read_map(&mut self) -> PResult<OVal> {
        self.enter()?;
        self.require('{')?;
        let mut entries: Vec<(String, OVal)> = Vec::new();
        loop {
            if self.peek_is('}')? {
                break;
            }
            let opt = self.read_option(':')?;
            let key = opt.name;
            match opt.value {
                OVal::Opt(inner) => {
                    let pos = match entries.iter().position(|(k, _)| *k == key) {
                        Some(p) => p,
                        None => {
                            entries.push((key.clone(), OVal::Map(Vec::new())));
                            entries.len() - 1
                        }
                    };
                    if let OVal::Map(nested) = &mut entries[pos].1 {
                        match nested.iter_mut().find(|(k, _)| *k == inner.name) {
                            Some(slot) => slot.1 = inner.value,
                            None => nested.push((inner.name, inner.value)),
                        }
                    }
                }
                value => match entries.iter_mut().find(|(k, _)| *k == key) {
                    None => entries.push((key, value)),
                    Some(slot) => {
                        let prev = std::mem::replace(&mut slot.1, OVal::List(Vec::new()));
                        let mut list = match prev {
                            OVal::List(l) => l,
                            other => vec![other],
                        };
                        match value {
                            OVal::List(l) => list.extend(l),
                            v => list.push(v),
                        }
                        slot.1 = OVal::List(list);
                    }
                },
            }
            if !self.peek_is(',')? {
                self.peek_is(';')?;
            }
        }
        self.leave();
        Ok(OVal::Map(entries))
    }

    pub(super) fn read_list(&mut self) -> PResult<OVal> {
        self.enter()?;
        self.require('[')?;
        let mut out = Vec::new();
        loop {
            if self.peek_is(']')? {
                break;
            }
            out.push(self.read_value()?);
            if self.peek_is(',')? {
                continue;
            }
            if self.peek()? != ']' {
                return self.err("expected ',' or ']'");
            }
        }
        self.leave();
        Ok(OVal::List(out))
    }
}

/// Wire moves `default` and `json_name` out of the field options (the last one wins).
pub(super) fn strip_value(name: &str, options: &mut Vec<Opt>) -> Option<String> {
    let mut result = None;
    options.retain(|o| {
        if o.name == name {
            result = Some(match &o.value {
                OVal::Str(s) | OVal::Bool(s) | OVal::Num(s) | OVal::Enum(s) => s.clone(),
                other => format!("{other:?}"),
            });
            false
        } else {
            true
        }
    });
    result
}

pub(super) fn first_type_name(file: &FileAst) -> Option<String> {
    let first = file
        .types
        .iter()
        .find(|t| matches!(t, TypeEl::Message(_)))
        .or_else(|| file.types.iter().find(|t| matches!(t, TypeEl::Enum(_))))?;
    Some(match file.package.as_deref() {
        Some(p) if !p.is_empty() => format!("{p}.{}", first.name()),
        _ => first.name().to_string(),
    })
}
