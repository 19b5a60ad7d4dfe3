//! Team training: the catalogue (agency-wide and brand programmes with
//! their modules), trainees and enrollments, brand scope and statement
//! counts.

use chrono::{Duration, Utc};
use serde_json::{json, Value};

use crate::helpers::TestApp;

const CREATE: &str = "mutation($i: CreateTrainingProgrammeInput!) { createTrainingProgramme(input: $i) { id agencyWide version modules { id position title kind required masteryScore moveOn renewRequired activityId version } } }";
const TRAINEE: &str = "mutation($i: CreateTraineeInput!) { createTrainee(input: $i) { id email } }";
const ENROLL: &str =
    "mutation($i: EnrollTraineesInput!) { enrollTrainees(input: $i) { enrolled alreadyEnrolled } }";

fn modules() -> Value {
    json!([
        { "title": "Why communities", "kind": "VIDEO" },
        { "title": "Moderation quiz", "kind": "QUIZ", "masteryScore": 0.8, "activityId": "https://lms.example/quiz/1", "renewRequired": true },
        { "title": "Run an AMA", "kind": "PRACTICUM", "required": false },
    ])
}

async fn programme(app: &TestApp, token: &str, brand: Option<&str>, title: &str) -> Value {
    let a = app
        .gql_as(
            Some(token),
            CREATE,
            json!({ "i": { "brandId": brand, "title": title, "validityMonths": 12, "modules": modules() } }),
        )
        .await;
    a.data()["createTrainingProgramme"].clone()
}

