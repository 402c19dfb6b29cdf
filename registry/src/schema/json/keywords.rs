//! The loader's keyword families of a schema object: string, number, object and array keywords
//! (with their subschemas), as Everit reads them.

use super::*;

impl Loader<'_> {
    pub(super) fn string_part(&self, v: &JVal, ptr: &str) -> Result<StrS, JsonSchemaError> {
        Ok(StrS {
            min_length: int_keyword(v, "minLength", ptr)?,
            max_length: int_keyword(v, "maxLength", ptr)?,
            pattern: match v.get("pattern") {
                None => None,
                Some(JVal::Str(p)) => Some(p.clone()),
                Some(_) => return err(format!("Invalid JSON schema: #{ptr}/pattern must be a string")),
            },
        })
    }

    pub(super) fn number_part(&self, v: &JVal, draft: Draft, ptr: &str) -> Result<NumS, JsonSchemaError> {
        let number = |k: &str| -> Result<Option<f64>, JsonSchemaError> {
            match v.get(k) {
                None => Ok(None),
                Some(JVal::Num(n)) => Ok(Some(n.f64())),
                Some(_) => err(format!("Invalid JSON schema: #{ptr}/{k} must be a number")),
            }
        };
        let mut n = NumS { minimum: number("minimum")?, maximum: number("maximum")?, ..NumS::default() };
        if draft != Draft::D4 {
            n.exclusive_minimum = number("exclusiveMinimum")?;
            n.exclusive_maximum = number("exclusiveMaximum")?;
        }
        if let Some(m) = v.get("multipleOf") {
            let JVal::Num(m) = m else {
                return err(format!("Invalid JSON schema: #{ptr}/multipleOf must be a number"));
            };
            if m.f64() == 0.0 {
                return err(format!("Invalid JSON schema: #{ptr}: multipleOf should not be 0"));
            }
            n.multiple_of = Some(Decimal { raw: m.raw.clone() });
        }
        Ok(n)
    }

    pub(super) fn object_part(&mut self, site: &Site<'_>) -> Result<ObjS, JsonSchemaError> {
        let Site { doc, ptr, v, base, draft, depth } = *site;
        let mut o = ObjS::new();
        o.min_properties = int_keyword(v, "minProperties", ptr)?;
        o.max_properties = int_keyword(v, "maxProperties", ptr)?;
        if let Some(members) = object_keyword(v, "properties", ptr)? {
            let props_ptr = child_ptr(ptr, "properties");
            for (key, schema) in members {
                if key == draft.id_keyword() && !matches!(schema, JVal::Obj(_)) {
                    continue;
                }
                let id = self.load_child(doc, &props_ptr, key, schema, base, depth + 1)?;
                o.property_index.insert(key.clone(), id);
                o.properties.push((key.clone(), id));
            }
        }
        self.additional_part(site, "additionalProperties", &mut o.permits_additional, &mut o.additional_schema)?;
        if let Some(req) = v.get("required") {
            let JVal::Arr(items) = req else {
                return err(format!("Invalid JSON schema: #{ptr}/required must be an array"));
            };
            o.required.extend(strings(items, ptr, "required")?);
        }
        if let Some(members) = object_keyword(v, "patternProperties", ptr)? {
            let pp_ptr = child_ptr(ptr, "patternProperties");
            for (pattern, schema) in members {
                let id = self.load_child(doc, &pp_ptr, pattern, schema, base, depth + 1)?;
                let regex = fancy_regex::RegexBuilder::new(pattern).backtrack_limit(100_000).build().ok();
                o.pattern_properties.push(PatternProp { regex, schema: id });
            }
        }
        self.dependencies_part(site, &mut o)?;
        if draft >= Draft::D6 {
            if let Some(pn) = v.get("propertyNames") {
                self.load_child(doc, ptr, "propertyNames", pn, base, depth)?;
            }
        }
        o.unevaluated = self.unevaluated_part(site, "unevaluatedProperties")?;
        Ok(o)
    }

    /// `dependencies` (draft 7 and before) or `dependentRequired` + `dependentSchemas`: property
    /// lists and schemas.
    fn dependencies_part(&mut self, site: &Site<'_>, o: &mut ObjS) -> Result<(), JsonSchemaError> {
        let Site { doc, ptr, v, base, draft, depth } = *site;
        let deps: Vec<(&String, &JVal, &str)> = if draft.modern() {
            let mut out = Vec::new();
            if let Some(JVal::Obj(m)) = v.get("dependentRequired") {
                out.extend(m.iter().map(|(k, d)| (k, d, "dependentRequired")));
            }
            if let Some(JVal::Obj(m)) = v.get("dependentSchemas") {
                out.extend(m.iter().map(|(k, d)| (k, d, "dependentSchemas")));
            }
            out
        } else {
            match v.get("dependencies") {
                None => Vec::new(),
                Some(JVal::Obj(m)) => m.iter().map(|(k, d)| (k, d, "dependencies")).collect(),
                Some(_) => return err(format!("Invalid JSON schema: #{ptr}/dependencies must be an object")),
            }
        };
        for (key, dep, keyword) in deps {
            match dep {
                JVal::Arr(items) => {
                    let names = strings(items, ptr, &format!("{keyword}/{key}"))?;
                    o.property_dependencies.push((key.clone(), names));
                }
                JVal::Obj(_) | JVal::Bool(_) => {
                    let dep_ptr = child_ptr(ptr, keyword);
                    let id = self.load_child(doc, &dep_ptr, key, dep, base, depth + 1)?;
                    o.schema_dependencies.push((key.clone(), id));
                }
                _ => return err(format!("Invalid JSON schema: #{ptr}/{keyword}/{key} is invalid")),
            }
        }
        Ok(())
    }

    pub(super) fn array_part(&mut self, site: &Site<'_>) -> Result<ArrS, JsonSchemaError> {
        let Site { doc, ptr, v, base, draft, depth } = *site;
        let mut a = ArrS::new();
        a.min_items = int_keyword(v, "minItems", ptr)?;
        a.max_items = int_keyword(v, "maxItems", ptr)?;
        match v.get("uniqueItems") {
            None => {}
            Some(JVal::Bool(b)) => a.unique_items = *b,
            Some(_) => return err(format!("Invalid JSON schema: #{ptr}/uniqueItems must be a boolean")),
        }
        if draft == Draft::D202012 {
            let mut prefix = 0;
            if let Some(JVal::Arr(items)) = v.get("prefixItems") {
                a.item_schemas.extend(self.schema_list(site, "prefixItems", items)?);
                prefix = items.len();
            }
            match v.get("items") {
                None | Some(JVal::Bool(true)) => {}
                Some(JVal::Bool(false)) => a.permits_additional = false,
                Some(s) => {
                    let id = self.load_child(doc, ptr, "items", s, base, depth)?;
                    if prefix == 0 {
                        a.all_items = Some(id);
                    } else {
                        a.additional_schema = Some(id);
                    }
                }
            }
        } else {
            self.additional_part(site, "additionalItems", &mut a.permits_additional, &mut a.additional_schema)?;
            match v.get("items") {
                None => {}
                Some(JVal::Arr(items)) => a.item_schemas.extend(self.schema_list(site, "items", items)?),
                Some(s) => a.all_items = Some(self.load_child(doc, ptr, "items", s, base, depth)?),
            }
        }
        if draft != Draft::D4 {
            if let Some(c) = v.get("contains") {
                self.load_child(doc, ptr, "contains", c, base, depth)?;
                if draft.modern() {
                    a.min_contains = Some(v.get("minContains").and_then(num_f64).unwrap_or(1.0));
                    a.max_contains = v.get("maxContains").and_then(num_f64);
                }
            }
        }
        a.unevaluated = self.unevaluated_part(site, "unevaluatedItems")?;
        Ok(a)
    }

    /// `additionalProperties` / `additionalItems`: a boolean says whether more are permitted, an
    /// object is the schema they must match.
    fn additional_part(
        &mut self,
        site: &Site<'_>,
        keyword: &str,
        permits: &mut bool,
        schema: &mut Option<NodeId>,
    ) -> Result<(), JsonSchemaError> {
        let Site { doc, ptr, v, base, depth, .. } = *site;
        match v.get(keyword) {
            None => {}
            Some(JVal::Bool(b)) => *permits = *b,
            Some(s @ JVal::Obj(_)) => *schema = Some(self.load_child(doc, ptr, keyword, s, base, depth)?),
            Some(_) => return err(format!("Invalid JSON schema: #{ptr}/{keyword} must be a schema")),
        }
        Ok(())
    }

    /// `unevaluatedProperties` / `unevaluatedItems` (2019-09 and later).
    fn unevaluated_part(&mut self, site: &Site<'_>, keyword: &str) -> Result<Option<NodeId>, JsonSchemaError> {
        let Site { doc, ptr, v, base, draft, depth } = *site;
        match v.get(keyword) {
            Some(u) if draft.modern() => Ok(Some(self.load_child(doc, ptr, keyword, u, base, depth)?)),
            _ => Ok(None),
        }
    }

    /// The schemas of a positional list (`prefixItems`, array-form `items`).
    fn schema_list(&mut self, site: &Site<'_>, keyword: &str, items: &[JVal]) -> Result<Vec<NodeId>, JsonSchemaError> {
        let list_ptr = child_ptr(site.ptr, keyword);
        let mut ids = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            ids.push(self.load_child(site.doc, &list_ptr, &i.to_string(), item, site.base, site.depth + 1)?);
        }
        Ok(ids)
    }
}

/// A keyword whose value must be an object (its members), if present.
fn object_keyword<'v>(v: &'v JVal, keyword: &str, ptr: &str) -> Result<Option<&'v [(String, JVal)]>, JsonSchemaError> {
    match v.get(keyword) {
        None => Ok(None),
        Some(JVal::Obj(members)) => Ok(Some(members)),
        Some(_) => err(format!("Invalid JSON schema: #{ptr}/{keyword} must be an object")),
    }
}

/// An array of strings (at `#{ptr}/{path}`, named in the error).
fn strings(items: &[JVal], ptr: &str, path: &str) -> Result<Vec<String>, JsonSchemaError> {
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let Some(s) = item.as_str() else {
            return err(format!("Invalid JSON schema: #{ptr}/{path} must contain strings"));
        };
        out.push(s.to_string());
    }
    Ok(out)
}
