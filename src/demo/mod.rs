//! `hearth demo`: fills the configured database with a realistic agency,
//! three client brands with research, communities, eighteen months of
//! activity, campaigns, training and sales, so a first run has something
//! true to explore.
//!
//! Everything goes through the API's own schema and services, as the
//! consultant, the client user or the brand's integration would send it,
//! so every rule, audit record and data version applies. The rows drawn
//! depend only on the seed and the last day of history (`--until`,
//! default today). Loading is refused on a database holding other brands
//! (unless asked for) and in production; once the demo is complete a run
//! changes nothing and prints the same summary.

mod client;
mod load;

use std::{collections::HashSet, sync::Arc};

use anyhow::{bail, Context as _};
use chrono::{NaiveDate, Utc};
use entity::{brand, community, report_snapshot, user};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use sha2::{Digest, Sha256};

pub use crate::demo_story::story::BRANDS;
pub use load::Counts;

use crate::{
    account,
    config::{Environment, Settings},
    demo_story::{generate, story},
    startup,
    telemetry::Metrics,
};

/// What `hearth demo` was asked for.
#[derive(Debug, Clone)]
pub struct Options {
    /// Seeds every random draw (and the demo accounts' passwords).
    pub seed: u64,
    /// The last day of history; today when `None`.
    pub until: Option<NaiveDate>,
    /// Load even though the database holds brands of its own.
    pub with_other_brands: bool,
}

/// A demo sign-in.
#[derive(Debug, Clone)]
pub struct Account {
    /// What they are (admin, consultant, the client of a brand).
    pub role: String,
    /// Display name.
    pub name: String,
    /// Sign-in e-mail.
    pub email: String,
    /// Password (follows from the seed).
    pub password: String,
}