fn field(a: &crate::helpers::Answer) -> &str {
    a.body["errors"][0]["extensions"]["field"]
        .as_str()
        .unwrap_or("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn programmes_are_checked_scoped_and_agency_wide_ones_are_for_admins_to_change() {
    let app = TestApp::spawn().await;
    let a = app.create_brand("Acme").await;
    let b = app.create_brand("Other").await;
    let (_, consultant) = app.consultant_for(&[&a]).await;
    let (_, their_consultant) = app.consultant_for(&[&b]).await;
    let (_, client) = app.user_token("CLIENT", Some(&a)).await;
    let (_, their_client) = app.user_token("CLIENT", Some(&b)).await;
    let admin = app.admin_token.clone();

    let agency = programme(&app, &admin, None, "Community hosting").await;
    assert_eq!(agency["agencyWide"], true);
    let m = &agency["modules"];
    assert_eq!(m.as_array().unwrap().len(), 3);
    // Defaults: required, COMPLETED for non-quizzes, PASSED for a quiz.
    assert_eq!(
        (
            m[0]["position"].clone(),
            m[0]["required"].clone(),
            m[0]["moveOn"].clone()
        ),
        (json!(1), json!(true), json!("COMPLETED"))
    );
    assert_eq!(m[1]["moveOn"], "PASSED");
    assert_eq!(m[1]["masteryScore"], 0.8);
    assert_eq!(m[1]["renewRequired"], true);
    assert_eq!(m[2]["required"], false);
    let own = programme(&app, &consultant, Some(&a), "Acme moderators").await;
    assert_eq!(own["agencyWide"], false);

    // Bad input: a clear error on the field, and nothing written.
    let count = "query { trainingProgrammes { totalCount } }";
    let before = app.gql(count, json!({})).await.data()["trainingProgrammes"]["totalCount"].clone();
    let bad = [
        (
            json!({ "brandId": a, "title": "x", "modules": [] }),
            "input.modules",
        ),
        (
            json!({ "brandId": a, "title": " ", "modules": modules() }),
            "input.title",
        ),
        (
            json!({ "brandId": a, "title": "x", "validityMonths": 0, "modules": modules() }),
            "input.validityMonths",
        ),
        (
            json!({ "brandId": a, "title": "x", "modules": [{ "title": "q", "kind": "QUIZ", "masteryScore": 1.5 }] }),
            "input.modules.0.masteryScore",
        ),
        (
            json!({ "brandId": a, "title": "x", "modules": [{ "title": "q", "kind": "QUIZ", "activityId": "a" }, { "title": "r", "kind": "QUIZ", "activityId": "a" }] }),
            "input.modules.1.activityId",
        ),
    ];
    for (input, f) in bad {
        let r = app
            .gql_as(Some(&consultant), CREATE, json!({ "i": input }))
            .await;
        assert_eq!(r.code(), "BAD_USER_INPUT", "{}", r.body);
        assert_eq!(field(&r), f);
    }
    assert_eq!(
        app.gql(count, json!({})).await.data()["trainingProgrammes"]["totalCount"],
        before
    );

    // Agency-wide programmes: admins only.
    let r = app
        .gql_as(
            Some(&consultant),
            CREATE,
            json!({ "i": { "title": "Mine", "modules": modules() } }),
        )
        .await;
    assert_eq!(r.code(), "FORBIDDEN");
    let update = "mutation($id: ID!, $v: Int) { updateTrainingProgramme(id: $id, input: { title: \"Renamed\", expectedVersion: $v }) { title version } }";
    assert_eq!(
        app.gql_as(Some(&consultant), update, json!({ "id": agency["id"] }))
            .await
            .code(),
        "FORBIDDEN"
    );
    let renamed = app
        .gql_as(
            Some(&consultant),
            update,
            json!({ "id": own["id"], "v": 1 }),
        )
        .await;
    assert_eq!(renamed.data()["updateTrainingProgramme"]["version"], 2);
    assert_eq!(
        app.gql_as(
            Some(&consultant),
            update,
            json!({ "id": own["id"], "v": 1 })
        )
        .await
        .code(),
        "CONFLICT",
        "a stale version"
    );

    // Who sees what: the brand's client sees both; another brand only the
    // agency-wide one, and the brand's own programme is NOT_FOUND to it.
    let list = "query { trainingProgrammes { edges { node { id title } } } }";
    let ids = |a: &crate::helpers::Answer| -> Vec<Value> {
        a.data()["trainingProgrammes"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["id"].clone())
            .collect()
    };
    let mine = app.gql_as(Some(&client), list, json!({})).await;
    assert_eq!(ids(&mine), vec![own["id"].clone(), agency["id"].clone()]);
    let theirs = app.gql_as(Some(&their_client), list, json!({})).await;
    assert_eq!(ids(&theirs), vec![agency["id"].clone()]);
    let one = "query($id: ID!) { trainingProgramme(id: $id) { title } }";
    for token in [&their_client, &their_consultant] {
        assert_eq!(
            app.gql_as(Some(token), one, json!({ "id": own["id"] }))
                .await
                .code(),
            "NOT_FOUND"
        );
    }
    assert_eq!(
        app.gql_as(Some(&their_consultant), update, json!({ "id": own["id"] }))
            .await
            .code(),
        "NOT_FOUND"
    );
    assert_eq!(
        app.gql_as(Some(&client), update, json!({ "id": own["id"] }))
            .await
            .code(),
        "FORBIDDEN",
        "client users read training records only"
    );

    // Modules: added at a position, moved, in order.
    let add = "mutation($p: ID!, $i: TrainingModuleInput!, $at: Int) { addTrainingModule(programmeId: $p, input: $i, position: $at) { id position } }";
    let added = app
        .gql_as(
            Some(&consultant),
            add,
            json!({ "p": own["id"], "i": { "title": "Welcome", "kind": "READING" }, "at": 1 }),
        )
        .await;
    assert_eq!(added.data()["addTrainingModule"]["position"], 1);
    let dup = app
        .gql_as(Some(&consultant), add, json!({ "p": own["id"], "i": { "title": "Again", "kind": "QUIZ", "activityId": "https://lms.example/quiz/1" } }))
        .await;
    assert_eq!(
        dup.code(),
        "CONFLICT",
        "the activity id names another module"
    );
    let far = app
        .gql_as(
            Some(&consultant),
            add,
            json!({ "p": own["id"], "i": { "title": "x", "kind": "READING" }, "at": 9 }),
        )
        .await;
    assert_eq!(field(&far), "position");
    let practicum = own["modules"][2]["id"].clone();
    let mv = app
        .gql_as(
            Some(&consultant),
            "mutation($id: ID!) { updateTrainingModule(id: $id, input: { position: 1, masteryScore: null }) { position } }",
            json!({ "id": practicum }),
        )
        .await;
    assert_eq!(mv.data()["updateTrainingModule"]["position"], 1);
    let order = app
        .gql_as(
            Some(&client),
            "query($id: ID!) { trainingProgramme(id: $id) { modules { title position } } }",
            json!({ "id": own["id"] }),
        )
        .await;
    assert_eq!(
        order.data()["trainingProgramme"]["modules"],
        json!([
            { "title": "Run an AMA", "position": 1 },
            { "title": "Welcome", "position": 2 },
            { "title": "Why communities", "position": 3 },
            { "title": "Moderation quiz", "position": 4 },
        ])
    );
    assert_eq!(
        app.gql_as(
            Some(&their_consultant),
            add,
            json!({ "p": own["id"], "i": { "title": "x", "kind": "READING" } })
        )
        .await
        .code(),
        "NOT_FOUND"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trainees_are_enrolled_once_with_a_derived_status_and_stay_in_their_brand() {
    let app = TestApp::spawn().await;
    let a = app.create_brand("Acme").await;
    let b = app.create_brand("Other").await;
    let (_, consultant) = app.consultant_for(&[&a]).await;
    let (_, their_consultant) = app.consultant_for(&[&b]).await;
    let (client_id, client) = app.user_token("CLIENT", Some(&a)).await;
    let (their_client_id, their_client) = app.user_token("CLIENT", Some(&b)).await;
    let admin = app.admin_token.clone();
    let agency = programme(&app, &admin, None, "Community hosting").await;
    let theirs = programme(&app, &their_consultant, Some(&b), "Other's own").await;

    let t =
        |name: &str, email: &str| json!({ "i": { "brandId": a, "name": name, "email": email } });
    let ana = app
        .gql_as(Some(&consultant), TRAINEE, t("Ana", " Ana@Acme.Example "))
        .await;
    assert_eq!(ana.data()["createTrainee"]["email"], "ana@acme.example");
    let ana = ana.data()["createTrainee"]["id"].clone();
    let dup = app
        .gql_as(Some(&consultant), TRAINEE, t("Ana 2", "ana@acme.example"))
        .await;
    assert_eq!(dup.code(), "CONFLICT");
    assert_eq!(
        field(
            &app.gql_as(Some(&consultant), TRAINEE, t("Bad", "not-an-email"))
                .await
        ),
        "input.email"
    );
    // The same e-mail in another brand is another trainee.
    let elsewhere = app
        .gql_as(
            Some(&their_consultant),
            TRAINEE,
            json!({ "i": { "brandId": b, "name": "Ana", "email": "ana@acme.example" } }),
        )
        .await;
    let their_trainee = elsewhere.data()["createTrainee"]["id"].clone();
    // Links: only the brand's own client users.
    let link = |user: &str| json!({ "i": { "brandId": a, "name": "Ben", "email": "ben@acme.example", "userId": user } });
    assert_eq!(
        field(
            &app.gql_as(Some(&consultant), TRAINEE, link(&their_client_id))
                .await
        ),
        "input.userId"
    );
    let ben = app
        .gql_as(Some(&consultant), TRAINEE, link(&client_id))
        .await;
    let ben = ben.data()["createTrainee"]["id"].clone();
    let cara = app
        .gql_as(Some(&consultant), TRAINEE, t("Cara", "cara@acme.example"))
        .await;
    let cara = cara.data()["createTrainee"]["id"].clone();
    assert_eq!(
        app.gql_as(Some(&client), TRAINEE, t("Dan", "dan@acme.example"))
            .await
            .code(),
        "FORBIDDEN"
    );

    // Enrolling: once per trainee and programme; bad input writes nothing.
    let soon = Utc::now() + Duration::seconds(2);
    let due = Utc::now() + Duration::days(30);
    let e = |ids: Vec<&Value>, programme: &Value, due: chrono::DateTime<Utc>| json!({ "i": { "programmeId": programme, "traineeIds": ids, "dueAt": due } });
    let past = app
        .gql_as(
            Some(&consultant),
            ENROLL,
            e(vec![&ana], &agency["id"], Utc::now() - Duration::days(1)),
        )
        .await;
    assert_eq!(field(&past), "input.dueAt");
    assert_eq!(
        app.gql_as(
            Some(&consultant),
            ENROLL,
            e(vec![&ana, &their_trainee], &agency["id"], due)
        )
        .await
        .code(),
        "NOT_FOUND",
        "another brand's trainee"
    );
    assert_eq!(
        app.gql_as(Some(&consultant), ENROLL, e(vec![&ana], &theirs["id"], due))
            .await
            .code(),
        "NOT_FOUND",
        "another brand's programme"
    );
    let first = app
        .gql_as(
            Some(&consultant),
            ENROLL,
            e(vec![&ana, &ben], &agency["id"], due),
        )
        .await;
    assert_eq!(
        first.data()["enrollTrainees"],
        json!({ "enrolled": 2, "alreadyEnrolled": 0 })
    );
    let again = app
        .gql_as(
            Some(&consultant),
            ENROLL,
            e(vec![&ana, &cara, &cara], &agency["id"], soon),
        )
        .await;
    assert_eq!(
        again.data()["enrollTrainees"],
        json!({ "enrolled": 1, "alreadyEnrolled": 1 })
    );

    let list = "query($p: ID) { enrollments(filter: { programmeId: $p }) { totalCount edges { node { id status dueAt trainee { name } programme { title } } } } }";
    let all = app
        .gql_as(Some(&client), list, json!({ "p": agency["id"] }))
        .await;
    let rows = all.data()["enrollments"]["edges"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(all.data()["enrollments"]["totalCount"], 3);
    assert!(rows.iter().all(|r| r["node"]["status"] == "NOT_STARTED"
        && r["node"]["programme"]["title"] == "Community hosting"));
    let of = |name: &str| {
        rows.iter()
            .find(|r| r["node"]["trainee"]["name"] == name)
            .unwrap()["node"]
            .clone()
    };
    // Cara's is due in 2 seconds: overdue after that.
    tokio::time::sleep(std::time::Duration::from_millis(2200)).await;
    let now = app
        .gql_as(Some(&client), list, json!({ "p": agency["id"] }))
        .await;
    let statuses: Vec<(String, String)> = now.data()["enrollments"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["node"]["trainee"]["name"].as_str().unwrap().to_string(),
                r["node"]["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        statuses.contains(&("Cara".into(), "OVERDUE".into())),
        "{statuses:?}"
    );
    assert!(statuses.contains(&("Ana".into(), "NOT_STARTED".into())));

    // Waiving takes a reason, once.
    let waive = "mutation($id: ID!, $r: String!) { waiveEnrollment(id: $id, reason: $r) { status waivedReason version } }";
    let ana_enrollment = of("Ana")["id"].clone();
    assert_eq!(
        field(
            &app.gql_as(
                Some(&consultant),
                waive,
                json!({ "id": ana_enrollment, "r": " " })
            )
            .await
        ),
        "reason"
    );
    assert_eq!(
        app.gql_as(
            Some(&client),
            waive,
            json!({ "id": ana_enrollment, "r": "x" })
        )
        .await
        .code(),
        "FORBIDDEN"
    );
    assert_eq!(
        app.gql_as(
            Some(&their_consultant),
            waive,
            json!({ "id": ana_enrollment, "r": "x" })
        )
        .await
        .code(),
        "NOT_FOUND"
    );
    let w = app
        .gql_as(
            Some(&consultant),
            waive,
            json!({ "id": ana_enrollment, "r": "Trained elsewhere" }),
        )
        .await;
    assert_eq!(
        w.data()["waiveEnrollment"],
        json!({ "status": "WAIVED", "waivedReason": "Trained elsewhere", "version": 2 })
    );
    assert_eq!(
        app.gql_as(
            Some(&consultant),
            waive,
            json!({ "id": ana_enrollment, "r": "again" })
        )
        .await
        .code(),
        "BAD_USER_INPUT"
    );

    // Another brand sees none of it.
    let none = app
        .gql_as(Some(&their_client), list, json!({ "p": agency["id"] }))
        .await;
    assert_eq!(none.data()["enrollments"]["totalCount"], 0);
    assert_eq!(
        app.gql_as(
            Some(&their_client),
            "query($id: ID!) { trainee(id: $id) { name } }",
            json!({ "id": ana })
        )
        .await
        .code(),
        "NOT_FOUND"
    );
    let their_list = app
        .gql_as(
            Some(&their_consultant),
            "query { trainees { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        their_list.data()["trainees"]["edges"],
        json!([{ "node": { "id": their_trainee } }])
    );
    let upd =
        "mutation($id: ID!) { updateTrainee(id: $id, input: { jobRole: \"Host\" }) { jobRole } }";
    assert_eq!(
        app.gql_as(Some(&their_consultant), upd, json!({ "id": ana }))
            .await
            .code(),
        "NOT_FOUND"
    );
    assert_eq!(
        app.gql_as(Some(&consultant), upd, json!({ "id": ana }))
            .await
            .data()["updateTrainee"]["jobRole"],
        "Host"
    );

    // An archived programme takes no new enrollments.
    app.gql(
        "mutation($id: ID!) { updateTrainingProgramme(id: $id, input: { status: ARCHIVED }) { status } }",
        json!({ "id": agency["id"] }),
    )
    .await
    .data();
    let late = app
        .gql_as(Some(&consultant), TRAINEE, t("Eve", "eve@acme.example"))
        .await;
    let eve = late.data()["createTrainee"]["id"].clone();
    assert_eq!(
        field(
            &app.gql_as(Some(&consultant), ENROLL, e(vec![&eve], &agency["id"], due))
                .await
        ),
        "input.programmeId"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn programmes_modules_enrollments_run_a_fixed_number_of_statements() {
    let app = TestApp::spawn().await;
    let brand = app.create_brand("Acme").await;
    let (_, consultant) = app.consultant_for(&[&brand]).await;
    let mut trainees = Vec::new();
    for n in 0..3 {
        let t = app
            .gql_as(Some(&consultant), TRAINEE, json!({ "i": { "brandId": brand, "name": format!("T{n}"), "email": format!("t{n}@acme.example") } }))
            .await;
        trainees.push(t.data()["createTrainee"]["id"].clone());
    }
    for n in 0..3 {
        let p = programme(&app, &consultant, Some(&brand), &format!("P{n}")).await;
        app.gql_as(
            Some(&consultant),
            ENROLL,
            json!({ "i": { "programmeId": p["id"], "traineeIds": trainees[..2] } }),
        )
        .await
        .data();
    }
    let q = "query($n: Int!, $b: ID!) { trainingProgrammes(first: $n, filter: { brandId: $b, ownOnly: true }) { edges { node { title modules { title moveOn } enrollments(first: $n) { edges { node { status trainee { name } } } } } } } }";
    app.gql_as(Some(&consultant), q, json!({ "n": 1, "b": brand }))
        .await
        .data();
    let mut counts = Vec::new();
    for n in [20, 100] {
        let before = app.statements().await;
        let a = app
            .gql_as(Some(&consultant), q, json!({ "n": n, "b": brand }))
            .await;
        let edges = a.data()["trainingProgrammes"]["edges"].as_array().unwrap();
        assert_eq!(edges.len(), 3);
        for e in edges {
            assert_eq!(e["node"]["modules"].as_array().unwrap().len(), 3);
            assert_eq!(
                e["node"]["enrollments"]["edges"].as_array().unwrap().len(),
                2
            );
        }
        counts.push(app.statements().await - before);
    }
    assert_eq!(counts[0], counts[1], "{counts:?}");
    // Programmes, their modules, their enrollments, the trainees.
    assert_eq!(counts[0], 4.0, "{counts:?}");
    // totalCount counts every enrollment in scope, in one more statement:
    // the programmes, their enrollments' counts, their first enrollments.
    let totals = "query($b: ID!) { trainingProgrammes(first: 20, filter: { brandId: $b, ownOnly: true }) { edges { node { enrollments(first: 1) { totalCount edges { node { status } } } } } } }";
    let before = app.statements().await;
    let a = app
        .gql_as(Some(&consultant), totals, json!({ "b": brand }))
        .await;
    assert_eq!(app.statements().await - before, 3.0);
    for e in a.data()["trainingProgrammes"]["edges"].as_array().unwrap() {
        assert_eq!(e["node"]["enrollments"]["totalCount"], 2);
        assert_eq!(
            e["node"]["enrollments"]["edges"].as_array().unwrap().len(),
            1
        );
    }
}

/// Creates the brand's trainees `people` (name, e-mail) and enrolls them in
/// `programme`; returns their ids.
async fn enrolled_trainees(
    app: &TestApp,
    token: &str,
    brand: &str,
    programme: &Value,
    people: &[(String, String)],
) -> Vec<Value> {
    let mut ids = Vec::new();
    for (name, email) in people {
        let t = app
            .gql_as(
                Some(token),
                TRAINEE,
                json!({ "i": { "brandId": brand, "name": name, "email": email } }),
            )
            .await;
        ids.push(t.data()["createTrainee"]["id"].clone());
    }
    app.gql_as(
        Some(token),
        ENROLL,
        json!({ "i": { "programmeId": programme, "traineeIds": ids } }),
    )
    .await
    .data();
    ids
}

const INGEST: &str = "mutation($i: IngestTrainingStatementsInput!) { ingestTrainingStatements(input: $i) { inserted duplicates rejected { index field code } } }";
const ENROLLMENTS: &str = "query($p: ID!) { enrollments(filter: { programmeId: $p }) { edges { node { status startedAt completedAt trainee { name } certifications { id number status issuedAt expiresAt verificationCode revokedReason } } } } }";

/// The enrollment of trainee `name` in an `ENROLLMENTS` answer.
fn enrollment_of(a: &crate::helpers::Answer, name: &str) -> Value {
    a.data()["enrollments"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["trainee"]["name"] == name)
        .unwrap()["node"]
        .clone()
}

fn at(v: &Value) -> chrono::DateTime<Utc> {
    serde_json::from_value(v.clone()).unwrap()
}

/// The same instant as stored (PostgreSQL keeps microseconds).
fn same(a: chrono::DateTime<Utc>, b: chrono::DateTime<Utc>) {
    assert!((a - b).num_microseconds().unwrap().abs() < 1, "{a} != {b}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_complete_programmes_and_issue_certifications_that_expire_renew_and_are_revoked() {
    let app = TestApp::spawn_with(|s| s.rate_limit.verify_per_ip_per_minute = 6).await;
    let brand = app.create_brand("Acme").await;
    let other = app.create_brand("Other").await;
    let (_, consultant) = app.consultant_for(&[&brand]).await;
    let (_, their_consultant) = app.consultant_for(&[&other]).await;
    let (_, client) = app.user_token("CLIENT", Some(&brand)).await;
    let (_, lms, _) = app.integration_token(&brand, &["INGEST_TRAINING"]).await;
    let (_, their_lms, _) = app.integration_token(&other, &["INGEST_TRAINING"]).await;
    let (_, wrong_scope, _) = app.integration_token(&brand, &["INGEST_ORDERS"]).await;

    let p = programme(&app, &consultant, Some(&brand), "Moderation").await;
    let (video, quiz, practicum) = (
        p["modules"][0]["id"].clone(),
        p["modules"][1]["id"].clone(),
        p["modules"][2]["id"].clone(),
    );
    let other_programme = programme(&app, &consultant, Some(&brand), "Not enrolled").await;
    let people = [("Ana", "ana@acme.example"), ("Ben", "ben@acme.example")]
        .map(|(name, email)| (name.to_string(), email.to_string()));
    let ids = enrolled_trainees(&app, &consultant, &brand, &p["id"], &people).await;

    let now = Utc::now();
    let day = |d: i64| (now - Duration::days(d)).to_rfc3339();
    let row = |id: u32, email: &str, verb: &str, object: Value, score: Option<f64>, ts: String| {
        let mut r = json!({ "statementId": format!("00000000-0000-4000-8000-{id:012}"), "actorEmail": email, "verb": verb, "scoreScaled": score, "timestamp": ts });
        for (k, v) in object.as_object().unwrap() {
            r[k] = v.clone();
        }
        r
    };
    let quiz_activity = json!({ "activityId": "https://lms.example/quiz/1" });
    // Bad rows, all-or-nothing: nothing is stored.
    let bad = app
        .gql_as(Some(&lms), INGEST, json!({ "i": { "brandId": brand, "rows": [
            row(90, "nobody@acme.example", "COMPLETED", json!({ "moduleId": video }), None, day(1)),
            row(91, "ana@acme.example", "COMPLETED", json!({ "moduleId": other_programme["modules"][0]["id"] }), None, day(1)),
            row(92, "ana@acme.example", "COMPLETED", json!({ "moduleId": video, "activityId": "https://lms.example/quiz/1" }), None, day(1)),
            row(93, "ana@acme.example", "PASSED", quiz_activity.clone(), Some(1.5), day(1)),
            row(94, "ana@acme.example", "COMPLETED", json!({ "moduleId": video, "duration": "1H" }), None, day(1)),
            row(95, "ana@acme.example", "COMPLETED", json!({ "moduleId": video }), None, (now + Duration::hours(1)).to_rfc3339()),
            { "statementId": "not-a-uuid", "actorEmail": "ana@acme.example", "verb": "COMPLETED", "moduleId": video, "timestamp": day(1) },
            row(97, "ana@acme.example", "COMPLETED", json!({ "moduleId": video }), None, day(1)),
        ] } }))
        .await;
    let fields: Vec<&str> = bad.data()["ingestTrainingStatements"]["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "rows.0.actorEmail",
            "rows.1.moduleId",
            "rows.2.moduleId",
            "rows.3.scoreScaled",
            "rows.4.duration",
            "rows.5.timestamp",
            "rows.6.statementId"
        ]
    );
    assert_eq!(bad.data()["ingestTrainingStatements"]["inserted"], 0);
    let before = app
        .gql_as(Some(&client), ENROLLMENTS, json!({ "p": p["id"] }))
        .await;
    assert_eq!(enrollment_of(&before, "Ana")["status"], "NOT_STARTED");
    assert_eq!(
        app.gql_as(
            Some(&wrong_scope),
            INGEST,
            json!({ "i": { "brandId": brand, "rows": [] } })
        )
        .await
        .code(),
        "FORBIDDEN"
    );
    assert_eq!(
        app.gql_as(
            Some(&their_lms),
            INGEST,
            json!({ "i": { "brandId": brand, "rows": [] } })
        )
        .await
        .code(),
        "NOT_FOUND"
    );

    // Ana: video completed 3 days ago; the quiz (mastery 0.8) "passed" at
    // 0.7 two days ago (below mastery: not a pass), failed at 0.9 (a failed
    // verb never passes), then completed at 0.85 a day ago (a scored attempt
    // at mastery passes). Required: video and quiz, so the programme is
    // complete a day ago, the later of 3 and 1 days ago. Ben only launched.
    let rows = json!([
        row(
            1,
            "ana@acme.example",
            "COMPLETED",
            json!({ "moduleId": video }),
            None,
            day(3)
        ),
        row(
            2,
            "ana@acme.example",
            "PASSED",
            quiz_activity.clone(),
            Some(0.7),
            day(2)
        ),
        row(
            3,
            "Ana@Acme.example",
            "FAILED",
            quiz_activity.clone(),
            Some(0.9),
            (now - Duration::hours(40)).to_rfc3339()
        ),
        row(
            4,
            "ana@acme.example",
            "COMPLETED",
            quiz_activity.clone(),
            Some(0.85),
            day(1)
        ),
        row(
            5,
            "ben@acme.example",
            "LAUNCHED",
            json!({ "moduleId": video, "duration": "PT5M" }),
            None,
            day(1)
        ),
    ]);
    let ok = app
        .gql_as(
            Some(&lms),
            INGEST,
            json!({ "i": { "brandId": brand, "rows": rows } }),
        )
        .await;
    assert_eq!(
        ok.data()["ingestTrainingStatements"]["inserted"],
        5,
        "{}",
        ok.body
    );
    let replay = app
        .gql_as(
            Some(&lms),
            INGEST,
            json!({ "i": { "brandId": brand, "rows": rows } }),
        )
        .await;
    assert_eq!(
        replay.data()["ingestTrainingStatements"],
        json!({ "inserted": 0, "duplicates": 5, "rejected": [] }),
        "a replay stores nothing"
    );
    let changed = app
        .gql_as(Some(&lms), INGEST, json!({ "i": { "brandId": brand, "rows": [row(1, "ana@acme.example", "FAILED", json!({ "moduleId": video }), None, day(3))] } }))
        .await;
    assert_eq!(
        changed.data()["ingestTrainingStatements"]["rejected"][0]["code"],
        "CONFLICT"
    );

    let after = app
        .gql_as(Some(&client), ENROLLMENTS, json!({ "p": p["id"] }))
        .await;
    let ana = enrollment_of(&after, "Ana");
    assert_eq!(ana["status"], "COMPLETED");
    same(at(&ana["startedAt"]), at(&json!(day(3))));
    same(at(&ana["completedAt"]), at(&json!(day(1))));
    let certs = ana["certifications"].as_array().unwrap().clone();
    assert_eq!(certs.len(), 1);
    let first = &certs[0];
    assert_eq!(first["number"], 1);
    assert_eq!(first["status"], "VALID");
    // Earned a day ago, valid 12 months.
    let issued = at(&first["issuedAt"]);
    same(issued, at(&json!(day(1))));
    assert_eq!(
        at(&first["expiresAt"]),
        issued.checked_add_months(chrono::Months::new(12)).unwrap()
    );
    let ben = enrollment_of(&after, "Ben");
    assert_eq!(ben["status"], "IN_PROGRESS");
    assert_eq!(ben["certifications"], json!([]));

    // Anyone may check the code, learning only name, programme, status, dates.
    let verify = "query($c: String!) { verifyCertification(code: $c) { traineeName programmeTitle status issuedAt expiresAt } }";
    let code = first["verificationCode"].as_str().unwrap().to_string();
    assert!(
        code.len() == 19 && code.split('-').all(|g| g.len() == 4),
        "{code}"
    );
    let checked = app
        .gql_as(None, verify, json!({ "c": code.to_lowercase() }))
        .await;
    assert_eq!(checked.data()["verifyCertification"]["traineeName"], "Ana");
    assert_eq!(
        checked.data()["verifyCertification"]["programmeTitle"],
        "Moderation"
    );
    assert_eq!(checked.data()["verifyCertification"]["status"], "VALID");
    let unknown = app
        .gql_as(None, verify, json!({ "c": "AAAA-BBBB-CCCC-DDDD" }))
        .await;
    assert_eq!(unknown.data()["verifyCertification"], Value::Null);

    // Expiring: within a year, not within 30 days; 0 days is bad input.
    let expiring = "query($b: ID!, $d: Int!) { expiringCertifications(brandId: $b, withinDays: $d) { totalCount edges { node { id number } } } }";
    let soon = app
        .gql_as(Some(&client), expiring, json!({ "b": brand, "d": 365 }))
        .await;
    assert_eq!(
        soon.data()["expiringCertifications"]["edges"],
        json!([{ "node": { "id": first["id"], "number": 1 } }])
    );
    assert_eq!(soon.data()["expiringCertifications"]["totalCount"], 1);
    let none = app
        .gql_as(Some(&client), expiring, json!({ "b": brand, "d": 30 }))
        .await;
    assert_eq!(none.data()["expiringCertifications"]["edges"], json!([]));
    assert_eq!(none.data()["expiringCertifications"]["totalCount"], 0);
    assert_eq!(
        field(
            &app.gql_as(Some(&client), expiring, json!({ "b": brand, "d": 0 }))
                .await
        ),
        "withinDays"
    );
    assert_eq!(
        app.gql_as(
            Some(&their_consultant),
            expiring,
            json!({ "b": brand, "d": 365 })
        )
        .await
        .code(),
        "NOT_FOUND"
    );

    // Renewal: the quiz is marked for renewal; passing it again after the
    // certification issues the next one, and the first becomes RENEWED.
    let renewal = app
        .gql_as(Some(&lms), INGEST, json!({ "i": { "brandId": brand, "rows": [
            row(6, "ana@acme.example", "PASSED", quiz_activity.clone(), Some(0.9), (now - Duration::hours(1)).to_rfc3339()),
        ] } }))
        .await;
    assert_eq!(renewal.data()["ingestTrainingStatements"]["inserted"], 1);
    let renewed = app
        .gql_as(Some(&client), ENROLLMENTS, json!({ "p": p["id"] }))
        .await;
    let certs = enrollment_of(&renewed, "Ana")["certifications"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(
        certs
            .iter()
            .map(|c| (c["number"].clone(), c["status"].clone()))
            .collect::<Vec<_>>(),
        vec![(json!(1), json!("RENEWED")), (json!(2), json!("VALID"))]
    );
    same(at(&certs[1]["issuedAt"]), now - Duration::hours(1));
    let soon = app
        .gql_as(Some(&client), expiring, json!({ "b": brand, "d": 365 }))
        .await;
    assert_eq!(
        soon.data()["expiringCertifications"]["edges"],
        json!([{ "node": { "id": certs[1]["id"], "number": 2 } }]),
        "only the latest is in force"
    );

    // Revocation: staff of the brand, with a reason; the check says so.
    let revoke = "mutation($id: ID!, $r: String!) { revokeCertification(id: $id, reason: $r) { status revokedReason } }";
    assert_eq!(
        app.gql_as(
            Some(&client),
            revoke,
            json!({ "id": certs[1]["id"], "r": "x" })
        )
        .await
        .code(),
        "FORBIDDEN"
    );
    assert_eq!(
        app.gql_as(
            Some(&their_consultant),
            revoke,
            json!({ "id": certs[1]["id"], "r": "x" })
        )
        .await
        .code(),
        "NOT_FOUND"
    );
    let r = app
        .gql_as(
            Some(&consultant),
            revoke,
            json!({ "id": certs[1]["id"], "r": "Shared the quiz answers" }),
        )
        .await;
    assert_eq!(
        r.data()["revokeCertification"],
        json!({ "status": "REVOKED", "revokedReason": "Shared the quiz answers" })
    );
    let checked = app
        .gql_as(None, verify, json!({ "c": certs[1]["verificationCode"] }))
        .await;
    assert_eq!(checked.data()["verifyCertification"]["status"], "REVOKED");
    let audit = app
        .gql("query { auditEvents(filter: { action: \"training.certification.revoke\" }) { edges { node { objectId } } } }", json!({}))
        .await;
    assert_eq!(
        audit.data()["auditEvents"]["edges"][0]["node"]["objectId"],
        certs[1]["id"]
    );

    // By hand: Ben attends the video workshop and passes the quiz at 0.95.
    let record =
        "mutation($i: RecordTrainingResultInput!) { recordTrainingResult(input: $i) { inserted } }";
    for (module, verb, score) in [(&video, "COMPLETED", None), (&quiz, "PASSED", Some(0.95))] {
        let r = app
            .gql_as(Some(&consultant), record, json!({ "i": { "traineeId": ids[1], "moduleId": module, "verb": verb, "scoreScaled": score } }))
            .await;
        assert_eq!(r.data()["recordTrainingResult"]["inserted"], 1);
    }
    assert_eq!(
        app.gql_as(
            Some(&client),
            record,
            json!({ "i": { "traineeId": ids[1], "moduleId": practicum, "verb": "PASSED" } })
        )
        .await
        .code(),
        "FORBIDDEN"
    );
    assert_eq!(
        field(&app.gql_as(Some(&consultant), record, json!({ "i": { "traineeId": ids[1], "moduleId": other_programme["modules"][0]["id"], "verb": "PASSED" } })).await),
        "input.moduleId"
    );
    let done = app
        .gql_as(Some(&client), ENROLLMENTS, json!({ "p": p["id"] }))
        .await;
    let ben = enrollment_of(&done, "Ben");
    assert_eq!(ben["status"], "COMPLETED");
    assert_eq!(ben["certifications"][0]["status"], "VALID");

    // Another brand sees none of it, and its LMS cannot name Acme's trainees.
    let theirs = app
        .gql_as(Some(&their_lms), INGEST, json!({ "i": { "brandId": other, "rows": [row(7, "ana@acme.example", "COMPLETED", json!({ "moduleId": video }), None, day(1))] } }))
        .await;
    assert_eq!(
        theirs.data()["ingestTrainingStatements"]["rejected"][0]["field"],
        "rows.0.actorEmail"
    );
    let list = "query { certifications { totalCount } }";
    assert_eq!(
        app.gql_as(Some(&their_consultant), list, json!({}))
            .await
            .data()["certifications"]["totalCount"],
        0
    );
    assert_eq!(
        app.gql_as(Some(&client), list, json!({})).await.data()["certifications"]["totalCount"],
        3
    );

    // The check is rate-limited per client IP (6 a minute here; 3 used):
    // the 4th further check is refused (14 leave room for one new minute).
    let mut codes = Vec::new();
    for _ in 0..14 {
        codes.push(
            app.gql_as(None, verify, json!({ "c": "AAAA-BBBB-CCCC-DDDD" }))
                .await
                .code()
                .to_string(),
        );
    }
    let refused = codes.iter().position(|c| c == "RATE_LIMITED");
    assert!(
        refused.is_some_and(|i| i >= 3 && codes[..i].iter().all(String::is_empty)),
        "{codes:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certification_past_its_validity_is_expired_and_not_listed_as_expiring() {
    let app = TestApp::spawn().await;
    let brand = app.create_brand("Acme").await;
    let (_, consultant) = app.consultant_for(&[&brand]).await;
    let p = app
        .gql_as(
            Some(&consultant),
            CREATE,
            json!({ "i": { "brandId": brand, "title": "Short", "validityMonths": 1, "modules": [{ "title": "Read", "kind": "READING" }] } }),
        )
        .await;
    let p = p.data()["createTrainingProgramme"].clone();
    let t = app
        .gql_as(
            Some(&consultant),
            TRAINEE,
            json!({ "i": { "brandId": brand, "name": "Cara", "email": "cara@acme.example" } }),
        )
        .await;
    let t = t.data()["createTrainee"]["id"].clone();
    app.gql_as(
        Some(&consultant),
        ENROLL,
        json!({ "i": { "programmeId": p["id"], "traineeIds": [t] } }),
    )
    .await
    .data();
    // Completed 62 days ago; valid one month, so expired about a month ago.
    let r = app
        .gql_as(
            Some(&consultant),
            "mutation($i: RecordTrainingResultInput!) { recordTrainingResult(input: $i) { inserted } }",
            json!({ "i": { "traineeId": t, "moduleId": p["modules"][0]["id"], "verb": "COMPLETED", "timestamp": Utc::now() - Duration::days(62) } }),
        )
        .await;
    assert_eq!(r.data()["recordTrainingResult"]["inserted"], 1);
    let a = app
        .gql_as(Some(&consultant), ENROLLMENTS, json!({ "p": p["id"] }))
        .await;
    let cert = &enrollment_of(&a, "Cara")["certifications"][0];
    assert_eq!(cert["status"], "EXPIRED");
    let e = app
        .gql_as(
            Some(&consultant),
            "query($b: ID!) { expiringCertifications(brandId: $b, withinDays: 365) { edges { node { id } } } }",
            json!({ "b": brand }),
        )
        .await;
    assert_eq!(e.data()["expiringCertifications"]["edges"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_needs_a_valid_certification_from_results_to_assignment_to_expiry() {
    let app = TestApp::spawn().await;
    let brand = app.create_brand("Acme").await;
    let other = app.create_brand("Other").await;
    let (_, consultant) = app.consultant_for(&[&brand]).await;
    let (_, their_consultant) = app.consultant_for(&[&other]).await;
    let (_, client) = app.user_token("CLIENT", Some(&brand)).await;
    let c = app
        .gql_as(
            Some(&consultant),
            "mutation($i: CreateCommunityInput!) { createCommunity(input: $i) { id } }",
            json!({ "i": { "brandId": brand, "name": "Trail", "purpose": "Trail talk", "kind": "PRODUCT", "platform": "DISCORD", "timeZone": "UTC" } }),
        )
        .await;
    let c = c.data()["createCommunity"]["id"].clone();
    // One module, valid one month.
    let p = app
        .gql_as(
            Some(&consultant),
            CREATE,
            json!({ "i": { "brandId": brand, "title": "Hosting", "validityMonths": 1, "modules": [{ "title": "Host an AMA", "kind": "PRACTICUM" }] } }),
        )
        .await;
    let p = p.data()["createTrainingProgramme"].clone();
    let require = "mutation($c: ID!, $r: MemberRole!, $p: ID) { requireCertificationForRole(communityId: $c, role: $r, programmeId: $p) { role programmeId } }";
    assert_eq!(
        field(
            &app.gql_as(
                Some(&consultant),
                require,
                json!({ "c": c, "r": "MEMBER", "p": p["id"] })
            )
            .await
        ),
        "role"
    );
    assert_eq!(
        app.gql_as(
            Some(&client),
            require,
            json!({ "c": c, "r": "HOST", "p": p["id"] })
        )
        .await
        .code(),
        "FORBIDDEN"
    );
    assert_eq!(
        app.gql_as(
            Some(&their_consultant),
            require,
            json!({ "c": c, "r": "HOST", "p": p["id"] })
        )
        .await
        .code(),
        "NOT_FOUND"
    );
    let theirs = programme(&app, &their_consultant, Some(&other), "Theirs").await;
    assert_eq!(
        app.gql_as(
            Some(&consultant),
            require,
            json!({ "c": c, "r": "HOST", "p": theirs["id"] })
        )
        .await
        .code(),
        "NOT_FOUND",
        "another brand's programme"
    );
    let set = app
        .gql_as(
            Some(&consultant),
            require,
            json!({ "c": c, "r": "HOST", "p": p["id"] }),
        )
        .await;
    assert_eq!(
        set.data()["requireCertificationForRole"],
        json!([{ "role": "HOST", "programmeId": p["id"] }])
    );

    // A member, and a trainee linked to them, enrolled.
    let m = app
        .gql_as(
            Some(&consultant),
            "mutation($i: CreateMemberInput!) { createMember(input: $i) { id } }",
            json!({ "i": { "brandId": brand, "displayName": "Ana", "identities": [{ "platform": "DISCORD", "externalId": "ana" }], "communityId": c } }),
        )
        .await;
    let m = m.data()["createMember"]["id"].clone();
    let t = app
        .gql_as(Some(&consultant), TRAINEE, json!({ "i": { "brandId": brand, "name": "Ana", "email": "ana@acme.example", "memberId": m } }))
        .await;
    let t = t.data()["createTrainee"]["id"].clone();
    app.gql_as(
        Some(&consultant),
        ENROLL,
        json!({ "i": { "programmeId": p["id"], "traineeIds": [t] } }),
    )
    .await
    .data();
    let host = "mutation($c: ID!, $m: ID!) { setMembership(communityId: $c, memberId: $m, role: HOST) { role } }";
    let refused = app
        .gql_as(Some(&consultant), host, json!({ "c": c, "m": m }))
        .await;
    assert_eq!(refused.code(), "BAD_USER_INPUT");
    let message = refused.body["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("\"Hosting\"") && message.contains(p["id"].as_str().unwrap()),
        "{message}"
    );
    // Moderator needs nothing here.
    let moderator = "mutation($c: ID!, $m: ID!) { setMembership(communityId: $c, memberId: $m, role: MODERATOR) { role } }";
    assert_eq!(
        app.gql_as(Some(&consultant), moderator, json!({ "c": c, "m": m }))
            .await
            .data()["setMembership"]["role"],
        "MODERATOR"
    );
    let gaps_q = "query($b: ID!, $d: Int) { trainingGaps(brandId: $b, withinDays: $d) { role memberId traineeId programmeTitle gap expiresAt } }";
    assert_eq!(
        app.gql_as(Some(&client), gaps_q, json!({ "b": brand }))
            .await
            .data()["trainingGaps"],
        json!([]),
        "nobody holds the role yet"
    );

    // An AMA hosted by Ana is flagged while she lacks the certification.
    let now = Utc::now();
    let camp = app
        .gql_as(
            Some(&consultant),
            "mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { id } }",
            json!({ "i": { "brandId": brand, "name": "Launch", "objective": "ENGAGEMENT", "startsAt": now - Duration::days(1), "endsAt": now + Duration::days(30), "communityIds": [c] } }),
        )
        .await;
    let camp = camp.data()["createCampaign"]["id"].clone();
    let item = "mutation($i: CreateContentItemInput!) { createContentItem(input: $i) { id hostTrainingGap } }";
    let ama = |kind: &str, host: &Value| {
        json!({ "i": { "campaignId": camp, "communityId": c, "kind": kind, "title": "Ask Ana", "body": "Anything",
            "fields": { "host": "Ana", "startsAt": now + Duration::days(3), "hostMemberId": host } } })
    };
    let stranger = app
        .gql_as(
            Some(&their_consultant),
            "mutation($i: CreateMemberInput!) { createMember(input: $i) { id } }",
            json!({ "i": { "brandId": other, "identities": [{ "platform": "DISCORD", "externalId": "x" }] } }),
        )
        .await;
    let stranger = stranger.data()["createMember"]["id"].clone();
    assert_eq!(
        field(
            &app.gql_as(Some(&consultant), item, ama("AMA", &stranger))
                .await
        ),
        "input.fields.hostMemberId"
    );
    assert_eq!(
        app.gql_as(Some(&consultant), item, ama("POST", &m))
            .await
            .code(),
        "BAD_USER_INPUT"
    );
    let flagged = app.gql_as(Some(&consultant), item, ama("AMA", &m)).await;
    let ama_id = flagged.data()["createContentItem"]["id"].clone();
    assert!(flagged.data()["createContentItem"]["hostTrainingGap"]
        .as_str()
        .unwrap()
        .contains("\"Hosting\""));

    // Signed off 20 days ago: certified until 20 days ago + 1 month, so the
    // role is granted; with 30 days' notice it shows as expiring.
    let record =
        "mutation($i: RecordTrainingResultInput!) { recordTrainingResult(input: $i) { inserted } }";
    app.gql_as(
        Some(&consultant),
        record,
        json!({ "i": { "traineeId": t, "moduleId": p["modules"][0]["id"], "verb": "COMPLETED", "timestamp": Utc::now() - Duration::days(20) } }),
    )
    .await
    .data();
    assert_eq!(
        app.gql_as(Some(&consultant), host, json!({ "c": c, "m": m }))
            .await
            .data()["setMembership"]["role"],
        "HOST"
    );
    let cleared = app
        .gql_as(
            Some(&client),
            "query($id: ID!) { contentItem(id: $id) { hostTrainingGap } }",
            json!({ "id": ama_id }),
        )
        .await;
    assert_eq!(
        cleared.data()["contentItem"]["hostTrainingGap"],
        Value::Null
    );
    let gaps = app
        .gql_as(Some(&client), gaps_q, json!({ "b": brand, "d": 30 }))
        .await;
    let gap = &gaps.data()["trainingGaps"][0];
    assert_eq!(gap["gap"], "EXPIRING");
    assert_eq!(gap["traineeId"], t);
    assert_eq!(gap["programmeTitle"], "Hosting");
    assert_eq!(
        app.gql_as(Some(&client), gaps_q, json!({ "b": brand, "d": 5 }))
            .await
            .data()["trainingGaps"],
        json!([]),
        "more than 5 days left"
    );

    // Revoked: the holder keeps the role but shows as a gap, and cannot be
    // given it again.
    let cert = app
        .gql_as(
            Some(&consultant),
            "query { certifications { edges { node { id } } } }",
            json!({}),
        )
        .await;
    let cert = cert.data()["certifications"]["edges"][0]["node"]["id"].clone();
    app.gql_as(
        Some(&consultant),
        "mutation($id: ID!) { revokeCertification(id: $id, reason: \"Left the team\") { status } }",
        json!({ "id": cert }),
    )
    .await
    .data();
    let gaps = app
        .gql_as(Some(&client), gaps_q, json!({ "b": brand, "d": 0 }))
        .await;
    assert_eq!(gaps.data()["trainingGaps"][0]["gap"], "REVOKED");
    app.gql_as(Some(&consultant), moderator, json!({ "c": c, "m": m }))
        .await
        .data();
    let again = app
        .gql_as(Some(&consultant), host, json!({ "c": c, "m": m }))
        .await;
    assert!(again.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("revoked"));

    // Another brand reads none of it.
    assert_eq!(
        app.gql_as(Some(&their_consultant), gaps_q, json!({ "b": brand }))
            .await
            .code(),
        "NOT_FOUND"
    );
    assert_eq!(
        app.gql_as(
            Some(&their_consultant),
            "query($c: ID!) { roleRequirements(communityId: $c) { role } }",
            json!({ "c": c })
        )
        .await
        .code(),
        "NOT_FOUND"
    );
    // Lifting the requirement lets anyone hold the role.
    app.gql_as(Some(&consultant), require, json!({ "c": c, "r": "HOST" }))
        .await
        .data();
    assert_eq!(
        app.gql_as(Some(&consultant), host, json!({ "c": c, "m": m }))
            .await
            .data()["setMembership"]["role"],
        "HOST"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_training_report_matches_figures_worked_out_by_hand() {
    let app = TestApp::spawn_with(|s| s.reports.min_sample = 3).await;
    let brand = app.create_brand("Acme").await;
    let other = app.create_brand("Other").await;
    let (_, consultant) = app.consultant_for(&[&brand]).await;
    let (_, their_consultant) = app.consultant_for(&[&other]).await;
    let (_, client) = app.user_token("CLIENT", Some(&brand)).await;
    let p = programme(&app, &consultant, Some(&brand), "Moderation").await;
    let (video, quiz) = (p["modules"][0]["id"].clone(), p["modules"][1]["id"].clone());
    let c = app
        .gql_as(
            Some(&consultant),
            "mutation($i: CreateCommunityInput!) { createCommunity(input: $i) { id } }",
            json!({ "i": { "brandId": brand, "name": "Trail", "purpose": "Trail talk", "kind": "PRODUCT", "platform": "DISCORD", "timeZone": "UTC" } }),
        )
        .await;
    let c = c.data()["createCommunity"]["id"].clone();
    let mut trainees = Vec::new();
    for name in ["A", "B", "C", "D", "E"] {
        // A and B are also members holding HOST in the community.
        let member = if matches!(name, "A" | "B") {
            let m = app
                .gql_as(
                    Some(&consultant),
                    "mutation($i: CreateMemberInput!) { createMember(input: $i) { id } }",
                    json!({ "i": { "brandId": brand, "identities": [{ "platform": "DISCORD", "externalId": name }], "communityId": c, "role": "HOST" } }),
                )
                .await;
            m.data()["createMember"]["id"].clone()
        } else {
            Value::Null
        };
        let t = app
            .gql_as(Some(&consultant), TRAINEE, json!({ "i": { "brandId": brand, "name": name, "email": format!("{name}@acme.example"), "memberId": member } }))
            .await;
        trainees.push(t.data()["createTrainee"]["id"].clone());
    }
    let due = Utc::now() + Duration::days(30);
    app.gql_as(
        Some(&consultant),
        ENROLL,
        json!({ "i": { "programmeId": p["id"], "traineeIds": trainees[..4], "dueAt": due } }),
    )
    .await
    .data();
    app.gql_as(Some(&consultant), ENROLL, json!({ "i": { "programmeId": p["id"], "traineeIds": [trainees[4]], "dueAt": Utc::now() + Duration::seconds(2) } }))
        .await
        .data();
    app.gql(
        "mutation($c: ID!, $p: ID!) { requireCertificationForRole(communityId: $c, role: HOST, programmeId: $p) { role } }",
        json!({ "c": c, "p": p["id"] }),
    )
    .await
    .data();
    // D's enrollment is waived.
    let d = app
        .gql_as(
            Some(&consultant),
            "query($t: ID!) { enrollments(filter: { traineeId: $t }) { edges { node { id } } } }",
            json!({ "t": trainees[3] }),
        )
        .await;
    let d = d.data()["enrollments"]["edges"][0]["node"]["id"].clone();
    app.gql_as(
        Some(&consultant),
        "mutation($id: ID!) { waiveEnrollment(id: $id, reason: \"Left\") { status } }",
        json!({ "id": d }),
    )
    .await
    .data();

    // Results, minutes after enrolling (A's last at +2 min, C's at +4 min).
    let start = Utc::now();
    let min = |m: i64| (start + Duration::minutes(m)).to_rfc3339();
    let mut n = 0;
    let mut row = |who: &str, verb: &str, module: &Value, score: Option<f64>, at: String| {
        n += 1;
        json!({ "statementId": format!("00000000-0000-4000-8000-{n:012}"), "actorEmail": format!("{who}@acme.example"), "verb": verb, "moduleId": module, "scoreScaled": score, "timestamp": at })
    };
    let rows = json!([
        row("A", "COMPLETED", &video, None, min(1)),
        row("A", "COMPLETED", &quiz, Some(0.9), min(2)),
        row("B", "COMPLETED", &video, None, min(1)),
        row("B", "PASSED", &quiz, Some(0.7), min(1)),
        row("B", "FAILED", &quiz, Some(0.5), min(2)),
        row("C", "COMPLETED", &video, None, min(1)),
        row("C", "PASSED", &quiz, Some(0.85), min(4)),
    ]);
    let ok = app
        .gql_as(
            Some(&consultant),
            INGEST,
            json!({ "i": { "brandId": brand, "rows": rows } }),
        )
        .await;
    assert_eq!(
        ok.data()["ingestTrainingStatements"]["inserted"],
        7,
        "{}",
        ok.body
    );
    tokio::time::sleep(std::time::Duration::from_millis(2200)).await;

    let q = "query($b: ID!, $p: ID!) { trainingReport(brandId: $b, programmeId: $p) { enrolled waived completed overdue
        completionRate { value sampleSize sampleOf insufficient } medianDaysToComplete { value sampleSize insufficient }
        overdueRate { value sampleSize } modules { title passRate { value sampleSize insufficient } meanScore { value sampleSize observations } }
        roleHolders roleHoldersCertified roleCoverage { value sampleSize sampleOf insufficient } } }";
    // The first request of a session loads it into the cache.
    app.gql_as(Some(&client), "{ me { id } }", json!({}))
        .await
        .data();
    let before = app.statements().await;
    let r = app
        .gql_as(Some(&client), q, json!({ "b": brand, "p": p["id"] }))
        .await;
    assert_eq!(
        app.statements().await - before,
        5.0,
        "programme, counts, median, modules, coverage"
    );
    let r = r.data()["trainingReport"].clone();
    // 5 enrolled, D waived: 4 counted. A and C complete: 2 / 4 = 0.5. E is
    // past its due date: 1 / 4 = 0.25.
    assert_eq!(
        (
            r["enrolled"].clone(),
            r["waived"].clone(),
            r["completed"].clone(),
            r["overdue"].clone()
        ),
        (json!(5), json!(1), json!(2), json!(1))
    );
    assert_eq!(
        r["completionRate"],
        json!({ "value": 0.5, "sampleSize": 4, "sampleOf": "TRAINEES", "insufficient": false })
    );
    assert_eq!(r["overdueRate"], json!({ "value": 0.25, "sampleSize": 4 }));
    // A completed 2 minutes and C 4 minutes after enrolling: the median is
    // (2 + 4) / 2 = 3 minutes = 3 / 1440 days; 2 people, below 3: flagged.
    let median = r["medianDaysToComplete"]["value"].as_f64().unwrap();
    assert!((median - 3.0 / 1440.0).abs() < 1e-4, "{median}");
    assert_eq!(r["medianDaysToComplete"]["sampleSize"], 2);
    assert_eq!(r["medianDaysToComplete"]["insufficient"], true);
    // Only the quiz is assessed. A passed (0.9 at or above 0.8), C passed
    // (0.85), B did not (0.7 is below mastery; FAILED): 2 / 3. Mean score
    // (0.9 + 0.7 + 0.5 + 0.85) / 4 = 0.7375 over 3 trainees, 4 results.
    let m = &r["modules"];
    assert_eq!(m.as_array().unwrap().len(), 1);
    assert_eq!(m[0]["title"], "Moderation quiz");
    assert!((m[0]["passRate"]["value"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-12);
    assert_eq!(m[0]["passRate"]["sampleSize"], 3);
    assert_eq!(m[0]["passRate"]["insufficient"], false);
    assert!((m[0]["meanScore"]["value"].as_f64().unwrap() - 0.7375).abs() < 1e-12);
    assert_eq!(
        (
            m[0]["meanScore"]["sampleSize"].clone(),
            m[0]["meanScore"]["observations"].clone()
        ),
        (json!(3), json!(4))
    );
    // Hosts A (certified) and B (not): 1 / 2, flagged (2 below 3).
    assert_eq!(
        (r["roleHolders"].clone(), r["roleHoldersCertified"].clone()),
        (json!(2), json!(1))
    );
    assert_eq!(
        r["roleCoverage"],
        json!({ "value": 0.5, "sampleSize": 2, "sampleOf": "ROLE_HOLDERS", "insufficient": true })
    );

    // Another brand: NOT_FOUND, and its own programme is not Acme's report.
    assert_eq!(
        app.gql_as(
            Some(&their_consultant),
            q,
            json!({ "b": brand, "p": p["id"] })
        )
        .await
        .code(),
        "NOT_FOUND"
    );
    let theirs = programme(&app, &their_consultant, Some(&other), "Theirs").await;
    assert_eq!(
        app.gql_as(Some(&client), q, json!({ "b": brand, "p": theirs["id"] }))
            .await
            .code(),
        "NOT_FOUND"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ingest_reads_its_trainees_in_a_fixed_number_of_statements() {
    // 501 trainees: one more than a multi-row chunk. On PostgreSQL each kind
    // of row an ingest reads (trainees by e-mail, their enrollments, which
    // both check the rows and are brought up to date) is one statement with
    // one array parameter, however many trainees; SQLite has no arrays and
    // reads them in chunks of 500.
    let app = TestApp::spawn().await;
    let brand = app.create_brand("Acme").await;
    let (_, consultant) = app.consultant_for(&[&brand]).await;
    let p = programme(&app, &consultant, Some(&brand), "Moderation").await;
    let video = p["modules"][0]["id"].clone();
    let people: Vec<(String, String)> = (0..501)
        .map(|n| (format!("T{n}"), format!("t{n}@acme.example")))
        .collect();
    enrolled_trainees(&app, &consultant, &brand, &p["id"], &people).await;
    let ts = (Utc::now() - Duration::days(1)).to_rfc3339();
    let launches = |batch: u32, trainees: usize| -> Vec<Value> {
        (0..trainees)
            .map(|n| json!({ "statementId": format!("00000000-0000-4000-8{batch:03}-{n:012}"), "actorEmail": format!("t{n}@acme.example"), "verb": "LAUNCHED", "moduleId": video, "timestamp": ts }))
            .collect()
    };
    let ingest = |rows: Vec<Value>| {
        let (app, consultant, brand) = (&app, &consultant, &brand);
        async move {
            let before = app.statements().await;
            let a = app
                .gql_as(
                    Some(consultant),
                    INGEST,
                    json!({ "i": { "brandId": brand, "rows": rows } }),
                )
                .await;
            let n = inserted_of(&a);
            (n, app.statements().await - before)
        }
    };
    // Every enrollment starts first, so the counted batches change none.
    let (started, _) = ingest(launches(0, 501)).await;
    assert_eq!(started, 501);
    let (two, few) = ingest(launches(1, 2)).await;
    assert_eq!(two, 2);
    let (all, many) = ingest(launches(2, 501)).await;
    assert_eq!(all, 501);
    if crate::helpers::postgres_url().is_some() {
        assert_eq!(many, few, "2 rows: {few}, 501 rows: {many}");
    } else {
        // Trainees, their enrollments and the insert of the rows
        // themselves: one more chunk each. The programmes' modules are one
        // statement for the whole batch, and the enrollments are read once.
        assert_eq!(many - few, 3.0, "2 rows: {few}, 501 rows: {many}");
    }
}

/// How many rows an ingest answer says it inserted.
fn inserted_of(a: &crate::helpers::Answer) -> i64 {
    a.data()["ingestTrainingStatements"]["inserted"]
        .as_i64()
        .unwrap()
}
