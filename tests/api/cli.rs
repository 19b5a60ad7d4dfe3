//! The binary itself: embedded default, settings errors, graceful shutdown.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::{json, Value};

use crate::helpers::{fresh_database, postgres_url};

fn hearth() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hearth"));
    for (key, _) in std::env::vars() {
        if key.starts_with("HEARTH_") || key == "DATABASE_URL" || key == "REDIS_URL" {
            cmd.env_remove(key);
        }
    }
    cmd
}

/// Starts `hearth` and returns it with the address from its "listening" log line.
#[allow(clippy::zombie_processes, reason = "the caller waits for the child")]
fn start(mut cmd: Command) -> (Child, String, std::sync::mpsc::Receiver<Value>) {
    let mut child = cmd
        .env("HEARTH_SERVER__PORT", "0")
        .env("HEARTH_SERVER__WORKERS", "1")
        .env("HEARTH_LOG__FORMAT", "json")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Ok(v) = serde_json::from_str::<Value>(&line) {
                if tx.send(v).is_err() {
                    break;
                }
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("no listening line");
        if line["message"] == "listening" {
            let addr = line["addr"].as_str().unwrap().to_string();
            return (child, format!("http://{addr}"), rx);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_with_no_configuration_and_shuts_down_gracefully_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = hearth();
    cmd.current_dir(dir.path())
        .env("HEARTH_SERVER__SHUTDOWN_GRACE_SECS", "2");
    if postgres_url().is_some() {
        cmd.env("DATABASE_URL", fresh_database(dir.path()).await);
    }
    let (mut child, base, logs) = start(cmd);
    if postgres_url().is_none() {
        assert!(
            dir.path().join("data/hearth.sqlite").exists(),
            "the embedded database lives in ./data"
        );
    }
    let client = reqwest::Client::new();
    let gql = |q: &'static str| {
        client
            .post(format!("{base}/graphql"))
            .json(&json!({ "query": q }))
            .send()
    };
    let res: Value = gql("mutation Make { createBrand(input: { name: \"Acme\" }) { id } }")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(res["data"]["createBrand"]["id"].is_string(), "{res}");

    // One log line per request, with its operation name and duration.
    let deadline = Instant::now() + Duration::from_secs(10);
    let line = loop {
        let l = logs
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("no request line");
        if l["message"] == "request" && l["path"] == "/graphql" {
            break l;
        }
    };
    assert_eq!(line["operation"], "Make");
    assert!(line["duration_ms"].as_f64().is_some());
    assert!(line["request_id"].is_string());

    assert_eq!(
        client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    // During the grace period readiness is red but requests are still served.
    let deadline = Instant::now() + Duration::from_secs(2);
    let mut saw_503 = false;
    while Instant::now() < deadline {
        if let Ok(r) = client.get(format!("{base}/readyz")).send().await {
            if r.status() == 503 {
                saw_503 = true;
                assert!(r.headers().get("retry-after").is_some());
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(saw_503, "readiness turns 503 after SIGTERM");
    let res: Value = gql("{ brands { totalCount } }")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        res["data"]["brands"]["totalCount"], 1,
        "in-flight work still served"
    );

    let deadline = Instant::now() + Duration::from_secs(20);
    let exit = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "did not exit after SIGTERM");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(exit.success(), "{exit:?}");
}

#[test]
fn an_invalid_setting_stops_start_up_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = hearth()
        .current_dir(dir.path())
        .env("HEARTH_SERVER__PORT", "eighty")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("server.port"), "{err}");

    let out = hearth()
        .current_dir(dir.path())
        .env("HEARTH_SERVER__BODY_LIMIT_BYTES", "10")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("server.body_limit_bytes"));
}

#[test]
fn config_command_never_prints_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let out = hearth()
        .current_dir(dir.path())
        .arg("config")
        .env("DATABASE_URL", "postgres://app:hunter2@db.internal/app")
        .env("REDIS_URL", "redis://:s3cret@cache.internal/0")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("server"), "{text}");
    assert!(
        !text.contains("hunter2") && !text.contains("s3cret"),
        "{text}"
    );
}

#[test]
fn export_schema_writes_the_sdl() {
    let out = hearth()
        .args(["export-schema", "--output", "-"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), hearth::graphql::sdl());
}

#[test]
fn migrate_status_lists_migrations() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = hearth();
    cmd.current_dir(dir.path());
    if postgres_url().is_some() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        cmd.env("DATABASE_URL", rt.block_on(fresh_database(dir.path())));
    }
    let out = cmd.args(["migrate", "up"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("applied m20261128_000001_create_brand"),
        "{text}"
    );
}
