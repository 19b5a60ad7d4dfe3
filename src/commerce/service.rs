//! Bulk, idempotent ingest of customers, orders and survey responses: one
//! transaction of multi-row statements (a fixed number per 500 rows),
//! `ON CONFLICT DO NOTHING` on each row's external id. Stored orders are
//! added to their customers' order summaries in the same transaction.

use std::collections::{HashMap, HashSet};

use async_graphql::{Enum, InputObject, ID};
use chrono::{DateTime, Duration, Utc};
use entity::{customer, customer_order, survey_response};
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, FromQueryResult, Set};
use uuid::Uuid;

use crate::{
    auth::Caller,
    community::service::Platform,
    context::{parse_id, AppContext},
    db,
    error::AppResult,
    ingest::{
        check_count, fingerprint, finish, insert_idempotent, insert_new, lookup_chunk, may_ingest,
        members_by_identity, plain, sort_rows, stops, Idempotent, IngestMode, IngestSummary,
        RejectedRow, CHUNK,
    },
};

/// A customer of the brand.
#[derive(Debug, Clone, InputObject, serde::Deserialize)]
// Read like the GraphQL input type when a batch is read from JSON
// (`ingest::ReadRows`): the same names, no other field.
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CustomerRowInput {
    /// The brand's customer reference (unique per brand).
    pub external_ref: String,
    /// Platform of the member this customer is, if known.
    pub member_platform: Option<Platform>,
    /// The member's user id on that platform.
    pub member_external_id: Option<String>,
}

/// A batch of customers.
#[derive(Debug, Clone, InputObject)]
pub struct IngestCustomersInput {
    /// The brand.
    pub brand_id: ID,
    /// Up to 10,000 rows.
    pub rows: Vec<CustomerRowInput>,
    /// What to do with rejected rows (default `ALL_OR_NOTHING`).
    pub mode: Option<IngestMode>,
}

/// An order.
#[derive(Debug, Clone, InputObject, serde::Deserialize)]
// Read like the GraphQL input type when a batch is read from JSON
// (`ingest::ReadRows`): the same names, no other field.
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrderRowInput {
    /// The shop's order id (unique per brand).
    pub external_id: String,
    /// The customer's reference; unknown customers are created.
    pub customer_ref: String,
    /// When it was placed.
    pub ordered_at: DateTime<Utc>,
    /// Amount as a decimal string, e.g. `"49.90"` (0 or more, at most 4 decimals).
    pub amount: String,
    /// ISO 4217 currency code, e.g. `EUR`.
    pub currency: String,
    /// Items in the order (default 1).
    pub item_count: Option<i32>,
    /// The campaign offer code used, if any (attributes the order to the
    /// content item with that code).
    pub offer_code: Option<String>,
}

/// A batch of orders.
#[derive(Debug, Clone, InputObject)]
pub struct IngestOrdersInput {
    /// The brand.
    pub brand_id: ID,
    /// Up to 10,000 rows.
    pub rows: Vec<OrderRowInput>,
    /// What to do with rejected rows (default `ALL_OR_NOTHING`).
    pub mode: Option<IngestMode>,
}

/// Survey kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SurveyKind {
    /// Net Promoter Score, 0-10.
    Nps,
    /// Customer satisfaction, 1-5.
    Csat,
    /// Customer effort score, 1-7.
    Ces,
}

impl SurveyKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Nps => "NPS",
            Self::Csat => "CSAT",
            Self::Ces => "CES",
        }
    }

    fn range(self) -> (i32, i32) {
        match self {
            Self::Nps => (0, 10),
            Self::Csat => (1, 5),
            Self::Ces => (1, 7),
        }
    }
}

/// A survey response.
#[derive(Debug, Clone, InputObject, serde::Deserialize)]
// Read like the GraphQL input type when a batch is read from JSON
// (`ingest::ReadRows`): the same names, no other field.
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SurveyRowInput {
    /// The survey tool's id for the answer (unique per brand).
    pub external_id: String,
    /// Which survey.
    pub kind: SurveyKind,
    /// The score: NPS 0-10, CSAT 1-5, CES 1-7.
    pub score: i32,
    /// Free text, up to 2000 characters.
    pub comment: Option<String>,
    /// The customer who answered, if known (unknown customers are created).
    pub customer_ref: Option<String>,
    /// Platform of the member who answered, if known.
    pub member_platform: Option<Platform>,
    /// The member's user id on that platform.
    pub member_external_id: Option<String>,
    /// When they answered.
    pub responded_at: DateTime<Utc>,
}

