//! mTLS authentication: the principal comes from the verified client certificate, which the TLS
//! listener puts in the request extensions as [`ClientCertChain`]. The name is taken from the
//! certificate's CN, its whole subject DN, or a SAN, then mapped by Kafka-style
//! `ssl.principal.mapping.rules` (`RULE:pattern/replacement/[LU]`, `DEFAULT`).

use anyhow::{bail, Context};
use regex::Regex;
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

use super::principal::{AuthMethod, Principal};
use super::AuthError;

/// The client certificate chain (DER, leaf first) the TLS listener verified. The listener adds it
/// to every request of an mTLS connection; without it, mTLS authentication does not apply.
#[derive(Debug, Clone)]
pub struct ClientCertChain(pub Vec<Vec<u8>>);

/// Which certificate field names the principal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertField {
    Cn,
    Dn,
    SanDns,
    SanEmail,
    SanUri,
}

impl CertField {
    pub fn parse(s: &str) -> anyhow::Result<CertField> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "cn" => CertField::Cn,
            "dn" => CertField::Dn,
            "san-dns" => CertField::SanDns,
            "san-email" => CertField::SanEmail,
            "san-uri" => CertField::SanUri,
            _ => bail!("unknown certificate field '{s}' (cn, dn, san-dns, san-email, san-uri)"),
        })
    }
}

#[derive(Debug, Clone)]
enum MapRule {
    Default,
    Rule { re: Regex, replacement: String, case: Option<char> },
}

#[derive(Debug, Clone)]
pub struct Mtls {
    field: CertField,
    rules: Vec<MapRule>,
}

impl Mtls {
    pub fn new(field: CertField, rules: &[String]) -> anyhow::Result<Mtls> {
        let rules = rules.iter().map(|r| parse_rule(r)).collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Mtls { field, rules })
    }

    pub fn authenticate(&self, chain: &ClientCertChain) -> Result<Principal, AuthError> {
        let leaf = chain.0.first().ok_or(AuthError::Certificate("no client certificate".into()))?;
        let (_, cert) = X509Certificate::from_der(leaf)
            .map_err(|_| AuthError::Certificate("unreadable client certificate".into()))?;
        let raw = self.field_value(&cert).ok_or_else(|| {
            AuthError::Certificate(format!("the client certificate has no {:?} to take a principal from", self.field))
        })?;
        let name = self.map(&raw).ok_or_else(|| {
            AuthError::Certificate(format!("no principal mapping rule matches the client certificate '{raw}'"))
        })?;
        Ok(Principal::new(name, Vec::new(), AuthMethod::Mtls))
    }

    fn field_value(&self, cert: &X509Certificate<'_>) -> Option<String> {
        let subject = cert.subject();
        match self.field {
            CertField::Cn => subject.iter_common_name().next().and_then(|a| a.as_str().ok()).map(str::to_string),
            CertField::Dn => {
                // RFC 2253 order: most specific RDN first, `TYPE=value` joined by ','.
                let registry = x509_parser::objects::oid_registry();
                let mut parts = Vec::new();
                for rdn in subject.iter_rdn().collect::<Vec<_>>().into_iter().rev() {
                    for atv in rdn.iter() {
                        let ty = x509_parser::objects::oid2abbrev(atv.attr_type(), registry)
                            .map(str::to_string)
                            .unwrap_or_else(|_| atv.attr_type().to_id_string());
                        parts.push(format!("{ty}={}", atv.as_str().unwrap_or("")));
                    }
                }
                (!parts.is_empty()).then(|| parts.join(","))
            }
            CertField::SanDns | CertField::SanEmail | CertField::SanUri => {
                let san = cert.subject_alternative_name().ok().flatten()?;
                san.value.general_names.iter().find_map(|g| match (self.field, g) {
                    (CertField::SanDns, GeneralName::DNSName(s))
                    | (CertField::SanEmail, GeneralName::RFC822Name(s))
                    | (CertField::SanUri, GeneralName::URI(s)) => Some(s.to_string()),
                    _ => None,
                })
            }
        }
    }

    /// The first matching rule's result; no rules = the value itself.
    fn map(&self, value: &str) -> Option<String> {
        if self.rules.is_empty() {
            return Some(value.to_string());
        }
        for r in &self.rules {
            match r {
                MapRule::Default => return Some(value.to_string()),
                MapRule::Rule { re, replacement, case } => {
                    if re.is_match(value) {
                        let out = re.replace(value, replacement.as_str()).into_owned();
                        return Some(match case {
                            Some('L') => out.to_lowercase(),
                            Some('U') => out.to_uppercase(),
                            _ => out,
                        });
                    }
                }
            }
        }
        None
    }
}

/// `DEFAULT` or `RULE:pattern/replacement/[L|U]` (the pattern must match the whole value).
fn parse_rule(s: &str) -> anyhow::Result<MapRule> {
    let s = s.trim();
    if s == "DEFAULT" {
        return Ok(MapRule::Default);
    }
    let body = s
        .strip_prefix("RULE:")
        .with_context(|| format!("principal mapping rule '{s}' must be DEFAULT or RULE:pattern/replacement/"))?;
    let (body, case) = match body.strip_suffix("/L") {
        Some(b) => (b, Some('L')),
        None => match body.strip_suffix("/U") {
            Some(b) => (b, Some('U')),
            None => (
                body.strip_suffix('/').with_context(|| format!("principal mapping rule '{s}' must end with '/'"))?,
                None,
            ),
        },
    };
    let (pattern, replacement) =
        body.rsplit_once('/').with_context(|| format!("principal mapping rule '{s}' needs pattern/replacement"))?;
    let re = Regex::new(&format!("^(?:{pattern})$")).with_context(|| format!("bad pattern in mapping rule '{s}'"))?;
    Ok(MapRule::Rule { re, replacement: replacement.to_string(), case })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_rules() {
        let m =
            Mtls::new(CertField::Dn, &["RULE:CN=([^,]+),OU=Apps,.*/app-$1/L".into(), "RULE:CN=admin,.*/root/".into()])
                .unwrap();
        assert_eq!(m.map("CN=Billing,OU=Apps,O=Acme").as_deref(), Some("app-billing"));
        assert_eq!(m.map("CN=admin,O=Acme").as_deref(), Some("root"));
        assert_eq!(m.map("CN=x,O=Other"), None);
        let d = Mtls::new(CertField::Cn, &["DEFAULT".into()]).unwrap();
        assert_eq!(d.map("abc").as_deref(), Some("abc"));
        assert!(Mtls::new(CertField::Cn, &["RULE:nope".into()]).is_err());
    }
}
