//! Who may use the city's graph: roles of people, scopes of third-party apps and the rate
//! tiers that size their budgets.

use crate::coded_enum;

coded_enum! {
    /// What a signed-in person may do.
    pub enum Role {
        /// A resident with an account: reads the public graph and their own data.
        Citizen = "CITIZEN",
        /// Publishes for the organizations they edit for.
        Editor = "EDITOR",
        /// Runs the service: every organization, every account, every token.
        Administrator = "ADMINISTRATOR",
    }
}

coded_enum! {
    /// What a third-party app's token allows.
    pub enum Scope {
        /// Read the public graph.
        Read = "read",
    }
}

coded_enum! {
    /// The size of a caller's per-minute query budget.
    pub enum RateTier {
        /// Callers without credentials, counted by client address.
        Anonymous = "ANONYMOUS",
        /// Signed-in people.
        User = "USER",
        /// Third-party apps on the default plan.
        Standard = "STANDARD",
        /// Partner apps (transit, tourism, newsrooms) with a larger budget.
        Partner = "PARTNER",
    }
}