/// A batch of survey responses.
#[derive(Debug, Clone, InputObject)]
pub struct IngestSurveysInput {
    /// The brand.
    pub brand_id: ID,
    /// Up to 10,000 rows.
    pub rows: Vec<SurveyRowInput>,
    /// What to do with rejected rows (default `ALL_OR_NOTHING`).
    pub mode: Option<IngestMode>,
}

fn not_future(at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    at <= now + Duration::days(1)
}

/// Parses an amount into ten-thousandths: non-negative, at most 4 decimals.
pub fn parse_amount(s: &str) -> Result<i64, &'static str> {
    let d: Decimal = s
        .trim()
        .parse()
        .map_err(|_| "amount must be a decimal number such as 49.90")?;
    if d.is_sign_negative() {
        return Err("amount must not be negative");
    }
    if d.scale() > 4 && d.normalize().scale() > 4 {
        return Err("amount has more than 4 decimal places");
    }
    let e4 = (d * Decimal::from(10_000)).trunc();
    i64::try_from(e4).map_err(|_| "amount is too large")
}

/// Formats ten-thousandths as a decimal string with 2 to 4 decimals.
pub fn format_amount(e4: i64) -> String {
    let d = Decimal::new(e4, 4).normalize();
    if d.scale() < 2 {
        format!("{:.2}", d)
    } else {
        d.to_string()
    }
}

/// An ISO 4217 currency code: three ASCII capitals, kept without an
/// allocation per order.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Currency([u8; 3]);

impl Currency {
    /// The code in `c` (already trimmed and upper-cased), if it is one.
    fn parse(c: &str) -> Option<Self> {
        let code: [u8; 3] = c.as_bytes().try_into().ok()?;
        code.iter()
            .all(u8::is_ascii_uppercase)
            .then_some(Self(code))
    }

