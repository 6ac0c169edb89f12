//! The root `Mutation`: one mutation object per area, merged here and nowhere else.

mod account;
mod admin;
pub(crate) mod agenda;
mod articles;
mod community;
pub(crate) mod events;
mod organizations;
mod payloads;
mod places;
mod push;
mod translations;
mod webhooks;

use async_graphql::MergedObject;

/// Everything a client can change.
#[derive(MergedObject, Default)]
pub struct Mutation(
    account::AccountMutation,
    admin::AdminMutation,
    articles::ArticleMutation,
    community::CommunityMutation,
    events::EventMutation,
    organizations::OrganizationMutation,
    places::PlaceMutation,
    push::PushMutation,
    translations::TranslationMutation,
    webhooks::WebhookMutation,
);
