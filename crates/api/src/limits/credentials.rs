//! The mutations that handle credentials: a request runs at most one of them, and those
//! that hash a password or send a mail cost more than their fields.

/// The mutations that check a password, set one, open a session or mail an account link,
/// and whether they cost [`CREDENTIAL_COST`]: those that hash a password (19 MiB and a core
/// for tens of milliseconds, where a page of results costs a fraction of a millisecond) or
/// send a mail. At most one of them runs per request.
pub(super) const CREDENTIAL_MUTATIONS: &[(&str, bool)] = &[
    ("register", true),
    ("login", true),
    ("changePassword", true),
    ("deleteMyAccount", true),
    ("resetPassword", true),
    ("requestPasswordReset", true),
    ("requestEmailVerification", true),
    ("refreshSession", false),
    ("verifyEmail", false),
];

/// What a credential mutation that hashes a password or sends a mail costs on top of its
/// fields, in points.
pub const CREDENTIAL_COST: u64 = 20;
