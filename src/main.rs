//! Command line: parse, load settings, run.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use hearth::{account, config::Settings, db, demo, graphql, startup, telemetry};

/// Hearth: GraphQL back end for micro-community work with client brands.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// Settings file (TOML); defaults to $HEARTH_CONFIG, then ./hearth.toml if present.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (the default).
    Serve,
    /// Apply, roll back or list database migrations.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Write the GraphQL schema (SDL).
    ExportSchema {
        /// Where to write it; `-` for standard output.
        #[arg(long, short, default_value = "schema.graphql")]
        output: String,
    },
    /// Check the settings and print them (secrets redacted).
    Config,
    /// Create the first admin (refused once an admin exists).
    CreateAdmin {
        /// The admin's sign-in e-mail address.
        #[arg(long)]
        email: String,
        /// The admin's display name.
        #[arg(long, default_value = "Administrator")]
        name: String,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Load a realistic demo agency (three brands, 18 months of history)
    /// through the API's own services.
    Demo {
        /// Seeds every random draw; the same seed and last day give the same data.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// The last day of history (YYYY-MM-DD); today by default.
        #[arg(long)]
        until: Option<chrono::NaiveDate>,
        /// Load even though the database already holds brands of its own.
        #[arg(long)]
        with_other_brands: bool,
    },
}

#[derive(Subcommand)]
enum MigrateAction {
    /// Apply every pending migration.
    Up,
    /// Roll back the last migrations.
    Down {
        /// How many to roll back.
        #[arg(long, default_value_t = 1)]
        steps: u32,
    },
    /// List migrations and whether each is applied.
    Status,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Some(Command::ExportSchema { output }) = &cli.command {
        let sdl = graphql::sdl();
        if output == "-" {
            print!("{sdl}");
        } else {
            std::fs::write(output, sdl).with_context(|| format!("could not write {output}"))?;
            eprintln!("wrote {output}");
        }
        return Ok(());
    }
    let settings = Settings::load(cli.config)?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings).await,
        Command::Config => {
            println!("{settings:#?}");
            Ok(())
        }
        Command::Migrate { action } => {
            let db = db::connect(&settings, None).await?;
            match action {
                MigrateAction::Up => db::migrate_up(&db).await?,
                MigrateAction::Down { steps } => db::migrate_down(&db, steps).await?,
                MigrateAction::Status => {}
            }
            for (name, applied) in db::migration_status(&db).await? {
                println!("{} {name}", if applied { "applied" } else { "pending" });
            }
            Ok(())
        }
        Command::CreateAdmin {
            email,
            name,
            password_stdin,
        } => {
            let db = db::connect(&settings, None).await?;
            db::migrate_up(&db).await?;
            let (password, generated) = if password_stdin {
                let mut line = String::new();
                std::io::stdin()
                    .read_line(&mut line)
                    .context("could not read the password")?;
                (line.trim_end_matches(['\r', '\n']).to_string(), false)
            } else {
                (account::generate_password(), true)
            };
            let admin = account::service::bootstrap_admin(&db, &email, &name, password.clone())
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("created admin {} ({})", admin.email, admin.id);
            if generated {
                println!("password: {password}");
                println!("(shown once; sign in with the login mutation and change it with changePassword)");
            }
            Ok(())
        }
        Command::Demo {
            seed,
            until,
            with_other_brands,
        } => {
            let graphiql = format!(
                "http://{}:{}/graphiql",
                settings.server.host, settings.server.port
            );
            let summary = demo::run(
                settings,
                demo::Options {
                    seed,
                    until,
                    with_other_brands,
                },
            )
            .await?;
            println!("{}", summary.render(&graphiql));
            Ok(())
        }
        Command::ExportSchema { .. } => Ok(()),
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    telemetry::init_logging(&settings.log);
    if !settings.ignored_variables.is_empty() {
        tracing::warn!(
            variables = %settings.ignored_variables.join(", "),
            "ignoring HEARTH_ environment variables that name no setting"
        );
    }
    let app = startup::Application::build(settings.clone()).await?;
    let addr = format!("{}:{}", settings.server.host, app.port());
    tracing::info!(
        addr = %addr,
        environment = ?settings.environment,
        database = ?settings.database_kind()?,
        cache = if settings.redis.url.is_some() { "redis" } else { "memory" },
        "listening"
    );
    if settings.graphiql_enabled() {
        tracing::info!("GraphiQL at http://{addr}/graphiql");
    }
    if account::service::count_users(&app.context().db)
        .await
        .unwrap_or(1)
        == 0
    {
        tracing::warn!(
            "no users yet: create the first admin with `hearth create-admin --email you@example.com` \
             (or `cargo run --release -- create-admin --email you@example.com`), then sign in with \
             `mutation {{ login(email: \"you@example.com\", password: \"...\") {{ accessToken }} }}` and \
             send the token as `Authorization: Bearer <accessToken>`"
        );
    }
    app.run_until(startup::shutdown_signal()).await?;
    Ok(())
}
