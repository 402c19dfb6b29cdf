//! Context-level settings: a linked source context's config (`/config/:.ctx:`) and a READONLY
//! mode set on it (`/mode/:.ctx:`) are mirrored onto the context it maps to on the destination.
//!
//! Only non-default source contexts that hold subjects this link exported are mirrored (the
//! default context's settings are the source's global ones, see `sync_global`), never onto the
//! destination's default context (`--context-type DEFAULT` merges contexts), and not for
//! forwarded subjects (their contexts belong to their origin's links).

use std::collections::BTreeSet;

use super::apply::{config_body, config_fields};
use super::plan::is_readonly;
use super::{side_err, Link, SyncError};
use crate::mapping::{Qualified, DEFAULT_CONTEXT};

impl Link {
    /// Source contexts (other than the default one) with subjects this link exported, and the
    /// destination context each maps to.
    pub(super) fn linked_contexts(&self) -> Vec<(String, String)> {
        let st = self.state.lock();
        let contexts: BTreeSet<String> = st
            .exported
            .iter()
            .filter(|s| !st.forwarded.contains_key(*s))
            .filter_map(|s| Qualified::parse(s).map(|q| q.context))
            .filter(|c| c != DEFAULT_CONTEXT)
            .collect();
        drop(st);
        contexts
            .into_iter()
            .map(|c| {
                let d = self.mapping.dest_context(&c);
                (c, d)
            })
            .filter(|(_, d)| d != DEFAULT_CONTEXT)
            .collect()
    }

    /// The linked source contexts' configs and modes, as text (compared between polls).
    pub(super) async fn read_context_settings(&self) -> Result<String, SyncError> {
        let mut out = String::new();
        for (c, _) in self.linked_contexts() {
            let scope = format!(":{c}:");
            let s = &self.cfg.source;
            let (config, mode) = tokio::join!(s.get_config(Some(&scope), false), s.get_mode(Some(&scope), false));
            let config = config.map_err(|e| side_err(&self.src_name(), &format!("reading config of {scope}"), e))?;
            let mode = mode.map_err(|e| side_err(&self.src_name(), &format!("reading mode of {scope}"), e))?;
            out.push_str(&format!("{scope}{config:?}|{mode:?};"));
        }
        Ok(out)
    }

    /// Mirror each linked source context's config and READONLY mode onto its destination context.
    pub(super) async fn sync_contexts(&self) -> Result<(), SyncError> {
        for (c, d) in self.linked_contexts() {
            let (src_scope, dst_scope) = (format!(":{c}:"), format!(":{d}:"));
            let (s, dst) = (&self.cfg.source, &self.cfg.destination);
            let (sn, dn) = (self.src_name(), self.dst_name());
            let (src_cfg, src_mode, dst_cfg, dst_mode) = tokio::join!(
                s.get_config(Some(&src_scope), false),
                s.get_mode(Some(&src_scope), false),
                dst.get_config(Some(&dst_scope), false),
                dst.get_mode(Some(&dst_scope), false),
            );
            let reading = |w: &str, scope: &str| format!("reading {w} of {scope}");
            let src_cfg = src_cfg.map_err(|e| side_err(&sn, &reading("config", &src_scope), e))?;
            let src_mode = src_mode.map_err(|e| side_err(&sn, &reading("mode", &src_scope), e))?;
            let dst_cfg = dst_cfg.map_err(|e| side_err(&dn, &reading("config", &dst_scope), e))?;
            let dst_mode = dst_mode.map_err(|e| side_err(&dn, &reading("mode", &dst_scope), e))?;

            let want = src_cfg.as_ref().map(config_fields).unwrap_or_default();
            let have = dst_cfg.as_ref().map(config_fields).unwrap_or_default();
            if want != have {
                if want.is_empty() {
                    dst.delete_config(Some(&dst_scope))
                        .await
                        .map_err(|e| side_err(&dn, &format!("deleting config of {dst_scope}"), e))?;
                } else {
                    dst.put_config(Some(&dst_scope), &config_body(&want, dst_cfg.as_ref()))
                        .await
                        .map_err(|e| side_err(&dn, &format!("writing config of {dst_scope}"), e))?;
                }
                self.count(|c| c.configs_written += 1);
            }

            // READONLY on the source context: the same on the destination's; removed again
            // (the context inherits, its subjects keep their IMPORT) when the source lifts it.
            match (is_readonly(src_mode.as_deref()), is_readonly(dst_mode.as_deref())) {
                (true, _) if src_mode != dst_mode => {
                    let m = src_mode.as_deref().unwrap_or("READONLY");
                    dst.set_mode(Some(&dst_scope), m, true)
                        .await
                        .map_err(|e| side_err(&dn, &format!("setting mode {m} on {dst_scope}"), e))?;
                    self.count(|c| c.modes_written += 1);
                }
                (false, true) => {
                    dst.delete_mode(Some(&dst_scope))
                        .await
                        .map_err(|e| side_err(&dn, &format!("removing the mode of {dst_scope}"), e))?;
                    self.count(|c| c.modes_written += 1);
                }
                _ => {}
            }
        }
        Ok(())
    }
}
