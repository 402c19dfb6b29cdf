//! Parser (accepts what Wire's `ProtoParser` accepts, builds the same tree): state, entry point
//! and tokens.

use super::*;

pub(super) type PResult<T> = Result<T, String>;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Ctx {
    File,
    Message,
    Enum,
    Rpc,
    Extend,
    Service,
}

pub(super) enum Decl {
    Type(TypeEl),
    Service(ServiceEl),
    Option(Opt),
    Extend(ExtendEl),
    Field(FieldEl),
    Oneof(OneofEl),
    Group(GroupEl),
    Extensions(ExtensionsEl),
    Reserved(Vec<RangeVal>),
    Const(EnumConst),
    Rpc(RpcEl),
}

pub(super) struct Parser {
    pub(super) data: Vec<char>,
    pub(super) pos: usize,
    pub(super) line: usize,
    pub(super) line_start: usize,
    pub(super) depth: usize,
    pub(super) decl_count: usize,
    pub(super) syntax: Option<String>,
    pub(super) package: Option<String>,
    pub(super) imports: Vec<String>,
    pub(super) public_imports: Vec<String>,
}

pub(super) fn parse_file(text: &str) -> PResult<FileAst> {
    let mut p = Parser {
        data: text.chars().collect(),
        pos: 0,
        line: 0,
        line_start: 0,
        depth: 0,
        decl_count: 0,
        syntax: None,
        package: None,
        imports: Vec::new(),
        public_imports: Vec::new(),
    };
    let mut types: Vec<TypeEl> = Vec::new();
    let mut services: Vec<ServiceEl> = Vec::new();
    let mut extends = Vec::new();
    let mut options = Vec::new();
    loop {
        p.skip_ws(true)?;
        if p.pos >= p.data.len() {
            break;
        }
        match p.read_declaration(Ctx::File)? {
            Some(Decl::Type(t)) => {
                if types.iter().any(|x| x.name() == t.name()) {
                    return Err(format!("{} is already defined", t.name()));
                }
                types.push(t);
            }
            Some(Decl::Service(s)) => {
                if services.iter().any(|x| x.name == s.name) {
                    return Err(format!("{} is already defined", s.name));
                }
                services.push(s);
            }
            Some(Decl::Option(o)) => options.push(o),
            Some(Decl::Extend(e)) => extends.push(e),
            _ => {}
        }
    }
    Ok(FileAst {
        syntax: p.syntax,
        package: p.package,
        imports: p.imports,
        public_imports: p.public_imports,
        types,
        services,
        extends,
        options,
    })
}

impl Parser {
    pub(super) fn err<T>(&self, msg: impl Into<String>) -> PResult<T> {
        Err(format!(
            "Syntax error in {}:{}: {}",
            self.line + 1,
            self.pos.saturating_sub(self.line_start) + 1,
            msg.into()
        ))
    }

