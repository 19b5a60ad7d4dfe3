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

/// A child process that is killed if the test fails before it exits.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Starts `hearth` and returns it with the address from its "listening" log line.
fn start(mut cmd: Command) -> (Running, String, std::sync::mpsc::Receiver<Value>) {
    let mut child = cmd
        .stdin(Stdio::null())
        .env("HEARTH_SERVER__PORT", "0")
        .env("HEARTH_SERVER__WORKERS", "1")
        .env("HEARTH_LOG__FORMAT", "json")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let child = Running(child);
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
    let database = match postgres_url() {
        Some(_) => Some(fresh_database(dir.path()).await),
        None => None,
    };
    let with_db = |mut cmd: Command| {
        cmd.current_dir(dir.path());
        if let Some(url) = &database {
            cmd.env("DATABASE_URL", url);
        }
        cmd
    };
    // The operator's first step: create the admin (password from stdin).
    let mut create = with_db(hearth())
        .args([
            "create-admin",
            "--email",
            "ops@agency.test",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = create.stdin.take().unwrap();
        writeln!(stdin, "{}", crate::helpers::PASSWORD).unwrap();
    }
    let out = create.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let mut serve = with_db(hearth());
    serve.env("HEARTH_SERVER__SHUTDOWN_GRACE_SECS", "2");
    let (mut child, base, logs) = start(serve);
    if database.is_none() {
        assert!(
            dir.path().join("data/hearth.sqlite").exists(),
            "the embedded database lives in ./data"
        );
        assert!(
            dir.path().join("data/jwt-secret").exists(),
            "the generated signing key lives in ./data"
        );
    }
    let client = reqwest::Client::new();
    let login: Value = client
        .post(format!("{base}/graphql"))
        .json(&json!({
            "query": "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }",
            "variables": { "e": "ops@agency.test", "p": crate::helpers::PASSWORD }
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["data"]["login"]["accessToken"]
        .as_str()
        .expect("login failed")
        .to_string();
    let gql = |q: &'static str| {
        client
            .post(format!("{base}/graphql"))
            .bearer_auth(&token)
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
        if l["message"] == "request" && l["operation"] == "Make" {
            break l;
        }
    };
    assert!(line["duration_ms"].as_f64().is_some());
    assert!(line["request_id"].is_string());
    assert_eq!(line["status"], 200);

    assert_eq!(
        client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    // A live connection, closed with 1012 at SIGTERM so the client
    // reconnects to another instance.
    let mut ws = crate::live::Ws::connect_at(&base, &token).await;
    let status = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(ws.closed().await.0, 1012);
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
        "requests are still served"
    );

    let deadline = Instant::now() + Duration::from_secs(20);
    let exit = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
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
