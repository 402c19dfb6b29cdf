//! The users file for basic authentication, in one of two formats:
//!
//! - TOML (a file ending in `.toml`):
//!   ```toml
//!   [[user]]
//!   name = "alice"
//!   password_hash = "$argon2id$v=19$m=19456,t=2,p=1$…"
//!   groups = ["team-a"]
//!   ```
//! - lines `name: SECRET[,group…]`: Jetty/Confluent JAAS `PropertyFileLoginModule` files and
//!   htpasswd files (`name:$2y$…`). `#` and `!` start comments.
//!
//! SECRET is an argon2 PHC string (`$argon2id$…`) or a bcrypt hash (`$2a$`, `$2b$`, `$2y$`).
//! Jetty's `MD5:` (unsalted), `OBF:` (reversible obfuscation) and plain passwords are refused
//! unless `allow_insecure` is set; `CRYPT:` (DES crypt, 8-character passwords) is always refused.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{bail, Context};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use md5::{Digest, Md5};
use serde::Deserialize;
use subtle::ConstantTimeEq;

/// A stored credential.
#[derive(Debug, Clone)]
pub enum Secret {
    Argon2(String),
    Bcrypt(String),
    Md5([u8; 16]),
    Plain(Vec<u8>),
}

impl Secret {
    /// Check a password. Slow on purpose for argon2/bcrypt: call it on a blocking thread.
    pub fn verify(&self, password: &[u8]) -> bool {
        match self {
            Secret::Argon2(phc) => match PasswordHash::new(phc) {
                Ok(h) => Argon2::default().verify_password(password, &h).is_ok(),
                Err(_) => false,
            },
            Secret::Bcrypt(h) => bcrypt::verify(password, h).unwrap_or(false),
            Secret::Md5(d) => {
                let got: [u8; 16] = Md5::digest(password).into();
                got.ct_eq(d).into()
            }
            Secret::Plain(p) => {
                // Equal lengths first would leak the length; hash both to compare in constant time.
                let a: [u8; 16] = Md5::digest(password).into();
                let b: [u8; 16] = Md5::digest(p).into();
                a.ct_eq(&b).into()
            }
        }
    }
}

/// One user.
#[derive(Debug, Clone)]
pub struct User {
    pub secret: Secret,
    pub groups: Vec<String>,
}

/// All users, plus a dummy hash verified for unknown names so that an unknown user and a wrong
/// password cost the same time.
#[derive(Debug, Clone)]
pub struct Users {
    pub users: HashMap<String, User>,
    pub dummy: Secret,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TomlUsers {
    #[serde(default)]
    user: Vec<TomlUser>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TomlUser {
    name: String,
    password_hash: String,
    #[serde(default)]
    groups: Vec<String>,
}

/// Hash a password with argon2id and the crate's default (OWASP) parameters.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    hash_with(password, Argon2::default())
}

/// Hash a password with argon2id and the given memory (KiB) and time cost.
pub fn hash_password_with_cost(password: &str, memory_kib: u32, iterations: u32) -> anyhow::Result<String> {
    let params = argon2::Params::new(memory_kib, iterations, 1, None).map_err(|e| anyhow::anyhow!("{e}"))?;
    hash_with(password, Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params))
}

