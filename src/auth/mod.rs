//! Authentication and authorization: tokens, passwords, the caller of a
//! request and the brand scope every service applies to its queries.

pub mod password;
pub mod principal;
pub mod ratelimit;
pub mod session;
pub mod tokens;

pub use principal::{
    BrandAccess, BrandScope, Caller, IntegrationPrincipal, Principal, UserPrincipal,
};