    fn as_str(&self) -> &str {
        // Three ASCII capitals (checked in `parse`) are UTF-8.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

/// Customers for refs, creating the unknown ones (whose refs are returned
/// too); a fixed number of statements per chunk.
async fn customers_for<C: ConnectionTrait>(
    db: &C,
    brand: Uuid,
    refs: &HashSet<String>,
    now: DateTime<Utc>,
) -> AppResult<(HashMap<String, Uuid>, HashSet<String>)> {
    let refs: Vec<String> = refs.iter().cloned().collect();
    let mut map = find_customers(db, brand, &refs).await?;
    let missing: Vec<String> = refs
        .iter()
        .filter(|r| !map.contains_key(*r))
        .cloned()
        .collect();
    let rows: Vec<customer::ActiveModel> = missing
        .iter()
        .map(|r| customer::ActiveModel {
            id: Set(Uuid::now_v7()),
            brand_id: Set(brand),
            external_ref: Set(r.clone()),
            member_id: Set(None),
            created_at: Set(now),
        })
        .collect();
    insert_new(
        db,
        rows,
        [customer::Column::BrandId, customer::Column::ExternalRef],
    )
    .await?;
    map.extend(find_customers(db, brand, &missing).await?);
    Ok((map, missing.into_iter().collect()))
}

#[derive(FromQueryResult)]
struct RefRow {
    id: Uuid,
    external_ref: String,
}

async fn find_customers<C: ConnectionTrait>(
    db: &C,
    brand: Uuid,
    refs: &[String],
) -> AppResult<HashMap<String, Uuid>> {
    let backend = db.get_database_backend();
    let mut map = HashMap::new();
    for chunk in refs.chunks(lookup_chunk(backend)) {
        let (cond, mut values) =
            db::text_one_of_sql(backend, "external_ref", chunk.iter().map(String::as_str));
        let sql = format!("SELECT id, external_ref FROM customer WHERE brand_id = ? AND {cond}");
        values.insert(0, brand.into());
        for c in RefRow::find_by_statement(db::raw(backend, &sql, values))
            .all(db)
            .await?
        {
            map.insert(c.external_ref, c.id);
        }
    }
    Ok(map)
}

/// Members for (platform, external id) identities, one lookup per chunk.
async fn members_for<C: ConnectionTrait>(
    db: &C,
    brand: Uuid,
    keys: &HashSet<(String, String)>,
) -> AppResult<HashMap<(String, String), Uuid>> {
    let keys: Vec<(String, String)> = keys.iter().cloned().collect();
    members_by_identity(db, brand, &keys).await
}

/// A member identity given in a row: (platform, external id).
type MemberKey = (String, String);

fn member_key(
    index: usize,
    platform: Option<Platform>,
    id: &Option<String>,
) -> Result<Option<(String, String)>, RejectedRow> {
    match (platform, id) {
        (None, None) => Ok(None),
        (Some(p), Some(e)) if plain(e, 200) => {
            Ok(Some((p.as_str().to_string(), e.trim().to_string())))
        }
        (Some(_), Some(_)) => Err(RejectedRow::new(
            index,
            "memberExternalId",
            "memberExternalId must be 1-200 characters",
        )),
        _ => Err(RejectedRow::new(
            index,
            "memberExternalId",
            "give memberPlatform and memberExternalId together",
        )),
    }
}

/// The payload of an order as sent, for telling a replay from a reused id.
fn order_fingerprint(o: &OrderRow) -> String {
    let at = o.ordered_at.timestamp_micros().to_string();
    let amount = o.amount_e4.to_string();
    let items = o.item_count.to_string();
    let mut parts = vec![
        o.customer_ref.as_str(),
        &at,
        &amount,
        o.currency.as_str(),
        &items,
    ];
    // Only when named, so orders stored before codes were kept keep their
    // fingerprint.
    if let Some(code) = &o.offer_code {
        parts.push(code);
    }
    fingerprint(&parts)
}

/// The payload of a survey answer as sent.
fn survey_fingerprint(r: &SurveyRowInput, member: &Option<MemberKey>) -> String {
    let (platform, external) = member.clone().unwrap_or_default();
    fingerprint(&[
        r.kind.as_str(),
        &r.score.to_string(),
        r.comment.as_deref().unwrap_or("\u{1}none"),
        r.customer_ref
            .as_deref()
            .map(str::trim)
            .unwrap_or("\u{1}none"),
        &platform,
        &external,
        &r.responded_at.timestamp_micros().to_string(),
    ])
}

fn check_customer(
    i: usize,
    r: &CustomerRowInput,
) -> Result<(String, Option<(String, String)>), RejectedRow> {
    if !plain(&r.external_ref, 200) {
        return Err(RejectedRow::new(
            i,
            "externalRef",
            "externalRef must be 1-200 characters",
        ));
    }
    let key = member_key(i, r.member_platform, &r.member_external_id)?;
    Ok((r.external_ref.trim().to_string(), key))
}

/// A checked order row.
struct OrderRow {
    external_id: String,
    customer_ref: String,
    ordered_at: DateTime<Utc>,
    amount_e4: i64,
    currency: Currency,
    item_count: i32,
    offer_code: Option<String>,
}

fn check_order(i: usize, r: &OrderRowInput, now: DateTime<Utc>) -> Result<OrderRow, RejectedRow> {
    let reject = |f: &str, why: &str| RejectedRow::new(i, f, why);
    if !plain(&r.external_id, 200) {
        return Err(reject("externalId", "externalId must be 1-200 characters"));
    }
    if !plain(&r.customer_ref, 200) {
        return Err(reject(
            "customerRef",
            "customerRef must be 1-200 characters",
        ));
    }
    let amount_e4 = parse_amount(&r.amount).map_err(|why| reject("amount", why))?;
    let Some(currency) = Currency::parse(&r.currency.trim().to_uppercase()) else {
        return Err(reject(
            "currency",
            "currency must be an ISO 4217 code such as EUR",
        ));
    };
    if !not_future(r.ordered_at, now) {
        return Err(reject(
            "orderedAt",
            "orderedAt is more than a day in the future",
        ));
    }
    let item_count = r.item_count.unwrap_or(1);
    if !(0..=100_000).contains(&item_count) {
        return Err(reject("itemCount", "itemCount must be 0-100000"));
    }
    let offer_code = match r.offer_code.as_deref() {
        None => None,
        Some(c) => Some(
            crate::content::service::offer_code(c)
                .ok_or_else(|| reject("offerCode", crate::content::service::OFFER_CODE_RULE))?,
        ),
    };
    Ok(OrderRow {
        external_id: r.external_id.trim().to_string(),
        customer_ref: r.customer_ref.trim().to_string(),
        ordered_at: r.ordered_at,
        amount_e4,
        currency,
        item_count,
        offer_code,
    })
}

fn check_survey(
    i: usize,
    r: &SurveyRowInput,
    now: DateTime<Utc>,
) -> Result<(&SurveyRowInput, Option<MemberKey>), RejectedRow> {
    let reject = |f: &str, why: &str| RejectedRow::new(i, f, why);
    if !plain(&r.external_id, 200) {
        return Err(reject("externalId", "externalId must be 1-200 characters"));
    }
    let (lo, hi) = r.kind.range();
    if !(lo..=hi).contains(&r.score) {
        return Err(RejectedRow::new(
            i,
            "score",
            format!("a {} score must be {lo}-{hi}", r.kind.as_str()),
        ));
    }
    if r.comment
        .as_deref()
        .is_some_and(|c| c.chars().count() > 2000 || c.contains('\0'))
    {
        return Err(reject("comment", "comment must be at most 2000 characters"));
    }
    if r.customer_ref.as_deref().is_some_and(|c| !plain(c, 200)) {
        return Err(reject(
            "customerRef",
            "customerRef must be 1-200 characters",
        ));
    }
    if !not_future(r.responded_at, now) {
        return Err(reject(
            "respondedAt",
            "respondedAt is more than a day in the future",
        ));
    }
    Ok((r, member_key(i, r.member_platform, &r.member_external_id)?))
}

/// Ingests customers; a row with a member identity links the customer to
/// that member (counted as `updated` when the link is new).
pub async fn customers(
    app: &AppContext,
    caller: &Caller,
    input: IngestCustomersInput,
) -> AppResult<IngestSummary> {
    let brand = parse_id("input.brandId", &input.brand_id)?;
    check_count(input.rows.len())?;
    may_ingest(app, caller, brand, "ingest:orders").await?;
    let checked = input
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| check_customer(i, r))
        .collect();
    let (good, mut summary) = sort_rows(checked, |r| r.0.clone());
    if stops(input.mode, &mut summary) {
        return Ok(summary);
    }
    let now = Utc::now();
    let txn = crate::db::WriteTxn::for_brand(app, brand).await?;
    let refs: HashSet<String> = good.iter().map(|(r, _)| r.clone()).collect();
    let (map, created) = customers_for(&txn, brand, &refs, now).await?;
    summary.inserted = created.len() as i32;
    let keys: HashSet<(String, String)> = good.iter().filter_map(|(_, k)| k.clone()).collect();
    let members = members_for(&txn, brand, &keys).await?;
    // Link customers to members: one UPDATE ... FROM (VALUES ...) per chunk.
    let links: Vec<(Uuid, Uuid)> = good
        .iter()
        .filter_map(|(r, k)| Some((*map.get(r)?, *members.get(k.as_ref()?)?)))
        .collect();
    let links_to_new = good
        .iter()
        .filter(|(r, k)| created.contains(r) && k.as_ref().is_some_and(|k| members.contains_key(k)))
        .count() as i32;
    let backend = txn.get_database_backend();
    for chunk in links.chunks(CHUNK) {
        let values = vec!["(?, ?)"; chunk.len()].join(", ");
        let sql = format!(
            "WITH v(id, member_id) AS (VALUES {values}) \
             UPDATE customer SET member_id = v.member_id FROM v \
             WHERE customer.id = v.id AND (customer.member_id IS NULL OR customer.member_id <> v.member_id)"
        );
        let params = chunk
            .iter()
            .flat_map(|(c, m)| [sea_orm::Value::from(*c), (*m).into()])
            .collect();
        let res = txn.execute_raw(db::raw(backend, &sql, params)).await?;
        summary.updated += res.rows_affected() as i32;
    }
    // Links set on customers created just now are part of their insert.
    summary.updated = (summary.updated - links_to_new).max(0);
    summary.duplicates += (good.len() as i32 - summary.inserted - summary.updated).max(0);
    finish(caller, txn, brand, "impact.ingest_customers", &summary).await?;
    Ok(summary)
}

/// Ingests orders; unknown customers are created from their reference.
pub async fn orders(
    app: &AppContext,
    caller: &Caller,
    input: IngestOrdersInput,
) -> AppResult<IngestSummary> {
    let brand = parse_id("input.brandId", &input.brand_id)?;
    check_count(input.rows.len())?;
    may_ingest(app, caller, brand, "ingest:orders").await?;
    let now = Utc::now();
    let checked = input
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| check_order(i, r, now).map(|o| (i, o)))
        .collect();
    let (good, mut summary) = sort_rows(checked, |(_, r)| r.external_id.clone());
    if stops(input.mode, &mut summary) {
        return Ok(summary);
    }
    let txn = crate::db::WriteTxn::for_brand(app, brand).await?;
    let refs: HashSet<String> = good.iter().map(|(_, o)| o.customer_ref.clone()).collect();
    // The fingerprints are worked out while the database looks the
    // customers up (the lookup is sent before the block runs).
    let (customers, keyed) = futures_util::join!(customers_for(&txn, brand, &refs, now), async {
        good.iter()
            .map(|(i, o)| (*i, o.external_id.clone(), order_fingerprint(o)))
            .collect::<Vec<(usize, String, String)>>()
    });
    let (customers, _) = customers?;
    let mut ids = Vec::with_capacity(good.len());
    let mut added = Vec::with_capacity(good.len());
    // The checked rows are not needed after this: their values move into
    // the models.
    let rows: Vec<customer_order::ActiveModel> = good
        .into_iter()
        .zip(&keyed)
        .filter_map(|((_, o), (_, _, fp))| {
            let id = Uuid::now_v7();
            let customer_id = *customers.get(&o.customer_ref)?;
            ids.push(id);
            added.push((customer_id, o.currency, o.ordered_at, o.amount_e4));
            Some(customer_order::ActiveModel {
                payload_hash: Set(Some(fp.clone())),
                id: Set(id),
                brand_id: Set(brand),
                customer_id: Set(customer_id),
                external_id: Set(o.external_id),
                ordered_at: Set(o.ordered_at),
                amount_e4: Set(o.amount_e4),
                currency: Set(o.currency.as_str().to_string()),
                item_count: Set(o.item_count),
                created_at: Set(now),
                offer_code: Set(o.offer_code),
            })
        })
        .collect();
    let unique = [
        customer_order::Column::BrandId,
        customer_order::Column::ExternalId,
    ];
    let by = Idempotent {
        table: "customer_order",
        column: "external_id",
        field: "externalId",
        brand,
        keyed: &keyed,
        mode: input.mode,
    };
    let rows_count = rows.len();
    // The summaries' statements are built while the database inserts.
    let backend = txn.get_database_backend();
    let (stop, summaries) = futures_util::join!(
        insert_idempotent(&txn, rows, unique, by, &mut summary),
        async { SummaryBatch::of(added).statements(backend, brand) }
    );
    if stop? {
        return Ok(summary);
    }
    let candidates = rows_count as i32;
    if summary.inserted == candidates {
        // Every row is new: the batch's own totals are what it adds.
        for statement in summaries {
            txn.execute_raw(statement).await?;
        }
    } else if summary.inserted > 0 {
        add_to_summaries(&txn, brand, &ids).await?;
    }
    finish(caller, txn, brand, "impact.ingest_orders", &summary).await?;
    Ok(summary)
}