fn hash_with(password: &str, a: Argon2<'_>) -> anyhow::Result<String> {
    let mut salt = [0u8; 16];
    getrandom_fill(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(a.hash_password(password.as_bytes(), &salt).map_err(|e| anyhow::anyhow!("{e}"))?.to_string())
}

/// Random bytes from the OS (via the hasher crates' own dependency on getrandom through
/// `password_hash::rand_core`).
fn getrandom_fill(buf: &mut [u8]) {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    OsRng.fill_bytes(buf);
}

impl Users {
    pub fn load(path: &Path, allow_insecure: bool) -> anyhow::Result<Users> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("cannot read users file {}", path.display()))?;
        Self::parse(&text, path, allow_insecure)
    }

    pub fn parse(text: &str, origin: &Path, allow_insecure: bool) -> anyhow::Result<Users> {
        let mut users = HashMap::new();
        let is_toml = origin.extension().is_some_and(|e| e.eq_ignore_ascii_case("toml"));
        if is_toml {
            let f: TomlUsers =
                toml::from_str(text).with_context(|| format!("invalid users file {}", origin.display()))?;
            for (i, u) in f.user.into_iter().enumerate() {
                let at = format!("users file {}: user #{} ({})", origin.display(), i + 1, u.name);
                if u.name.is_empty() || u.name.contains(':') {
                    bail!("{at}: a name must be non-empty and without ':'");
                }
                let secret = parse_secret(&u.password_hash, allow_insecure).with_context(|| at.clone())?;
                if users.insert(u.name.clone(), User { secret, groups: u.groups }).is_some() {
                    bail!("{at}: duplicate user");
                }
            }
        } else {
            for (i, raw) in text.lines().enumerate() {
                let line = raw.trim();
                if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
                    continue;
                }
                let at = || format!("users file {}: line {}", origin.display(), i + 1);
                let Some((name, value)) = line.split_once(':') else {
                    bail!("{}: expected `name: password-hash[,group…]`", at());
                };
                let (name, value) = (name.trim(), value.trim());
                if name.is_empty() || value.is_empty() {
                    bail!("{}: expected `name: password-hash[,group…]`", at());
                }
                // The secret ends at the first ',' after its last '$' (argon2 parameters hold commas).
                let from = value.rfind('$').unwrap_or(0);
                let (secret, groups) = match value[from..].find(',') {
                    Some(c) => (&value[..from + c], &value[from + c + 1..]),
                    None => (value, ""),
                };
                let groups: Vec<String> =
                    groups.split(',').map(str::trim).filter(|g| !g.is_empty()).map(str::to_string).collect();
                let secret = parse_secret(secret.trim(), allow_insecure).with_context(at)?;
                if users.insert(name.to_string(), User { secret, groups }).is_some() {
                    bail!("{}: duplicate user '{name}'", at());
                }
            }
        }
        let dummy = dummy_like(users.values().map(|u| &u.secret))?;
        Ok(Users { users, dummy })
    }
}

/// A hash of a random password with the same algorithm and cost as the file's first strong hash.
fn dummy_like<'a>(mut secrets: impl Iterator<Item = &'a Secret>) -> anyhow::Result<Secret> {
    let random: String = {
        let mut b = [0u8; 18];
        getrandom_fill(&mut b);
        b.iter().map(|x| format!("{x:02x}")).collect()
    };
    match secrets.find(|s| matches!(s, Secret::Argon2(_) | Secret::Bcrypt(_))) {
        Some(Secret::Bcrypt(h)) => {
            let cost = h.get(4..6).and_then(|c| c.parse().ok()).unwrap_or(bcrypt::DEFAULT_COST);
            Ok(Secret::Bcrypt(bcrypt::hash(&random, cost)?))
        }
        Some(Secret::Argon2(phc)) => {
            let h = PasswordHash::new(phc).map_err(|e| anyhow::anyhow!("{e}"))?;
            let params = argon2::Params::try_from(&h).map_err(|e| anyhow::anyhow!("{e}"))?;
            let alg = argon2::Algorithm::try_from(h.algorithm).unwrap_or_default();
            Ok(Secret::Argon2(hash_with(&random, Argon2::new(alg, argon2::Version::V0x13, params))?))
        }
        _ => Ok(Secret::Argon2(hash_password(&random)?)),
    }
}

fn parse_secret(s: &str, allow_insecure: bool) -> anyhow::Result<Secret> {
    let insecure = |what: &str| {
        anyhow::anyhow!(
            "{what} is not safe to store; put an argon2 hash (`lockstep hash-password`) or a bcrypt hash \
             in its place, or set auth_basic_allow_insecure_passwords to accept it"
        )
    };
    if s.starts_with("$argon2") {
        let h = PasswordHash::new(s).map_err(|e| anyhow::anyhow!("malformed argon2 hash: {e}"))?;
        if h.hash.is_none() || h.salt.is_none() {
            bail!("malformed argon2 hash: salt or hash missing");
        }
        argon2::Params::try_from(&h).map_err(|e| anyhow::anyhow!("malformed argon2 hash: {e}"))?;
        return Ok(Secret::Argon2(s.to_string()));
    }
    if ["$2a$", "$2b$", "$2y$", "$2x$"].iter().any(|p| s.starts_with(p)) {
        if s.len() != 60 || s.get(4..6).and_then(|c| c.parse::<u32>().ok()).is_none() {
            bail!("malformed bcrypt hash");
        }
        return Ok(Secret::Bcrypt(s.to_string()));
    }
    if let Some(hex) = s.strip_prefix("MD5:") {
        if !allow_insecure {
            return Err(insecure("an MD5: password (unsalted MD5)"));
        }
        let mut d = [0u8; 16];
        if hex.len() != 32 {
            bail!("malformed MD5: hash (32 hex digits expected)");
        }
        for (i, b) in d.iter_mut().enumerate() {
            *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).context("malformed MD5: hash")?;
        }
        return Ok(Secret::Md5(d));
    }
    if s.starts_with("CRYPT:") {
        bail!("CRYPT: passwords (DES crypt) are not supported; put an argon2 or bcrypt hash in their place");
    }
    if let Some(obf) = s.strip_prefix("OBF:") {
        if !allow_insecure {
            return Err(insecure("an OBF: password (reversible obfuscation)"));
        }
        return Ok(Secret::Plain(deobfuscate(obf).context("malformed OBF: password")?));
    }
    if s.starts_with('$') {
        bail!("unknown hash format (argon2 `$argon2id$…` or bcrypt `$2b$…` expected)");
    }
    if !allow_insecure {
        return Err(insecure("a plaintext password"));
    }
    Ok(Secret::Plain(s.as_bytes().to_vec()))
}

