//! `userphoto-server`: the reference photo server; `userphoto-server token` to mint
//! development tokens for it; `userphoto-server rerender` to render stored photos again.
#![forbid(unsafe_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand, ValueEnum};
use object_store::ObjectStore;
use userphoto_server::auth::{oidc, parse_duration, Authenticator, Keys};
use userphoto_server::rerender::Outcome;
use userphoto_server::store::PhotoStore;
use userphoto_server::{metrics_router, router, App, Config, MetricsEndpoint, DEFAULT_BODY_LIMIT};

/// The reference user-photo server: the Outlook photo REST API (/api/v2.0, /api/beta) and
/// Microsoft Graph's profile photo API (/v1.0, /beta), storing photos on disk or in S3.
///
/// Every flag can also be given by the environment variable named in its help.
#[derive(Parser, Debug)]
#[command(name = "userphoto-server", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: Serve,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Print a development token signed with the HS256 secret, alone on stdout.
    ///
    /// For development and tests only: whoever holds the secret can sign in as anyone. A
    /// deployment takes its tokens from an OpenID Connect issuer (--oidc-issuer).
    ///
    /// Example: userphoto-server token --user alice@contoso.com --scopes "User.ReadWrite"
    Token {
        /// The user the token signs in (its `upn` claim).
        #[arg(long)]
        user: String,
        /// Space-separated scopes (its `scp` claim), e.g. "User.Read User.ReadBasic.All".
        #[arg(long, default_value = "")]
        scopes: String,
        /// How long the token is valid: 90s, 15m, 1h, 7d.
        #[arg(long, default_value = "1h", value_parser = parse_duration)]
        expires: Duration,
        #[command(flatten)]
        secret: Secret,
    },
    /// Render every stored photo again from its original when it was made by another
    /// pipeline version or with other options (after an upgrade, or a new --quality).
    ///
    /// Each photo is swapped in as an upload is: readers never see a mix, and an upload that
    /// lands meanwhile wins. Safe beside running servers; stopped, it resumes where it was on
    /// the next run. Photos stored without their original are reported and left as they are.
    /// Exit status 0 when every photo is done, 1 when some failed (named on stderr).
    Rerender {
        #[command(flatten)]
        store: StoreArgs,
        /// JPEG quality of the renditions, 1-100: the servers' --quality.
        #[arg(long, env = "USERPHOTO_QUALITY", default_value_t = userphoto::Options::DEFAULT_QUALITY,
              value_parser = clap::value_parser!(u8).range(1..=100))]
        quality: u8,
        /// How many photos are rendered at once (default: the number of CPUs).
        #[arg(long)]
        jobs: Option<usize>,
    },
}

#[derive(Args, Debug)]
struct Secret {
    /// For development: a file holding the HS256 secret that signs tokens (a trailing newline
    /// is ignored). Without it, the secret is the environment variable USERPHOTO_JWT_SECRET.
    /// Not used with --oidc-issuer.
    #[arg(long, env = "USERPHOTO_JWT_SECRET_FILE", global = true)]
    jwt_secret_file: Option<PathBuf>,
}

impl Secret {
    fn keys(&self) -> anyhow::Result<Keys> {
        let secret = match &self.jwt_secret_file {
            Some(path) => {
                let text = std::fs::read(path)
                    .with_context(|| format!("reading the JWT secret from {}", path.display()))?;
                let trimmed = text.trim_ascii_end().to_vec();
                trimmed
            }
            None => match std::env::var("USERPHOTO_JWT_SECRET") {
                Ok(secret) => secret.into_bytes(),
                Err(_) => bail!(
                    "no token issuer: pass --oidc-issuer URL --audience AUD, or for development \
                     set USERPHOTO_JWT_SECRET or pass --jwt-secret-file FILE"
                ),
            },
        };
        if secret.len() < 16 {
            bail!(
                "the token secret is {} bytes; use at least 16",
                secret.len()
            );
        }
        Ok(Keys::new(&secret))
    }
}

