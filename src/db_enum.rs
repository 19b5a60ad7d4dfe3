//! String-backed enums: one definition serves GraphQL (as an enum) and
//! storage (as its `SCREAMING_SNAKE_CASE` name in a text column).

/// Defines a GraphQL enum whose values are stored as their GraphQL names.
///
/// ```ignore
/// db_enum! {
///     /// Lifecycle of a community.
///     pub enum CommunityStatus { /// Being planned.
///         Planned = "PLANNED", ... }
/// }
/// ```
#[macro_export]
macro_rules! db_enum {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, async_graphql::Enum, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[graphql(name = $text)] #[serde(rename = $text)] $variant,)+
        }

        impl $name {
            /// The stored (and GraphQL) name.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text,)+ }
            }

            /// Parses a stored name.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some(Self::$variant),)+ _ => None }
            }

            /// Parses a stored name; unknown values are an internal error
            /// (the database holds only names this type wrote).
            pub fn from_db(s: &str) -> $crate::error::AppResult<Self> {
                Self::parse(s).ok_or_else(|| {
                    $crate::error::AppError::Internal(anyhow::anyhow!(
                        "unknown {} value in the database: {s}",
                        stringify!($name)
                    ))
                })
            }
        }
    };
}
