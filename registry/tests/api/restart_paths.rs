//! The reads whose answers must be the same before and after a restart, after the writes of
//! `restart::state_survives_a_restart` (also used by `tests/kafka_store.rs` for the Kafka store:
//! paths naming what that test does not write answer 404 both times).

pub const PATHS: &[&str] = &[
    "/subjects",
    "/subjects?deleted=true",
    "/subjects/a/versions",
    "/subjects/a/versions?deleted=true",
    "/subjects/a/versions/2",
    "/subjects/a/versions/1?deleted=true",
    "/subjects/gone/versions?deleted=true",
    "/subjects/:.eu:x/versions/1",
    "/schemas/ids/1",
    "/schemas/ids/2",
    "/schemas/ids/3",
    "/schemas/ids/1?subject=:.eu:",
    "/schemas/ids/100?subject=:.imp:",
    "/schemas?subjectPrefix=:*:&deleted=true",
    "/config",
    "/config/a",
    "/config/:.eu:",
    "/mode",
    "/mode/ro",
    "/mode/:.imp:",
    "/contexts",
];
