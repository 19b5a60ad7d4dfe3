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
}