/// The columns of `customer_order_summary` every summary insert writes.
const SUMMARY_COLUMNS: &str =
    "(customer_id, currency, brand_id, first_order_at, last_order_at, orders, amount_e4)";

/// How an insert into `customer_order_summary` merges into the customer's
/// existing row: earliest first order, latest last order, counts and totals
/// added. The one rule both summary writers use, so a summary stays the
/// aggregate of its orders however they arrived.
fn summary_merge(backend: sea_orm::DbBackend) -> String {
    let (least, greatest) = match backend {
        sea_orm::DbBackend::Postgres => ("LEAST", "GREATEST"),
        _ => ("MIN", "MAX"),
    };
    format!(
        "ON CONFLICT (customer_id, currency) DO UPDATE SET \
           first_order_at = {least}(customer_order_summary.first_order_at, excluded.first_order_at), \
           last_order_at = {greatest}(customer_order_summary.last_order_at, excluded.last_order_at), \
           orders = customer_order_summary.orders + excluded.orders, \
           amount_e4 = customer_order_summary.amount_e4 + excluded.amount_e4"
    )
}

/// What a batch of new orders adds to their customers' summaries, totalled
/// per customer and currency.
struct SummaryBatch(HashMap<(Uuid, Currency), Totals>);

/// First and last order, count and total (in ten-thousandths).
type Totals = (DateTime<Utc>, DateTime<Utc>, i64, i64);

