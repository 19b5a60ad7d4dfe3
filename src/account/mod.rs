//! Accounts: sign-in, token refresh and sign-out, the current user, and the
//! admins' management of users and consultants' brand assignments.

pub mod graphql;
pub mod service;

/// A random 20-character password for a new admin (letters and digits).
pub fn generate_password() -> String {
    use rand::Rng;
    const CHARS: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..20)
        .map(|_| char::from(CHARS[rng.random_range(0..CHARS.len())]))
        .collect()
}