    pub(super) fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.err("nesting too deep");
        }
        Ok(())
    }

    pub(super) fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    pub(super) fn skip_ws(&mut self, skip_comments: bool) -> PResult<()> {
        while let Some(&c) = self.data.get(self.pos) {
            match c {
                ' ' | '\t' | '\r' | '\n' => {
                    self.pos += 1;
                    if c == '\n' {
                        self.newline();
                    }
                }
                '/' if skip_comments => self.skip_comment()?,
                _ => return Ok(()),
            }
        }
        Ok(())
    }

    pub(super) fn newline(&mut self) {
        self.line += 1;
        self.line_start = self.pos;
    }

    pub(super) fn skip_comment(&mut self) -> PResult<()> {
        self.pos += 1;
        match self.data.get(self.pos).copied() {
            Some('*') => {
                self.pos += 1;
                while self.pos + 1 < self.data.len() {
                    if self.data[self.pos] == '*' && self.data[self.pos + 1] == '/' {
                        self.pos += 2;
                        return Ok(());
                    }
                    if self.data[self.pos] == '\n' {
                        self.pos += 1;
                        self.newline();
                    } else {
                        self.pos += 1;
                    }
                }
                self.err("unterminated comment")
            }
            Some('/') => {
                while let Some(&c) = self.data.get(self.pos) {
                    self.pos += 1;
                    if c == '\n' {
                        self.newline();
                        break;
                    }
                }
                Ok(())
            }
            _ => self.err("unexpected '/'"),
        }
    }

    pub(super) fn peek(&mut self) -> PResult<char> {
        self.skip_ws(true)?;
        match self.data.get(self.pos) {
            Some(&c) => Ok(c),
            None => self.err("unexpected end of file"),
        }
    }

    /// Consumes `c` if it is next.
    pub(super) fn peek_is(&mut self, c: char) -> PResult<bool> {
        if self.peek()? == c {
            self.pos += 1;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    pub(super) fn read_char(&mut self) -> PResult<char> {
        let c = self.peek()?;
        self.pos += 1;
        Ok(c)
    }

    pub(super) fn require(&mut self, c: char) -> PResult<()> {
        let got = self.read_char()?;
        if got != c {
            return self.err(format!("expected '{c}' but was '{got}'"));
        }
        Ok(())
    }

    pub(super) fn read_word(&mut self, allow_leading_digit: bool, allow_dots: bool) -> PResult<String> {
        self.skip_ws(true)?;
        let start = self.pos;
        while let Some(&c) = self.data.get(self.pos) {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' || (allow_dots && c == '.') {
                self.pos += 1;
            } else {
                break;
            }
        }
        if start == self.pos {
            return self.err("expected a word");
        }
        if !allow_leading_digit && self.data[start].is_ascii_digit() {
            return self.err("field and constant names cannot start with a digit");
        }
        Ok(self.data[start..self.pos].iter().collect())
    }

    pub(super) fn read_name(
        &mut self,
        allow_leading_digit: bool,
        retain_wrap: bool,
        allow_dots: bool,
    ) -> PResult<String> {
        match self.peek()? {
            '(' => {
                self.pos += 1;
                let w = self.read_word(allow_leading_digit, true)?;
                if self.read_char()? != ')' {
                    return self.err("expected ')'");
                }
                Ok(if retain_wrap { format!("({w})") } else { w })
            }
            '[' => {
                self.pos += 1;
                let w = self.read_word(allow_leading_digit, true)?;
                if self.read_char()? != ']' {
                    return self.err("expected ']'");
                }
                Ok(if retain_wrap { format!("[{w}]") } else { w })
            }
            _ => self.read_word(allow_leading_digit, allow_dots),
        }
    }

    pub(super) fn read_quoted_string(&mut self) -> PResult<String> {
        let mut quote = self.read_char()?;
        if quote != '"' && quote != '\'' {
            return self.err("expected quoted string");
        }
        let mut out = String::new();
        while let Some(&c0) = self.data.get(self.pos) {
            self.pos += 1;
            let mut c = c0;
            if c == quote {
                self.skip_ws(true)?;
                match self.data.get(self.pos) {
                    Some(&q) if q == '"' || q == '\'' => {
                        quote = q;
                        self.pos += 1;
                        continue;
                    }
                    _ => return Ok(out),
                }
            }
            if c == '\\' {
                let Some(&e) = self.data.get(self.pos) else {
                    return self.err("unexpected end of file");
                };
                self.pos += 1;
                c = match e {
                    'a' => '\u{7}',
                    'b' => '\u{8}',
                    'f' => '\u{c}',
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    'v' => '\u{b}',
                    'x' | 'X' => self.read_numeric_escape(16, 2)?,
                    '0'..='7' => {
                        self.pos -= 1;
                        self.read_numeric_escape(8, 3)?
                    }
                    other => other,
                };
            }
            out.push(c);
            if c == '\n' {
                self.newline();
            }
        }
        self.err("unterminated string")
    }

    pub(super) fn read_numeric_escape(&mut self, radix: u32, len: usize) -> PResult<char> {
        let end = (self.pos + len).min(self.data.len());
        let mut value: Option<u32> = None;
        while self.pos < end {
            match self.data[self.pos].to_digit(radix) {
                Some(d) => {
                    value = Some(value.map_or(d, |v| v * radix + d));
                    self.pos += 1;
                }
                None => break,
            }
        }
        match value.and_then(char::from_u32) {
            Some(c) => Ok(c),
            None => self.err("expected a digit after \\x or \\X"),
        }
    }

    pub(super) fn read_string(&mut self) -> PResult<String> {
        match self.peek()? {
            '"' | '\'' => self.read_quoted_string(),
            _ => self.read_word(true, true),
        }
    }

    pub(super) fn read_data_type(&mut self) -> PResult<String> {
        let name = self.read_word(true, true)?;
        self.read_data_type_named(name)
    }

    pub(super) fn read_data_type_named(&mut self, name: String) -> PResult<String> {
        if name == "map" {
            if self.read_char()? != '<' {
                return self.err("expected '<'");
            }
            let key = self.read_data_type()?;
            if self.read_char()? != ',' {
                return self.err("expected ','");
            }
            let value = self.read_data_type()?;
            if self.read_char()? != '>' {
                return self.err("expected '>'");
            }
            return Ok(format!("map<{key}, {value}>"));
        }
        let mut out = name;
        while self.peek()? == '.' {
            self.pos += 1;
            let w = self.read_word(true, true)?;
            out.push('.');
            out.push_str(&w);
        }
        Ok(out)
    }

    pub(super) fn read_int(&mut self) -> PResult<i32> {
        let word = self.read_word(true, true)?;
        let (digits, radix) = match word.strip_prefix("0x").or_else(|| word.strip_prefix("0X")) {
            Some(hex) => (hex, 16),
            None => (word.as_str(), 10),
        };
        match i32::from_str_radix(digits, radix) {
            Ok(v) => Ok(v),
            Err(_) => self.err(format!("expected an integer but was {word}")),
        }
    }
}
