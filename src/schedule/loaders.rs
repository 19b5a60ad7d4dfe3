//! Scheduling DataLoaders, each applying the caller's brand scope.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use uuid::Uuid;

use super::offers;
use crate::loaders::{load_error, request_loaders, LoadError};

request_loaders! {
    /// Loads the recipient counts of many items.
    ItemRecipientCountsLoader;
}

impl Loader<Uuid> for ItemRecipientCountsLoader {
    type Value = offers::RecipientCounts;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        offers::counts_of(&self.0, &self.1, keys)
            .await
            .map_err(load_error)
    }
}