#[derive(Args, Debug)]
struct StoreArgs {
    /// Keep photos in this folder (created if missing). The default store.
    #[arg(
        long,
        env = "USERPHOTO_DATA",
        default_value = "./data",
        conflicts_with = "store"
    )]
    data: PathBuf,
    /// Keep photos in this object store instead: s3://bucket/prefix (configured by the AWS_*
    /// variables: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ENDPOINT_URL,
    /// AWS_ALLOW_HTTP …), gs://bucket/prefix (GOOGLE_* variables), az://container/prefix
    /// (AZURE_* variables), file:///path, or memory:// (lost on exit).
    #[arg(long, env = "USERPHOTO_STORE")]
    store: Option<String>,
}

#[derive(Args, Debug)]
struct Serve {
    #[command(flatten)]
    store: StoreArgs,
    /// The address to listen on.
    #[arg(long, env = "USERPHOTO_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The largest upload in bytes; larger ones are answered 413 unread.
    #[arg(long, env = "USERPHOTO_BODY_LIMIT", default_value_t = DEFAULT_BODY_LIMIT)]
    body_limit: u64,
    /// How many uploads are ingested at once (default: the number of CPUs).
    #[arg(long, env = "USERPHOTO_MAX_INGESTS")]
    max_ingests: Option<usize>,
    /// JPEG quality of the renditions, 1-100.
    #[arg(long, env = "USERPHOTO_QUALITY", default_value_t = userphoto::Options::DEFAULT_QUALITY,
          value_parser = clap::value_parser!(u8).range(1..=100))]
    quality: u8,
    /// The base URL written into @odata.context and @odata.id (default http://<Host header>).
    #[arg(long, env = "USERPHOTO_PUBLIC_URL")]
    public_url: Option<String>,
    /// Take tokens from this OpenID Connect issuer (its /.well-known/openid-configuration and
    /// key set): RS256 or ES256, checked for issuer, audience, expiry and nbf. Needs
    /// --audience. Without it, tokens are development tokens (USERPHOTO_JWT_SECRET).
    #[arg(long, env = "USERPHOTO_OIDC_ISSUER", requires = "audience")]
    oidc_issuer: Option<String>,
    /// An audience tokens must be for (the API's application id URI or client id); may repeat,
    /// or be a comma-separated list in the variable.
    #[arg(
        long,
        env = "USERPHOTO_AUDIENCE",
        value_delimiter = ',',
        requires = "oidc_issuer"
    )]
    audience: Vec<String>,
    /// Serve GET /metrics on this address instead of the API's.
    #[arg(long, env = "USERPHOTO_METRICS_LISTEN")]
    metrics_listen: Option<SocketAddr>,
    /// How log lines are written: text (coloured only on a terminal) or json (one object a
    /// line).
    #[arg(long, env = "USERPHOTO_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(flatten)]
    secret: Secret,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum LogFormat {
    Text,
    Json,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Token {
            user,
            scopes,
            expires,
            secret,
        }) => {
            let keys = secret.keys()?;
            println!("{}", keys.mint(&user, &scopes, expires)?);
            Ok(())
        }
        Some(Command::Rerender {
            store,
            quality,
            jobs,
        }) => rerender(&store, quality, jobs),
        None => serve(cli.serve),
    }
}

/// Log lines on stdout: JSON objects, or text with colour codes only when stdout is a
/// terminal (and `NO_COLOR` is not set).
fn init_logs(format: LogFormat) {
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .init(),
        LogFormat::Text => builder.with_ansi(colour(&std::io::stdout())).init(),
    }
}

