//! The audit log's vocabulary: what an editor, a moderator or the scheduler did to an item.
//! Storage writes only these actions, so every entry reads back as one of them.

use crate::coded_enum;

coded_enum! {
    /// What was done to an item, as the audit log records it.
    pub enum AuditAction {
        /// An item was made.
        Create = "CREATE",
        /// An item's content changed.
        Update = "UPDATE",
        /// A publisher's system sent the whole of an item, made or changed by its key.
        Upsert = "UPSERT",
        /// An article was deleted.
        Delete = "DELETE",
        /// A draft was sent for review.
        SubmitForReview = "SUBMIT_FOR_REVIEW",
        /// An article became public.
        Publish = "PUBLISH",
        /// An article was set to be published later.
        Schedule = "SCHEDULE",
        /// An article stopped being public.
        Unpublish = "UNPUBLISH",
        /// An article was archived.
        Archive = "ARCHIVE",
        /// An event was cancelled.
        Cancel = "CANCEL",
        /// An event was put off to dates not yet known.
        Postpone = "POSTPONE",
        /// An event was moved to new dates.
        Reschedule = "RESCHEDULE",
        /// An event's status was set.
        SetStatus = "SET_STATUS",
        /// The status of one date of an event was set.
        SetOccurrenceStatus = "SET_OCCURRENCE_STATUS",
        /// A place was closed.
        Close = "CLOSE",
        /// A place was reopened.
        Reopen = "REOPEN",
        /// A post announcing an article on a social network was recorded.
        RecordSocialPost = "RECORD_SOCIAL_POST",
        /// A recorded social post was removed.
        RemoveSocialPost = "REMOVE_SOCIAL_POST",
        /// Texts of an item were translated, or their translations removed.
        Translate = "TRANSLATE",
        /// A moderator hid a tip.
        Hide = "HIDE",
        /// A moderator showed a hidden tip again.
        Restore = "RESTORE",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_action_codes_round_trip() {
        for &action in AuditAction::ALL {
            assert_eq!(AuditAction::from_code(action.code()), Some(action));
        }
        assert_eq!(AuditAction::from_code("EDIT"), None);
    }
}