impl SummaryBatch {
    /// Totals the batch's (customer, currency, time, amount) rows.
    fn of(rows: Vec<(Uuid, Currency, DateTime<Utc>, i64)>) -> Self {
        let mut totals: HashMap<(Uuid, Currency), Totals> = HashMap::with_capacity(rows.len());
        for (customer, currency, at, amount_e4) in rows {
            let e = totals.entry((customer, currency)).or_insert((at, at, 0, 0));
            e.0 = e.0.min(at);
            e.1 = e.1.max(at);
            e.2 += 1;
            e.3 += amount_e4;
        }
        Self(totals)
    }

    /// The statements adding the totals to `customer_order_summary`: one
    /// from arrays on PostgreSQL, one per [`CHUNK`] customers on SQLite.
    /// The same merge as [`add_to_summaries`], without reading the orders
    /// back.
    fn statements(self, backend: sea_orm::DbBackend, brand: Uuid) -> Vec<sea_orm::Statement> {
        // In key order: the conflict probes then walk the primary key's
        // pages in order instead of at random (about a tenth faster).
        let mut rows: Vec<_> = self.0.into_iter().collect();
        rows.sort_unstable_by_key(|a| a.0);
        let merge = summary_merge(backend);
        if backend == sea_orm::DbBackend::Postgres {
            use sea_orm::sea_query::ArrayType;
            let array = |ty: ArrayType, values: Vec<sea_orm::Value>| {
                sea_orm::Value::Array(ty, Some(Box::new(values)))
            };
            let mut cols: [Vec<sea_orm::Value>; 6] = Default::default();
            for ((customer, currency), (first, last, orders, amount)) in rows {
                cols[0].push(customer.into());
                cols[1].push(currency.as_str().into());
                cols[2].push(first.into());
                cols[3].push(last.into());
                cols[4].push(orders.into());
                cols[5].push(amount.into());
            }
            let [c, cur, f, l, o, a] = cols;
            let sql = format!(
                "INSERT INTO customer_order_summary {SUMMARY_COLUMNS} \
                 SELECT t.c, t.cur, ?, t.f, t.l, t.o, t.a FROM UNNEST(CAST(? AS UUID[]), CAST(? AS TEXT[]), \
                   CAST(? AS TIMESTAMPTZ[]), CAST(? AS TIMESTAMPTZ[]), CAST(? AS BIGINT[]), CAST(? AS BIGINT[])) \
                   AS t(c, cur, f, l, o, a) {merge}"
            );
            let values = vec![
                brand.into(),
                array(ArrayType::Uuid, c),
                array(ArrayType::String, cur),
                array(ArrayType::ChronoDateTimeUtc, f),
                array(ArrayType::ChronoDateTimeUtc, l),
                array(ArrayType::BigInt, o),
                array(ArrayType::BigInt, a),
            ];
            return vec![db::raw(backend, &sql, values)];
        }
        rows.chunks(CHUNK)
            .map(|part| {
                let sql = format!(
                    "INSERT INTO customer_order_summary {SUMMARY_COLUMNS} VALUES {} {merge}",
                    vec!["(?, ?, ?, ?, ?, ?, ?)"; part.len()].join(", ")
                );
                let mut values: Vec<sea_orm::Value> = Vec::with_capacity(part.len() * 7);
                for ((customer, currency), (first, last, orders, amount)) in part {
                    values.extend([
                        (*customer).into(),
                        currency.as_str().into(),
                        brand.into(),
                        (*first).into(),
                        (*last).into(),
                        (*orders).into(),
                        (*amount).into(),
                    ]);
                }
                db::raw(backend, &sql, values)
            })
            .collect()
    }
}

