//! Publishers: the kinds of public bodies that publish the city's news, events and places.

use crate::coded_enum;

coded_enum! {
    /// What kind of public body a publisher is.
    pub enum OrganizationKind {
        /// A town hall: the city itself (Ville de Toulouse).
        City = "CITY",
        /// A metropolitan authority grouping several towns (Toulouse Métropole).
        Metropolis = "METROPOLIS",
        /// Another publisher: an agency, a public establishment, an association.
        Other = "OTHER",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organization_kind_codes_round_trip() {
        for &kind in OrganizationKind::ALL {
            assert_eq!(OrganizationKind::from_code(kind.code()), Some(kind));
        }
        assert_eq!(OrganizationKind::from_code("city"), None);
    }
}