/// Undo Jetty's `OBF:` obfuscation: base-36 groups of 4 characters, each encoding one byte as
/// the pair (b + 127 + k, b + 127 - k) packed into i1 * 256 + i2; a `U` prefixes 5-character
/// groups for characters above 0xFF (not accepted here).
fn deobfuscate(s: &str) -> anyhow::Result<Vec<u8>> {
    if !s.is_ascii() || !s.len().is_multiple_of(4) {
        bail!("length is not a multiple of 4");
    }
    let mut out = Vec::with_capacity(s.len() / 4);
    for chunk in s.as_bytes().chunks(4) {
        let part = std::str::from_utf8(chunk)?;
        let n = u32::from_str_radix(part, 36)?;
        let (i1, i2) = (n / 256, n % 256);
        let b = (i1 + i2).checked_sub(254).context("value out of range")? / 2;
        out.push(u8::try_from(b)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap(p: &str) -> String {
        hash_with(
            p,
            Argon2::new(
                argon2::Algorithm::Argon2id,
                argon2::Version::V0x13,
                argon2::Params::new(64, 1, 1, None).unwrap(),
            ),
        )
        .unwrap()
    }

    #[test]
    fn jaas_and_htpasswd_lines() {
        let a = cheap("secret");
        let b = bcrypt::hash("pw", 4).unwrap();
        let text = format!("# comment\n! also\nalice: {a},team-a, admins\nbob:{b}\n\n");
        let u = Users::parse(&text, Path::new("users.properties"), false).unwrap();
        assert_eq!(u.users["alice"].groups, vec!["team-a", "admins"]);
        assert!(u.users["alice"].secret.verify(b"secret"));
        assert!(!u.users["alice"].secret.verify(b"Secret"));
        assert!(u.users["bob"].secret.verify(b"pw"));
        assert!(u.users["bob"].groups.is_empty());
        assert!(!u.dummy.verify(b""));
    }

    #[test]
    fn toml_users() {
        let text = format!("[[user]]\nname = \"carol\"\npassword_hash = '{}'\ngroups = [\"g\"]\n", cheap("x"));
        let u = Users::parse(&text, Path::new("users.toml"), false).unwrap();
        assert!(u.users["carol"].secret.verify(b"x"));
    }

    #[test]
    fn bad_lines_are_named() {
        let e = Users::parse("alice: $argon2id$junk\n", Path::new("/etc/u.txt"), false).unwrap_err();
        assert!(format!("{e:#}").starts_with("users file /etc/u.txt: line 1: malformed argon2 hash"), "{e:#}");
        let e = Users::parse("\nnocolon\n", Path::new("u"), false).unwrap_err();
        assert!(format!("{e:#}").contains("line 2: expected `name: password-hash"), "{e:#}");
        let e = Users::parse("fred: hunter2,user\n", Path::new("u"), false).unwrap_err();
        assert!(format!("{e:#}").contains("line 1: a plaintext password is not safe"), "{e:#}");
        let e = Users::parse("fred: CRYPT:adpexzg3FUZAk,user\n", Path::new("u"), true).unwrap_err();
        assert!(format!("{e:#}").contains("CRYPT: passwords"), "{e:#}");
        let e = Users::parse("fred: MD5:164c88b302622e17050af52c89945d44\n", Path::new("u"), false).unwrap_err();
        assert!(format!("{e:#}").contains("unsalted MD5"), "{e:#}");
    }

    #[test]
    fn insecure_formats_only_when_allowed() {
        // Jetty's documented example values for the password "password".
        let text =
            "a: OBF:1v2j1uum1xtv1zej1zer1xtn1uvk1v1v,user\nb: MD5:5f4dcc3b5aa765d61d8327deb882cf99\nc: password\n";
        let u = Users::parse(text, Path::new("u"), true).unwrap();
        for n in ["a", "b", "c"] {
            assert!(u.users[n].secret.verify(b"password"), "{n}");
            assert!(!u.users[n].secret.verify(b"passwore"), "{n}");
        }
        assert_eq!(u.users["a"].groups, vec!["user"]);
    }
}
