//! Which work hops to the CPU pool: parsing does, a schema already parsed does not.

use super::*;

fn request(schema: &str) -> RegisterRequest {
    RegisterRequest { schema: Some(schema.to_string()), ..Default::default() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lookups_and_re_registrations_of_parsed_schemas_skip_the_cpu_pool() {
    let dir = tempfile::tempdir().unwrap();
    let r = crate::open_file_registry(dir.path(), RegistryConfig::default()).unwrap();
    let known = r#"{"type":"record","name":"K","fields":[{"name":"a","type":"int"}]}"#;
    let registered = r.register("s", request(known), false, false).await.unwrap();

    // Every CPU slot taken: anything that needs the pool waits.
    let busy = r.cpu.clone().acquire_many_owned(cpu_slots() as u32).await.unwrap();
    let wait = Duration::from_secs(2);
    let found = tokio::time::timeout(wait, r.lookup("s", request(known), false, false)).await;
    assert_eq!(found.expect("a cached lookup does not wait for the pool").unwrap().2, registered.version);
    let again = tokio::time::timeout(wait, r.register("s", request(known), false, false)).await;
    let again = again.expect("a re-registration does not wait for the pool").unwrap();
    assert_eq!((again.version, again.schema.id), (registered.version, registered.schema.id));

    // A schema never parsed needs the pool (so the waits above were real).
    let fresh = r#"{"type":"record","name":"F","fields":[]}"#;
    assert!(tokio::time::timeout(Duration::from_millis(300), r.lookup("s", request(fresh), false, false))
        .await
        .is_err());
    drop(busy);
    let e = r.lookup("s", request(fresh), false, false).await.unwrap_err();
    assert_eq!(e.code, 40403);
}