/// Adds the orders among `ids` that this batch stored (a duplicate kept its
/// earlier row, whose id is not among them) to their customers' summaries
/// (`customer_order_summary`), in the batch's transaction: first and last
/// order, count and total per customer and currency. One statement on
/// PostgreSQL; one per [`CHUNK`] ids on SQLite, which has no arrays.
async fn add_to_summaries<C: ConnectionTrait>(db: &C, brand: Uuid, ids: &[Uuid]) -> AppResult<()> {
    let backend = db.get_database_backend();
    let merge = summary_merge(backend);
    let chunk = match backend {
        sea_orm::DbBackend::Postgres => ids.len().max(1),
        _ => CHUNK,
    };
    for part in ids.chunks(chunk) {
        let (cond, mut values) = db::one_of_sql(backend, "id", part);
        let sql = format!(
            "INSERT INTO customer_order_summary {SUMMARY_COLUMNS} \
             SELECT customer_id, currency, brand_id, MIN(ordered_at), MAX(ordered_at), \
               CAST(COUNT(*) AS BIGINT), CAST(SUM(amount_e4) AS BIGINT) \
             FROM customer_order WHERE brand_id = ? AND {cond} \
             GROUP BY customer_id, currency, brand_id {merge}"
        );
        values.insert(0, brand.into());
        db.execute_raw(db::raw(backend, &sql, values)).await?;
    }
    Ok(())
}