/// A demo brand as loaded.
#[derive(Debug, Clone)]
pub struct DemoBrand {
    /// Brand id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Slug (the demo's brands are known by it).
    pub slug: String,
    /// Its communities, oldest first.
    pub community_ids: Vec<String>,
    /// Its frozen report (the newest).
    pub snapshot_id: Option<String>,
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct Summary {
    /// The demo was complete already: nothing was written.
    pub already_loaded: bool,
    /// The seed.
    pub seed: u64,
    /// The demo brands, in story order.
    pub brands: Vec<DemoBrand>,
    /// Admin, consultant, then each brand's client user.
    pub accounts: Vec<Account>,
    /// What was created (empty when already loaded).
    pub counts: Counts,
}

/// The brand description, which also marks the brand as the demo's and
/// names the seed it was drawn with.
fn description(brand: &story::Brand, seed: u64) -> String {
    format!("{} (Demo data, seed {seed}.)", brand.description)
}

fn seed_of(description: Option<&str>) -> Option<u64> {
    let tail = description?.rsplit_once("(Demo data, seed ")?.1;
    tail.strip_suffix(".)")?.parse().ok()
}

/// The demo accounts; passwords follow from the seed so that a second run
/// can print them again (never load the demo where real people sign in).
pub fn accounts(seed: u64) -> Vec<Account> {
    let password = |email: &str| {
        let digest = Sha256::digest(format!("hearth demo {seed} {email}").as_bytes());
        format!("demo-{}", &hex::encode(digest)[..16])
    };
    let mut out = vec![
        ("admin", "Avery Admin", "demo-admin@example.com".to_string()),
        (
            "consultant",
            "Casey Consultant",
            "demo-consultant@example.com".to_string(),
        ),
    ];
    for brand in BRANDS {
        let domain = brand.website.trim_start_matches("https://");
        out.push(("client", brand.team[0].0, format!("client@{domain}")));
    }
    out.into_iter()
        .map(|(role, name, email)| Account {
            role: role.into(),
            name: name.into(),
            password: password(&email),
            email,
        })
        .collect()
}

/// Loads the demo (or finds it loaded) and says what there is.
pub async fn run(settings: Settings, opts: Options) -> anyhow::Result<Summary> {
    if settings.environment == Environment::Production {
        bail!("hearth demo refuses a production deployment (environment = production): its accounts have known passwords");
    }
    let today = Utc::now().date_naive();
    let until_day = opts.until.unwrap_or(today);
    if until_day > today {
        bail!("--until must not be after today ({today})");
    }
    let until = generate::start_of(until_day);
    let metrics = Metrics::new()?;
    let app = startup::context(Arc::new(settings), &metrics).await?;
    let db = &app.db;
    crate::db::migrate_up(db).await?;
    let accounts = accounts(opts.seed);

    let demo: HashSet<&str> = BRANDS.iter().map(|b| b.slug).collect();
    let brands = brand::Entity::find().all(db).await?;
    let others = brands
        .iter()
        .filter(|b| !demo.contains(b.slug.as_str()))
        .count();
    let present: Vec<&brand::Model> = brands
        .iter()
        .filter(|b| demo.contains(b.slug.as_str()))
        .collect();
    if let Some(b) = present
        .iter()
        .find(|b| seed_of(b.description.as_deref()) != Some(opts.seed))
    {
        match seed_of(b.description.as_deref()) {
            Some(seed) => bail!("the demo in this database was loaded with --seed {seed}; run it with that seed, or load another seed into an empty database"),
            None => bail!("this database holds a brand with the demo's slug {} that the demo did not create", b.slug),
        }
    }
    if !present.is_empty() {
        let mut complete = present.len() == BRANDS.len();
        for b in &present {
            let frozen = report_snapshot::Entity::find()
                .filter(report_snapshot::Column::BrandId.eq(b.id))
                .count(db)
                .await?;
            complete &= frozen > 0;
        }
        if !complete {
            bail!("an earlier `hearth demo` stopped before it finished; load the demo into an empty database (delete the SQLite file, or use a new PostgreSQL database)");
        }
        return Ok(Summary {
            already_loaded: true,
            seed: opts.seed,
            brands: loaded(db).await?,
            accounts,
            counts: Counts::default(),
        });
    }
    if others > 0 && !opts.with_other_brands {
        bail!("this database already holds {others} brand(s) of its own; load the demo into an empty database, or pass --with-other-brands to add it beside them");
    }
    let taken = user::Entity::find()
        .filter(user::Column::Email.is_in(accounts.iter().map(|a| a.email.clone())))
        .count(db)
        .await?;
    if taken > 0 {
        bail!("the demo's accounts exist without its brands (an earlier `hearth demo` stopped early?); load the demo into an empty database");
    }

    let admin = &accounts[0];
    let admins = user::Entity::find()
        .filter(user::Column::Role.eq(user::Role::Admin))
        .count(db)
        .await?;
    let created = if admins == 0 {
        account::service::bootstrap_admin(db, &admin.email, &admin.name, admin.password.clone())
            .await
    } else {
        account::service::cli_admin(db, &admin.email, &admin.name, admin.password.clone()).await
    };
    created.map_err(|e| anyhow::anyhow!("could not create the demo admin: {e}"))?;
    let gql = client::Gql::new(app.clone());
    let admin_caller = gql.sign_in(&admin.email, &admin.password).await?;
    let consultant = &accounts[1];
    let out = gql
        .run(
            &admin_caller,
            "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }",
            serde_json::json!({ "input": {
                "email": consultant.email, "displayName": consultant.name,
                "role": "CONSULTANT", "password": consultant.password,
            }}),
        )
        .await?;
    let consultant_id = client::text(&out, "/createUser/id")?;
    let consultant_caller = gql.sign_in(&consultant.email, &consultant.password).await?;
    let mut loader = load::Loader::new(&gql, admin_caller, consultant_caller, &opts, until);
    loader
        .load((&consultant_id, consultant), &accounts[2..])
        .await
        .context("the demo could not be loaded")?;
    Ok(Summary {
        already_loaded: false,
        seed: opts.seed,
        brands: loaded(db).await?,
        accounts,
        counts: loader.counts,
    })
}

/// The demo brands and their communities as stored.
async fn loaded(db: &crate::db::Db) -> anyhow::Result<Vec<DemoBrand>> {
    let mut out = Vec::new();
    for story in BRANDS {
        let Some(b) = brand::Entity::find()
            .filter(brand::Column::Slug.eq(story.slug))
            .one(db)
            .await?
        else {
            continue;
        };
        let communities = community::Entity::find()
            .filter(community::Column::BrandId.eq(b.id))
            .order_by_asc(community::Column::CreatedAt)
            .order_by_asc(community::Column::Id)
            .all(db)
            .await?;
        let snapshot = report_snapshot::Entity::find()
            .filter(report_snapshot::Column::BrandId.eq(b.id))
            .order_by_desc(report_snapshot::Column::Id)
            .one(db)
            .await?;
        out.push(DemoBrand {
            id: b.id.to_string(),
            name: b.name,
            slug: b.slug,
            community_ids: communities.iter().map(|c| c.id.to_string()).collect(),
            snapshot_id: snapshot.map(|s| s.id.to_string()),
        });
    }
    Ok(out)
}

impl Summary {
    /// Three queries to paste into GraphiQL, about the first brand.
    pub fn queries(&self) -> Vec<(String, String)> {
        let Some(brand) = self.brands.first() else {
            return Vec::new();
        };
        let community = brand.community_ids.first().cloned().unwrap_or_default();
        vec![
            (
                "Every brand and its communities".into(),
                "{ brands(first: 10) { edges { node { name communities(first: 5) { edges { node { name platform status } } } } } } }".into(),
            ),
            (
                format!("{}'s impact report over the last year", brand.name),
                format!(
                    "{{ impactReport(brandId: \"{}\") {{ sales {{ currency spendPerCustomer {{ members {{ value sampleSize }} nonMembers {{ value sampleSize }} }} \
                     spendUplift {{ difference relative ciLow ciHigh }} joiners {{ joiners difference ciLow ciHigh }} }} \
                     satisfaction {{ nps {{ members {{ value }} nonMembers {{ value }} }} }} }} }}",
                    brand.id
                ),
            ),
            (
                "The first community: its health and the members slipping away".into(),
                format!(
                    "{{ communityHealth(communityId: \"{community}\") {{ members activeMembers30d stickiness replyRate }} \
                     slippingAway(communityId: \"{community}\", first: 5) {{ edges {{ node {{ member {{ displayName }} engagement {{ level band lastActiveAt }} }} }} }} }}"
                ),
            ),
        ]
    }

