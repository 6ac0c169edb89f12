//! Who is calling, as resolvers see it: the [`Principal`] that the front handler made from
//! the request's credentials (with `capitole_services::auth`), whose policy methods are the
//! one place access is decided. Resolvers never read credentials themselves.

pub(crate) use capitole_services::principal::{Principal, SignedIn};
