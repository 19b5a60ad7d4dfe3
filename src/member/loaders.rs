//! Member DataLoaders, each applying the caller's brand scope, and feeding
//! them what a service loaded ahead for a nested page.

use std::collections::HashMap;

use async_graphql::{dataloader::Loader, Context};
use entity::membership;
use uuid::Uuid;

use super::service::{self, IdentityRow, MemberCard, MemberRow, NestedMembers};
use crate::{
    error::AppResult,
    loaders::{by_first, group, load_error, loader, request_loaders, LoadError},
};

request_loaders! {
    /// Loads identities of many members.
    IdentityLoader;
    /// Loads memberships of many members.
    MembershipLoader;
    /// Loads members by id.
    MemberLoader;
    /// Loads the first members of many communities: key (community, first).
    CommunityMembersLoader;
    /// Loads member counts of many communities.
    MemberCountLoader;
}

impl Loader<Uuid> for IdentityLoader {
    type Value = Vec<IdentityRow>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = service::identities_of(&self.0, &self.1, keys)
            .await
            .map_err(load_error)?;
        Ok(group(rows.into_iter().map(|i| (i.member_id, i))))
    }
}

impl Loader<Uuid> for MembershipLoader {
    type Value = Vec<membership::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = service::memberships_of(&self.0, &self.1, keys)
            .await
            .map_err(load_error)?;
        Ok(group(rows.into_iter().map(|m| (m.member_id, m))))
    }
}

impl Loader<Uuid> for MemberLoader {
    type Value = MemberCard;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = service::members_by_id(&self.0, &self.1, keys)
            .await
            .map_err(load_error)?;
        Ok(rows.into_iter().map(|m| (m.id, m)).collect())
    }
}

impl Loader<(Uuid, u64)> for CommunityMembersLoader {
    type Value = Vec<MemberRow>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[(Uuid, u64)],
    ) -> Result<HashMap<(Uuid, u64), Self::Value>, Self::Error> {
        by_first(
            keys,
            |r: &MemberRow| r.community_id,
            |ids, first| async move {
                service::first_members_of(&self.0, &self.1, &ids, first).await
            },
        )
        .await
    }
}

impl Loader<Uuid> for MemberCountLoader {
    type Value = i64;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        Ok(service::member_counts(&self.0, &self.1, keys)
            .await
            .map_err(load_error)?
            .into_iter()
            .collect())
    }
}

/// Hands the request's loaders what [`service::nested_members`] loaded for
/// pages of `first` members, so the nested fields find it without a statement.
pub async fn feed(ctx: &Context<'_>, first: u64, nested: NestedMembers) -> AppResult<()> {
    loader::<CommunityMembersLoader>(ctx)?
        .feed_many(nested.pages.into_iter().map(|(c, rows)| ((c, first), rows)))
        .await;
    if let Some(counts) = nested.counts {
        loader::<MemberCountLoader>(ctx)?.feed_many(counts).await;
    }
    if !nested.members.is_empty() {
        loader::<MemberLoader>(ctx)?
            .feed_many(nested.members.into_iter().map(|m| (m.id, m)))
            .await;
    }
    if let Some(identities) = nested.identities {
        loader::<IdentityLoader>(ctx)?.feed_many(identities).await;
    }
    Ok(())
}
