//! Trainee and enrollment DataLoaders, each applying the caller's brand scope.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::{enrollment, trainee};
use uuid::Uuid;

use super::service;
use crate::loaders::{by_first, load_error, request_loaders, LoadError};

request_loaders! {
    /// Loads the newest enrollments of many programmes: key (programme, first).
    ProgrammeEnrollmentsLoader;
    /// Loads trainees by id.
    TraineeLoader;
}

impl Loader<(Uuid, u64)> for ProgrammeEnrollmentsLoader {
    type Value = Vec<enrollment::Model>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[(Uuid, u64)],
    ) -> Result<HashMap<(Uuid, u64), Self::Value>, Self::Error> {
        by_first(
            keys,
            |e: &enrollment::Model| e.programme_id,
            |ids, first| async move {
                service::first_enrollments_of(&self.0, &self.1, &ids, first).await
            },
        )
        .await
    }
}

impl Loader<Uuid> for TraineeLoader {
    type Value = trainee::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = service::trainees_by_id(&self.0, &self.1, keys)
            .await
            .map_err(load_error)?;
        Ok(rows.into_iter().map(|t| (t.id, t)).collect())
    }
}
