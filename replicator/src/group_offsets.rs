//! Consumer-group offsets of many groups through one admin client: librdkafka's
//! ListConsumerGroupOffsets and AlterConsumerGroupOffsets (one group per request, which is all
//! librdkafka accepts), all requests of a round sent at once on one client's connections and
//! their results collected from one queue. The cost of a round grows with the number of groups
//! (one small request each), never with connections.
//!
//! rdkafka (the Rust crate) does not wrap these calls (the crate's only other FFI call is the
//! cached high watermark in `worker.rs`).

use std::collections::BTreeMap;
use std::ffi::{CStr, CString};
use std::os::raw::c_void;
use std::time::{Duration, Instant};

use rdkafka::admin::AdminClient;
use rdkafka::bindings as rd;
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::TopicPartitionList;

/// (topic, partition) → committed offset.
pub type Offsets = BTreeMap<(String, i32), i64>;

/// One admin client on one cluster.
pub struct GroupOffsets {
    admin: AdminClient<DefaultClientContext>,
}

/// A result queue owned by one round; destroyed with it.
struct Queue(*mut rd::rd_kafka_queue_t);

impl Drop for Queue {
    fn drop(&mut self) {
        // SAFETY: created by rd_kafka_queue_new and destroyed once.
        unsafe { rd::rd_kafka_queue_destroy(self.0) }
    }
}

fn error_text(e: *const rd::rd_kafka_error_t) -> String {
    // SAFETY: `e` is a live rd_kafka_error_t owned by the result event.
    unsafe { CStr::from_ptr(rd::rd_kafka_error_string(e)).to_string_lossy().into_owned() }
}

/// Read a result's partitions (offset < 0 = nothing committed: left out).
///
/// SAFETY: `tpl` must be null or a live list owned by the result event.
unsafe fn read_partitions(tpl: *const rd::rd_kafka_topic_partition_list_t) -> Offsets {
    let mut out = Offsets::new();
    if tpl.is_null() {
        return out;
    }
    let list = &*tpl;
    for i in 0..list.cnt.max(0) as usize {
        let e = &*list.elems.add(i);
        if e.topic.is_null() || e.offset < 0 || e.err != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
            continue;
        }
        let topic = CStr::from_ptr(e.topic).to_string_lossy().into_owned();
        out.insert((topic, e.partition), e.offset);
    }
    out
}

impl GroupOffsets {
    pub fn new(mut config: ClientConfig) -> anyhow::Result<Self> {
        Ok(Self { admin: config.set("socket.keepalive.enable", "true").create()? })
    }

    /// The committed offsets of every group (all partitions), fetched in one round. Groups
    /// whose fetch failed are missing from the answer (and logged).
    pub fn list(&self, groups: &[String], timeout: Duration) -> anyhow::Result<BTreeMap<String, Offsets>> {
        self.round(groups.iter().map(|g| (g.clone(), None)).collect(), timeout, false)
            .map(|r| r.into_iter().filter_map(|(g, res)| res.ok().map(|o| (g, o))).collect())
    }

    /// Commit offsets for groups (one round). A group with active members is refused by the
    /// broker; its entry is an error.
    pub fn alter(
        &self,
        offsets: BTreeMap<String, Offsets>,
        timeout: Duration,
    ) -> anyhow::Result<BTreeMap<String, Result<(), String>>> {
        let reqs = offsets.into_iter().map(|(g, o)| (g, Some(o))).collect();
        self.round(reqs, timeout, true).map(|r| r.into_iter().map(|(g, res)| (g, res.map(|_| ()))).collect())
    }