    /// The summary as printed at the end of a run.
    pub fn render(&self, graphiql: &str) -> String {
        let mut out = String::new();
        if self.already_loaded {
            out.push_str(&format!(
                "The demo (seed {}) is already loaded; nothing was changed.\n",
                self.seed
            ));
        } else {
            out.push_str(&format!("Loaded the demo agency (seed {}):\n", self.seed));
            let counts: Vec<String> = self
                .counts
                .0
                .iter()
                .map(|(k, v)| format!("{v} {k}"))
                .collect();
            for line in counts.chunks(4) {
                out.push_str(&format!("  {}\n", line.join(", ")));
            }
        }
        out.push_str("\nBrands:\n");
        for b in &self.brands {
            out.push_str(&format!(
                "  {:<18} {}  ({} communities)\n",
                b.name,
                b.id,
                b.community_ids.len()
            ));
        }
        out.push_str("\nSign in with (demo passwords follow from the seed):\n");
        for (i, a) in self.accounts.iter().enumerate() {
            let role = match i {
                0 | 1 => a.role.clone(),
                _ => format!(
                    "client of {}",
                    BRANDS.get(i - 2).map(|b| b.name).unwrap_or("")
                ),
            };
            out.push_str(&format!("  {role:<28} {:<42} {}\n", a.email, a.password));
        }
        if let Some(a) = self.accounts.get(1) {
            out.push_str(&format!(
                "\nServe with `hearth serve`, open {graphiql}, sign in with\n  mutation {{ login(email: \"{}\", password: \"{}\") {{ accessToken }} }}\nand send the access token as the header  Authorization: Bearer <accessToken>. Then try:\n",
                a.email, a.password
            ));
        }
        for (title, query) in self.queries() {
            out.push_str(&format!("\n# {title}\n{query}\n"));
        }
        if let Some((brand, snapshot)) = self
            .brands
            .first()
            .and_then(|b| Some((b, b.snapshot_id.as_ref()?)))
        {
            let base = graphiql.trim_end_matches("/graphiql");
            out.push_str(&format!(
                "\n# {}'s frozen report as its client reads it: create a share link, then open {base}<path>\n\
                 mutation {{ createReportShareLink(snapshotId: \"{snapshot}\") {{ path csvPath }} }}\n",
                brand.name
            ));
        }
        out
    }
}
