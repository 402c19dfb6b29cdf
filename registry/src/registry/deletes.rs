//! Soft and permanent deletes of versions and subjects.

use super::*;

impl Registry {
    pub(super) fn check_writable(st: &State, q: &QualifiedSubject) -> ApiResult<()> {
        if st.effective_mode(Some(q)).is_read_only() {
            return Err(ApiError::not_permitted(format!(
                "Subject {} in context {} is in read-only mode",
                q.qualified(),
                q.context
            )));
        }
        Ok(())
    }

    /// Tombstones for a subject's config and mode (a subject that is gone loses both).
    pub(super) fn forget_subject_settings(st: &State, subject: &str, records: &mut Vec<LogRecord>) {
        let key: ScopeKey = Some(subject.to_string());
        if let Some(c) = st.configs.get(&key) {
            records.push(LogRecord::tombstone(c.key.clone()));
        }
        if let Some(m) = st.modes.get(&key) {
            records.push(LogRecord::tombstone(m.key.clone()));
        }
    }

    /// DELETE /subjects/{s}/versions/{v}
    pub(super) async fn delete_version_now(
        &self,
        subject_str: &str,
        spec: VersionSpec,
        permanent: bool,
    ) -> ApiResult<u32> {
        let w = self.lock_writer().await?;
        let st = &w.pending;
        let subject = Self::find_subject(st, subject_str, true)?;
        let q = QualifiedSubject::parse(&subject).ok_or_else(|| ApiError::subject_not_found(subject_str))?;
        Self::check_writable(st, &q)?;
        // A numbered version is found even when soft-deleted (to answer 40406/40407 precisely);
        // `latest` means the latest live version for a soft delete.
        let include_deleted = permanent || matches!(spec, VersionSpec::Number(_));
        let v = Self::version_entry(st, &subject, spec, include_deleted)?.clone();
        let mut records = Vec::new();
        if permanent {
            if !v.deleted {
                return Err(ApiError::version_not_soft_deleted(&subject, v.version));
            }
            // Soft-deleted referrers do not hold a version (Confluent drops them from its
            // referenced-by index when they are deleted).
            if !st.referrers(&subject, v.version, false).is_empty() {
                return Err(ApiError::reference_exists(&subject, v.version));
            }
            records.push(LogRecord::tombstone(v.key.clone()));
            if st.subject(&subject).is_some_and(|e| e.versions.len() == 1) {
                Self::forget_subject_settings(st, &subject, &mut records);
            }
        } else {
            if v.deleted {
                return Err(ApiError::version_soft_deleted(&subject, v.version));
            }
            if !st.referrers(&subject, v.version, false).is_empty() {
                return Err(ApiError::reference_exists(&subject, v.version));
            }
            let value = Self::schema_value(&subject, &v, true);
            records.push(LogRecord { key: v.key.clone(), value: Some(record::to_bytes(&value).into()) });
        }
        self.commit(w, records).await?;
        Ok(v.version)
    }

    /// DELETE /subjects/{s}
    pub(super) async fn delete_subject_now(&self, subject_str: &str, permanent: bool) -> ApiResult<Vec<u32>> {
        let w = self.lock_writer().await?;
        let st = &w.pending;
        let subject = Self::find_subject(st, subject_str, true)?;
        let q = QualifiedSubject::parse(&subject).ok_or_else(|| ApiError::subject_not_found(subject_str))?;
        Self::check_writable(st, &q)?;
        let entry = st.subject(&subject).ok_or_else(|| ApiError::subject_not_found(&subject))?;
        let mut records = Vec::new();
        let deleted: Vec<u32>;
        if permanent {
            if entry.has_live() {
                return Err(ApiError::subject_not_soft_deleted(&subject));
            }
            for v in entry.versions.values() {
                if !st.referrers(&subject, v.version, false).is_empty() {
                    return Err(ApiError::reference_exists(&subject, v.version));
                }
            }
            deleted = entry.versions.keys().copied().collect();
            for v in entry.versions.values().rev() {
                records.push(LogRecord::tombstone(v.key.clone()));
            }
            Self::forget_subject_settings(st, &subject, &mut records);
        } else {
            if !entry.has_live() {
                return Err(ApiError::subject_soft_deleted(&subject));
            }
            for v in entry.live() {
                if !st.referrers(&subject, v.version, false).is_empty() {
                    return Err(ApiError::reference_exists(&subject, v.version));
                }
            }
            deleted = entry.live().map(|v| v.version).collect();
            let value = DeleteSubjectValue { subject: subject.clone(), version: entry.max_version() };
            records.push(LogRecord::new(
                Key::DeleteSubject { subject: subject.clone() }.encode(),
                Some(record::to_bytes(&value)),
            ));
        }
        self.commit(w, records).await?;
        Ok(deleted)
    }
}
