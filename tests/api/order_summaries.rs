//! Order summaries: kept at ingest in the batch's transaction, equal to the
//! aggregate of the orders they sum whatever arrives (out of time order,
//! replays, refused batches, partial batches), per brand, and rebuilt for
//! existing orders by their migration.

use chrono::{DateTime, Duration, Utc};
use hearth::db;
use sea_orm::FromQueryResult;
use serde_json::json;
use uuid::Uuid;

use crate::{helpers::TestApp, impact::gql_ok};

#[derive(Debug, PartialEq, FromQueryResult)]
struct Summary {
    customer_ref: String,
    currency: String,
    first_order_at: DateTime<Utc>,
    last_order_at: DateTime<Utc>,
    orders: i64,
    amount_e4: i64,
}

/// The brand's summaries, by customer reference and currency.
async fn summaries(app: &TestApp, brand: &str) -> Vec<Summary> {
    let db = &app.context.db;
    Summary::find_by_statement(db::raw(
        db.get_database_backend(),
        "SELECT c.external_ref AS customer_ref, s.currency AS currency, s.first_order_at AS first_order_at, \
           s.last_order_at AS last_order_at, s.orders AS orders, s.amount_e4 AS amount_e4 \
         FROM customer_order_summary s JOIN customer c ON c.id = s.customer_id \
         WHERE s.brand_id = ? ORDER BY c.external_ref, s.currency",
        vec![Uuid::parse_str(brand).unwrap().into()],
    ))
    .all(db)
    .await
    .unwrap()
}

/// The same figures aggregated from the brand's orders.
async fn from_orders(app: &TestApp, brand: &str) -> Vec<Summary> {
    let db = &app.context.db;
    Summary::find_by_statement(db::raw(
        db.get_database_backend(),
        "SELECT c.external_ref AS customer_ref, o.currency AS currency, MIN(o.ordered_at) AS first_order_at, \
           MAX(o.ordered_at) AS last_order_at, CAST(COUNT(*) AS BIGINT) AS orders, CAST(SUM(o.amount_e4) AS BIGINT) AS amount_e4 \
         FROM customer_order o JOIN customer c ON c.id = o.customer_id \
         WHERE o.brand_id = ? GROUP BY c.external_ref, o.currency ORDER BY c.external_ref, o.currency",
        vec![Uuid::parse_str(brand).unwrap().into()],
    ))
    .all(db)
    .await
    .unwrap()
}

const INGEST: &str = "mutation($i: IngestOrdersInput!) { ingestOrders(input: $i) { inserted duplicates rejected { index code } } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn summaries_equal_the_orders_they_sum_whatever_arrives() {
    let app = TestApp::spawn().await;
    let brand = app.create_brand("Acme").await;
    let other = app.create_brand("Other").await;
    // Whole seconds, so instants compare equal after a round trip.
    let base = DateTime::from_timestamp(Utc::now().timestamp() - 40 * 86_400, 0).unwrap();
    let day = |d: i64| (base + Duration::days(d)).to_rfc3339();
    let order = |id: &str, customer: &str, d: i64, amount: &str, currency: &str| json!({ "externalId": id, "customerRef": customer, "orderedAt": day(d), "amount": amount, "currency": currency });
    let ingest = |brand: &str, rows: serde_json::Value, mode: &str| json!({ "i": { "brandId": brand, "rows": rows, "mode": mode } });

    // First batch: c-1 orders twice in EUR and once in USD, c-2 once.
    let first = json!([
        order("o1", "c-1", 10, "10.00", "EUR"),
        order("o2", "c-1", 20, "20.50", "EUR"),
        order("o3", "c-1", 15, "7.25", "USD"),
        order("o4", "c-2", 12, "3.00", "EUR"),
    ]);
    let r = gql_ok(
        &app,
        INGEST,
        ingest(&brand, first.clone(), "ALL_OR_NOTHING"),
    )
    .await;
    assert_eq!(r["ingestOrders"]["inserted"], 4);
    // The same batch again changes nothing.
    let r = gql_ok(&app, INGEST, ingest(&brand, first, "ALL_OR_NOTHING")).await;
    assert_eq!(r["ingestOrders"]["duplicates"], 4);
    // An earlier order arriving later moves c-1's first order back; a
    // replayed row beside it is not counted twice.
    let r = gql_ok(
        &app,
        INGEST,
        ingest(
            &brand,
            json!([
                order("o5", "c-1", 2, "1.00", "EUR"),
                order("o1", "c-1", 10, "10.00", "EUR")
            ]),
            "ALL_OR_NOTHING",
        ),
    )
    .await;
    assert_eq!(r["ingestOrders"]["inserted"], 1);
    // A refused batch writes nothing, summaries included.
    let conflicting = json!([
        order("o6", "c-2", 30, "50.00", "EUR"),
        order("o4", "c-2", 12, "99.00", "EUR")
    ]);
    let r = gql_ok(
        &app,
        INGEST,
        ingest(&brand, conflicting.clone(), "ALL_OR_NOTHING"),
    )
    .await;
    assert_eq!(r["ingestOrders"]["inserted"], 0);
    assert_eq!(r["ingestOrders"]["rejected"][0]["code"], "CONFLICT");
    let before_partial = summaries(&app, &brand).await;
    assert_eq!(before_partial.len(), 3, "{before_partial:?}");
    // Per row: o6 is stored and summed, the conflicting o4 is not.
    let r = gql_ok(&app, INGEST, ingest(&brand, conflicting, "PER_ROW")).await;
    assert_eq!(r["ingestOrders"]["inserted"], 1);
    // Another brand's orders under the same references stay in its own rows.
    gql_ok(
        &app,
        INGEST,
        ingest(
            &other,
            json!([order("o1", "c-1", 1, "500.00", "EUR")]),
            "ALL_OR_NOTHING",
        ),
    )
    .await;

    let got = summaries(&app, &brand).await;
    // Worked by hand: c-1 EUR = o5 (day 2, 1.00) + o1 (day 10, 10.00) +
    // o2 (day 20, 20.50) = 3 orders, 31.50 → 315,000 ten-thousandths, first
    // day 2, last day 20; c-1 USD = o3 alone (7.25 → 72,500, day 15);
    // c-2 EUR = o4 (day 12, 3.00) + o6 (day 30, 50.00) = 2 orders, 53.00.
    let at = |d: i64| base + Duration::days(d);
    let expected = vec![
        Summary {
            customer_ref: "c-1".into(),
            currency: "EUR".into(),
            first_order_at: at(2),
            last_order_at: at(20),
            orders: 3,
            amount_e4: 315_000,
        },
        Summary {
            customer_ref: "c-1".into(),
            currency: "USD".into(),
            first_order_at: at(15),
            last_order_at: at(15),
            orders: 1,
            amount_e4: 72_500,
        },
        Summary {
            customer_ref: "c-2".into(),
            currency: "EUR".into(),
            first_order_at: at(12),
            last_order_at: at(30),
            orders: 2,
            amount_e4: 530_000,
        },
    ];
    assert_eq!(got, expected);
    assert_eq!(got, from_orders(&app, &brand).await);
    let theirs = summaries(&app, &other).await;
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0].amount_e4, 5_000_000);

    // The migration builds the same rows from the stored orders: roll it
    // back (the table goes) and apply it again.
    db::migrate_down(&app.context.db, 1).await.unwrap();
    db::migrate_up(&app.context.db).await.unwrap();
    assert_eq!(summaries(&app, &brand).await, expected);
    assert_eq!(summaries(&app, &other).await, theirs);
}