/// Colour codes only on a terminal, and not when `NO_COLOR` is set.
fn colour(stream: &impl std::io::IsTerminal) -> bool {
    stream.is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

async fn authenticator(args: &Serve) -> anyhow::Result<Authenticator> {
    let Some(issuer) = &args.oidc_issuer else {
        tracing::warn!("development tokens (HS256 secret): use --oidc-issuer in a deployment");
        return Ok(args.secret.keys()?.into());
    };
    let issuer = oidc::Issuer::discover(oidc::Settings {
        issuer: issuer.clone(),
        audiences: args.audience.clone(),
    })
    .await
    .with_context(|| format!("reading the OpenID Connect issuer {issuer}"))?;
    tracing::info!(issuer = issuer.issuer(), audiences = ?args.audience, "tokens from the issuer");
    Ok(issuer.into())
}

fn serve(args: Serve) -> anyhow::Result<()> {
    init_logs(args.log_format);
    // Upload after upload, reuse memory instead of faulting it in again (see its docs).
    userphoto::keep_freed_memory();
    let runtime = tokio::runtime::Runtime::new().context("starting the runtime")?;
    runtime.block_on(async move {
        let auth = authenticator(&args).await?;
        let store = open_store(&args.store)?;
        let mut config = Config {
            body_limit: args.body_limit,
            public_url: args.public_url.clone(),
            ..Config::default()
        };
        config.options.quality = args.quality;
        if let Some(n) = args.max_ingests {
            config.max_concurrent_ingests = n;
        }
        if args.metrics_listen.is_some() {
            config.metrics = MetricsEndpoint::Separate;
        }
        let app = Arc::new(App::new(PhotoStore::new(store), auth, config));
        if let Some(address) = args.metrics_listen {
            let listener = tokio::net::TcpListener::bind(address)
                .await
                .with_context(|| format!("listening on {address} for metrics"))?;
            tracing::info!(address = %listener.local_addr()?, "metrics at /metrics");
            let metrics = metrics_router(app.clone());
            tokio::spawn(async move {
                if let Err(error) = axum::serve(listener, metrics).await {
                    tracing::error!(%error, "the metrics listener failed");
                }
            });
        }
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("listening on {}", args.listen))?;
        tracing::info!(address = %listener.local_addr()?, "userphoto-server listening");
        axum::serve(listener, router(app))
            .with_graceful_shutdown(shutdown_signal())
            .await
            .context("serving")?;
        tracing::info!("stopped");
        Ok(())
    })
}

fn rerender(store: &StoreArgs, quality: u8, jobs: Option<usize>) -> anyhow::Result<()> {
    // Warnings and progress on stderr; the summary alone on stdout.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(colour(&std::io::stderr()))
        .init();
    let jobs = jobs.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
    });
    let options = userphoto::Options {
        quality,
        ..userphoto::Options::default()
    };
    let runtime = tokio::runtime::Runtime::new().context("starting the runtime")?;
    let summary = runtime.block_on(async {
        let store = Arc::new(PhotoStore::new(open_store(store)?));
        userphoto_server::rerender::rerender(
            store,
            &options,
            jobs,
            |owner, outcome, done, total| {
                eprintln!("[{done}/{total}] {owner}: {}", describe(outcome));
            },
        )
        .await
        .context("listing the stored photos")
    })?;
    for owner in summary.without_original() {
        eprintln!("left as it is (stored before originals were kept): {owner}");
    }
    let mut failed = 0;
    for (owner, why) in summary.failures() {
        eprintln!("failed: {owner}: {why}");
        failed += 1;
    }
    println!("{summary}");
    if failed > 0 {
        std::process::exit(1);
    }
    Ok(())
}

fn describe(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Rendered => "rendered again".to_owned(),
        Outcome::UpToDate => "up to date".to_owned(),
        Outcome::NoPhoto => "no photo".to_owned(),
        Outcome::NoOriginal => "no original, left as it is".to_owned(),
        Outcome::Superseded => "replaced by an upload meanwhile, which stays".to_owned(),
        Outcome::Failed(why) => format!("FAILED: {why}"),
    }
}

fn open_store(args: &StoreArgs) -> anyhow::Result<Arc<dyn ObjectStore>> {
    match &args.store {
        Some(url) => {
            let store = userphoto_server::store::open(url)
                .with_context(|| format!("opening the store {url}"))?;
            tracing::info!(store = %url, "photo store");
            Ok(store)
        }
        None => {
            let store = userphoto_server::store::open_dir(&args.data)
                .with_context(|| format!("opening the data folder {}", args.data.display()))?;
            tracing::info!(data = %args.data.display(), "photo store");
            Ok(store)
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
