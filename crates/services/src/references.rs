//! What the names of forms refer to, looked up for those who publish: the catalog's
//! categories, neighbourhoods, organizations and places, and the organization that
//! publishes what a form does not name.

use capitole_domain::agenda::{DefaultPublisher, Names, References};
use capitole_persistence::catalog;

use crate::{Principal, ServiceResult, Services};

/// What `names` refer to, for `by`, who must publish (anyone else is refused before anything
/// is looked up). What `by` publishes by default is what an editor edits for (all their
/// organizations, as for articles); administrators and operators may leave a place without
/// publishers.
pub async fn references(
    services: &Services,
    by: &Principal,
    names: &Names,
) -> ServiceResult<References> {
    by.publisher()?;
    let mut references = catalog::references(&services.db, names).await?;
    references.publisher = match by.own_organizations() {
        Some(organizations) => DefaultPublisher::Organizations(organizations),
        None if by.editor_of_place(&[]).is_ok() => DefaultPublisher::Unowned,
        None => DefaultPublisher::Unknown,
    };
    Ok(references)
}
