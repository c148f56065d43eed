use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;
use vnfeed::app;
use vnfeed::config::{Cli, Command, LogFormat};
use vnfeed::http::limits::BLOCKING_GRACE;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(run(cli));
    runtime.shutdown_timeout(BLOCKING_GRACE);
    code
}

async fn run(cli: Cli) -> ExitCode {
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Text => logs.with_ansi(std::io::stderr().is_terminal()).init(),
        // One object per line, the event's fields at the top level beside level and time.
        LogFormat::Json => logs.json().flatten_event(true).init(),
    }
    let result = match cli.command {
        Command::Check(args) => {
            return match app::check(args).await {
                Ok(verdict) => ExitCode::from(verdict.exit_code()),
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            };
        }
        Command::Serve(args) => app::serve(args).await,
        Command::Import(args) => app::import(args).await.map(|_| ()),
        Command::Migrate(args) => app::migrate(args).await.map(|_| ()),
        Command::Classify(args) => app::classify(args).and_then(|report| {
            std::io::stdout()
                .write_all(report.as_bytes())
                .map_err(app::AppError::Output)
        }),
        Command::Reclassify(args) => app::reclassify(args).await.and_then(|report| {
            std::io::stdout()
                .write_all(report.as_bytes())
                .map_err(app::AppError::Output)
        }),
        Command::Render(args) => app::render(args).await.and_then(|bytes| {
            std::io::stdout()
                .write_all(&bytes)
                .map_err(app::AppError::Serve)
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // The import already printed each failure and the summary.
        Err(app::AppError::ImportFailed { .. }) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
