//! Small subcommands of the `lockstep` binary.

use std::io::Write;
use std::process::{Command, Stdio};

/// `lockstep hash-password` prints an argon2id hash that verifies the password it was given,
/// and refuses an empty one.
#[test]
fn hash_password_prints_a_verifying_argon2_hash() {
    let run = |input: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_lockstep"))
            .arg("hash-password")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    let out = run("correct horse\n");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let hash = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    let secret = registry::security::users::Secret::Argon2(hash);
    assert!(secret.verify(b"correct horse"));
    assert!(!secret.verify(b"correct horse\n"));
    let empty = run("\n");
    assert_eq!(empty.status.code(), Some(2));
}