/// Ingests survey responses.
pub async fn surveys(
    app: &AppContext,
    caller: &Caller,
    input: IngestSurveysInput,
) -> AppResult<IngestSummary> {
    let brand = parse_id("input.brandId", &input.brand_id)?;
    check_count(input.rows.len())?;
    may_ingest(app, caller, brand, "ingest:surveys").await?;
    let now = Utc::now();
    let checked = input
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| check_survey(i, r, now).map(|(r, k)| (i, r, k)))
        .collect();
    let (good, mut summary) = sort_rows(checked, |r| r.1.external_id.trim().to_string());
    if stops(input.mode, &mut summary) {
        return Ok(summary);
    }
    let txn = crate::db::WriteTxn::for_brand(app, brand).await?;
    let refs: HashSet<String> = good
        .iter()
        .filter_map(|(_, r, _)| r.customer_ref.as_ref().map(|c| c.trim().to_string()))
        .collect();
    let (customers, _) = customers_for(&txn, brand, &refs, now).await?;
    let keys: HashSet<(String, String)> = good.iter().filter_map(|(_, _, k)| k.clone()).collect();
    let members = members_for(&txn, brand, &keys).await?;
    let keyed: Vec<(usize, String, String)> = good
        .iter()
        .map(|(i, r, k)| {
            (
                *i,
                r.external_id.trim().to_string(),
                survey_fingerprint(r, k),
            )
        })
        .collect();
    let rows: Vec<survey_response::ActiveModel> = good
        .iter()
        .zip(&keyed)
        .map(|((_, r, k), (_, _, fp))| survey_response::ActiveModel {
            payload_hash: Set(Some(fp.clone())),
            id: Set(Uuid::now_v7()),
            brand_id: Set(brand),
            external_id: Set(r.external_id.trim().to_string()),
            kind: Set(r.kind.as_str().into()),
            score: Set(r.score),
            comment: Set(r.comment.clone()),
            customer_id: Set(r
                .customer_ref
                .as_ref()
                .and_then(|c| customers.get(c.trim()).copied())),
            member_id: Set(k.as_ref().and_then(|k| members.get(k).copied())),
            responded_at: Set(r.responded_at),
            created_at: Set(now),
        })
        .collect();
    let unique = [
        survey_response::Column::BrandId,
        survey_response::Column::ExternalId,
    ];
    let by = Idempotent {
        table: "survey_response",
        column: "external_id",
        field: "externalId",
        brand,
        keyed: &keyed,
        mode: input.mode,
    };
    if insert_idempotent(&txn, rows, unique, by, &mut summary).await? {
        return Ok(summary);
    }
    finish(caller, txn, brand, "impact.ingest_surveys", &summary).await?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_exact() {
        assert_eq!(parse_amount("49.90"), Ok(499_000));
        assert_eq!(parse_amount("0"), Ok(0));
        assert_eq!(parse_amount("1.2345"), Ok(12_345));
        assert!(parse_amount("1.23456").is_err());
        assert!(parse_amount("-1").is_err());
        assert!(parse_amount("abc").is_err());
        assert_eq!(format_amount(499_000), "49.90");
        assert_eq!(format_amount(12_345), "1.2345");
        assert_eq!(format_amount(0), "0.00");
    }
}
