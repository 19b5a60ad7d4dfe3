//! Publishing DataLoaders, each applying the caller's brand scope.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use uuid::Uuid;

use super::results;
use crate::loaders::{load_error, request_loaders, LoadError};

request_loaders! {
    /// Loads the results of many items.
    ItemResultsLoader;
}

impl Loader<Uuid> for ItemResultsLoader {
    type Value = results::ContentResults;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        results::results_of(&self.0, &self.1, keys)
            .await
            .map_err(load_error)
    }
}
