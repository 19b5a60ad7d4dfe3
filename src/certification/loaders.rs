//! Certification DataLoaders, each applying the caller's brand scope.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use uuid::Uuid;

use super::certifications::{self, CertificationRow};
use crate::loaders::{group, load_error, request_loaders, LoadError};

request_loaders! {
    /// Loads the certifications of many enrollments.
    EnrollmentCertificationsLoader;
}

impl Loader<Uuid> for EnrollmentCertificationsLoader {
    type Value = Vec<CertificationRow>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = certifications::of_enrollments(&self.0, &self.1, keys)
            .await
            .map_err(load_error)?;
        Ok(group(rows.into_iter().map(|c| (c.enrollment_id, c))))
    }
}