    /// Send every request at once, then collect the results. `alter`: the requests carry
    /// offsets to commit; otherwise they list (with `require_stable`).
    #[allow(clippy::type_complexity)]
    fn round(
        &self,
        reqs: Vec<(String, Option<Offsets>)>,
        timeout: Duration,
        alter: bool,
    ) -> anyhow::Result<BTreeMap<String, Result<Offsets, String>>> {
        let mut out = BTreeMap::new();
        if reqs.is_empty() {
            return Ok(out);
        }
        let rk = self.admin.inner().native_ptr();
        // SAFETY: rk is a live client for the lifetime of `self`; every object created here is
        // destroyed here (options and requests after the call copied them; events after reading).
        unsafe {
            let queue = Queue(rd::rd_kafka_queue_new(rk));
            let op = if alter {
                rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS
            } else {
                rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS
            };
            let mut names: Vec<String> = Vec::with_capacity(reqs.len());
            for (i, (group, offsets)) in reqs.iter().enumerate() {
                let Ok(cg) = CString::new(group.as_str()) else {
                    out.insert(group.clone(), Err("group name contains a NUL byte".into()));
                    continue;
                };
                let opts = rd::rd_kafka_AdminOptions_new(rk, op);
                let mut err = [0 as std::os::raw::c_char; 256];
                let ms = timeout.as_millis().min(i32::MAX as u128) as i32;
                rd::rd_kafka_AdminOptions_set_request_timeout(opts, ms, err.as_mut_ptr(), err.len());
                if !alter {
                    let e = rd::rd_kafka_AdminOptions_set_require_stable_offsets(opts, 1);
                    if !e.is_null() {
                        rd::rd_kafka_error_destroy(e);
                    }
                }
                rd::rd_kafka_AdminOptions_set_opaque(opts, i as *mut c_void);
                if alter {
                    let mut tpl = TopicPartitionList::new();
                    for ((t, p), o) in offsets.iter().flatten() {
                        tpl.add_partition_offset(t, *p, rdkafka::Offset::Offset(*o))?;
                    }
                    let mut req = rd::rd_kafka_AlterConsumerGroupOffsets_new(cg.as_ptr(), tpl.ptr());
                    rd::rd_kafka_AlterConsumerGroupOffsets(rk, &mut req, 1, opts, queue.0);
                    rd::rd_kafka_AlterConsumerGroupOffsets_destroy(req);
                } else {
                    let mut req = rd::rd_kafka_ListConsumerGroupOffsets_new(cg.as_ptr(), std::ptr::null());
                    rd::rd_kafka_ListConsumerGroupOffsets(rk, &mut req, 1, opts, queue.0);
                    rd::rd_kafka_ListConsumerGroupOffsets_destroy(req);
                }
                rd::rd_kafka_AdminOptions_destroy(opts);
                names.push(group.clone());
            }
            let mut pending = names.len();
            let deadline = Instant::now() + timeout + Duration::from_secs(5);
            while pending > 0 && Instant::now() < deadline {
                let ev = rd::rd_kafka_queue_poll(queue.0, 200);
                if ev.is_null() {
                    continue;
                }
                let idx = rd::rd_kafka_event_opaque(ev) as usize;
                let group = reqs.get(idx).map(|(g, _)| g.clone()).unwrap_or_default();
                pending -= 1;
                if rd::rd_kafka_event_error(ev) != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
                    let msg = CStr::from_ptr(rd::rd_kafka_event_error_string(ev)).to_string_lossy().into_owned();
                    out.insert(group, Err(msg));
                    rd::rd_kafka_event_destroy(ev);
                    continue;
                }
                let mut cnt = 0usize;
                let groups = if alter {
                    let r = rd::rd_kafka_event_AlterConsumerGroupOffsets_result(ev);
                    if r.is_null() {
                        std::ptr::null_mut()
                    } else {
                        rd::rd_kafka_AlterConsumerGroupOffsets_result_groups(r, &mut cnt)
                    }
                } else {
                    let r = rd::rd_kafka_event_ListConsumerGroupOffsets_result(ev);
                    if r.is_null() {
                        std::ptr::null_mut()
                    } else {
                        rd::rd_kafka_ListConsumerGroupOffsets_result_groups(r, &mut cnt)
                    }
                };
                for i in 0..cnt {
                    let g = *groups.add(i);
                    let e = rd::rd_kafka_group_result_error(g);
                    let parts = read_partitions(rd::rd_kafka_group_result_partitions(g));
                    if !e.is_null() {
                        out.insert(group.clone(), Err(error_text(e)));
                    } else if alter {
                        // Per-partition errors (e.g. the group is not empty) fail the group.
                        let tpl = rd::rd_kafka_group_result_partitions(g);
                        let mut failed = None;
                        if !tpl.is_null() {
                            let list = &*tpl;
                            for j in 0..list.cnt.max(0) as usize {
                                let el = &*list.elems.add(j);
                                if el.err != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
                                    failed = Some(
                                        CStr::from_ptr(rd::rd_kafka_err2str(el.err)).to_string_lossy().into_owned(),
                                    );
                                }
                            }
                        }
                        out.insert(group.clone(), failed.map_or(Ok(parts), Err));
                    } else {
                        out.insert(group.clone(), Ok(parts));
                    }
                }
                rd::rd_kafka_event_destroy(ev);
            }
            for g in names {
                out.entry(g).or_insert_with(|| Err("timed out".into()));
            }
        }
        for (g, r) in &out {
            if let Err(e) = r {
                tracing::debug!(group = %g, "group offsets: {e}");
            }
        }
        Ok(out)
    }
}
