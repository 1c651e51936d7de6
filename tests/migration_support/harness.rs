//! The two sides of `tests/migration.rs`: one configuration fed to
//! object_store's `AmazonS3Builder` and to s3lite's `S3StoreBuilder` as each
//! reads it, their presigned GETs taken apart, and the comparison of a table
//! of cases.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::time::Duration;

use http::Method;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::path::Path;
use object_store::signer::Signer;
use s3lite::config::{S3ConfigKey, percent_decode};
use s3lite::{PresignOptions, S3StoreBuilder};
use time::{Date, Month, OffsetDateTime, Time};

/// The key every URL is presigned for.
pub(crate) const KEY: &str = "dir/file.txt";
pub(crate) const EXPIRES: Duration = Duration::from_secs(3600);
pub(crate) const KEY_ID: &str = "AKIDMIGRATION";
/// `/`, `+` and `=` exercise the query encoding of both.
pub(crate) const SECRET: &str = "migration/secret+key=";
pub(crate) const TOKEN: &str = "IQoJb3JpZ2luX2Vj/session+token=";

/// One configuration, as a program migrating from object_store has it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Config {
    /// The process environment, in `environ` order.
    env: Vec<(&'static str, &'static str)>,
    /// The storage URL given to `with_url`.
    url: Option<&'static str>,
    /// `with_config(name.parse()?, value)` calls, in order, with object_store's key names.
    config: Vec<(&'static str, &'static str)>,
}

impl Config {
    /// Static keys in the environment (object_store would otherwise ask
    /// the instance metadata service when presigning).
    pub(crate) fn new() -> Self {
        Config::bare()
            .env("AWS_ACCESS_KEY_ID", KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", SECRET)
    }

    /// Nothing at all.
    pub(crate) fn bare() -> Self {
        Config::default()
    }

    pub(crate) fn env(mut self, name: &'static str, value: &'static str) -> Self {
        assert!(
            self.env.iter().all(|(n, _)| *n != name),
            "{name} twice: an environment holds a variable once"
        );
        self.env.push((name, value));
        self
    }

    pub(crate) fn url(mut self, url: &'static str) -> Self {
        self.url = Some(url);
        self
    }

    pub(crate) fn config(mut self, key: &'static str, value: &'static str) -> Self {
        self.config.push((key, value));
        self
    }
}

/// `AmazonS3Builder::from_env()` over `config.env` instead of the process
/// environment (the same loop as object_store 0.14.2's `from_env`), then the
/// keys, then the URL (which `build()` applies last whatever the call order).
pub(crate) fn object_store_builder(config: &Config) -> AmazonS3Builder {
    let mut builder = AmazonS3Builder::new();
    for (name, value) in &config.env {
        if name.starts_with("AWS_")
            && let Ok(key) = name.to_ascii_lowercase().parse::<AmazonS3ConfigKey>()
        {
            builder = builder.with_config(key, *value);
        }
    }
    for (name, value) in &config.config {
        let key = AmazonS3ConfigKey::from_str(name).unwrap();
        builder = builder.with_config(key, *value);
    }
    if let Some(url) = config.url {
        builder = builder.with_url(url);
    }
    builder
}

/// `S3StoreBuilder::from_env_with` over `config.env`, then the URL and the
/// keys (whose order does not matter to s3lite).
pub(crate) fn s3lite_builder(config: &Config) -> S3StoreBuilder {
    let env = config.env.clone();
    let mut builder = S3StoreBuilder::from_env_with(move |name| {
        env.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.to_string())
    });
    if let Some(url) = config.url {
        builder = builder.with_url(url);
    }
    for (name, value) in &config.config {
        let key = S3ConfigKey::from_str(name).unwrap();
        builder = builder.with_config(key, *value);
    }
    builder
}

/// A presigned URL, taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Presigned {
    /// `scheme://host[:port]`.
    pub(crate) origin: String,
    /// The path as sent: the bucket is in it (path style) or not (virtual-hosted).
    pub(crate) path: String,
    /// Every query parameter, percent-decoded.
    pub(crate) query: BTreeMap<String, String>,
}

impl Presigned {
    pub(crate) fn parse(url: &str) -> Self {
        let uri: http::Uri = url.parse().unwrap_or_else(|e| panic!("{url}: {e}"));
        let query = uri
            .query()
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (name, value) = p.split_once('=').unwrap_or((p, ""));
                (
                    percent_decode(name).unwrap(),
                    percent_decode(value).unwrap(),
                )
            })
            .collect();
        Presigned {
            origin: format!(
                "{}://{}",
                uri.scheme_str().unwrap(),
                uri.authority().unwrap()
            ),
            path: uri.path().to_string(),
            query,
        }
    }

    /// Scheme, host and path: where the request goes.
    pub(crate) fn url(&self) -> String {
        format!("{}{}", self.origin, self.path)
    }

    /// `X-Amz-Credential`: key id, date, region, service, `aws4_request`.
    pub(crate) fn scope(&self) -> Vec<&str> {
        self.query
            .get("X-Amz-Credential")
            .map(|c| c.split('/').collect())
            .unwrap_or_default()
    }

    pub(crate) fn key_id(&self) -> Option<&str> {
        self.scope().first().copied()
    }

    pub(crate) fn region(&self) -> Option<&str> {
        self.scope().get(2).copied()
    }

    pub(crate) fn token(&self) -> Option<&str> {
        self.query.get("X-Amz-Security-Token").map(String::as_str)
    }

    /// `X-Amz-Date` (`20260102T030405Z`).
    pub(crate) fn signed_at(&self) -> Option<OffsetDateTime> {
        let d = self.query.get("X-Amz-Date")?;
        let num = |range: std::ops::Range<usize>| d.get(range)?.parse::<u8>().ok();
        let year: i32 = d.get(0..4)?.parse().ok()?;
        let month = Month::try_from(num(4..6)?).ok()?;
        let date = Date::from_calendar_date(year, month, num(6..8)?).ok()?;
        let time = Time::from_hms(num(9..11)?, num(11..13)?, num(13..15)?).ok()?;
        Some(date.with_time(time).assume_utc())
    }
}

/// object_store's presigned GET of `key`.
pub(crate) async fn object_store_presign(config: &Config, key: &str) -> Result<Presigned, String> {
    let store = object_store_builder(config)
        .build()
        .map_err(|e| e.to_string())?;
    let url = store
        .signed_url(Method::GET, &Path::from(key), EXPIRES)
        .await
        .map_err(|e| e.to_string())?;
    Ok(Presigned::parse(url.as_str()))
}

/// s3lite's presigned GET of `key`, signed as of `at`.
pub(crate) async fn s3lite_presign(
    config: &Config,
    key: &str,
    at: OffsetDateTime,
) -> Result<Presigned, s3lite::Error> {
    let store = s3lite_builder(config).build()?;
    let url = store
        .presign_at(Method::GET, key, EXPIRES, &PresignOptions::default(), at)
        .await?;
    Ok(Presigned::parse(&url))
}

pub(crate) type Both = (Result<Presigned, String>, Result<Presigned, s3lite::Error>);

/// Both presigned GETs of `KEY`; s3lite signs at object_store's date.
pub(crate) async fn presign_both(config: &Config) -> Both {
    presign_both_keys(config, KEY, config, KEY).await
}

/// object_store's GET of `os_key` under `os`, s3lite's of `key` under `s3`.
pub(crate) async fn presign_both_keys(os: &Config, os_key: &str, s3: &Config, key: &str) -> Both {
    let theirs = object_store_presign(os, os_key).await;
    let at = theirs
        .as_ref()
        .ok()
        .and_then(Presigned::signed_at)
        .unwrap_or_else(OffsetDateTime::now_utc);
    (theirs, s3lite_presign(s3, key, at).await)
}

/// A configuration both must resolve identically, and where to.
pub(crate) struct Alike {
    name: &'static str,
    config: Config,
    /// Scheme, host and path of the GET of `KEY`.
    url: &'static str,
    region: &'static str,
}

pub(crate) fn alike(
    name: &'static str,
    config: Config,
    url: &'static str,
    region: &'static str,
) -> Alike {
    Alike {
        name,
        config,
        url,
        region,
    }
}

/// Every case must give the same whole URL on both sides (so the same
/// signature), and that URL must be the expected one, so that a shared
/// mistake fails too. Reports every failing case, not only the first.
pub(crate) async fn assert_alike(cases: Vec<Alike>) {
    let mut failures = Vec::new();
    for case in &cases {
        let (theirs, ours) = presign_both(&case.config).await;
        let problem = match (&theirs, &ours) {
            (Ok(t), Ok(o)) if t != o => Some("the URLs differ"),
            (Ok(t), Ok(_)) if t.url() != case.url || t.region() != Some(case.region) => {
                Some("they agree, but not on the expected URL and region")
            }
            (Ok(t), Ok(_)) if t.key_id() != Some(KEY_ID) => Some("not signed with the static key"),
            (Ok(_), Ok(_)) => None,
            _ => Some("one side failed"),
        };
        if let Some(problem) = problem {
            failures.push(format!(
                "{}: {problem} (want {} in {})\n  config:       {:?}\n  object_store: {theirs:?}\n  s3lite:       {ours:?}",
                case.name, case.url, case.region, case.config
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// Both sides succeeded; their results.
pub(crate) fn both_ok(name: &str, (theirs, ours): Both) -> (Presigned, Presigned) {
    match (theirs, ours) {
        (Ok(t), Ok(o)) => (t, o),
        (t, o) => panic!("{name}: one side failed\n  object_store: {t:?}\n  s3lite:       {o:?}"),
    }
}

/// Same key id, region and session token: the credential part agrees even
/// where the endpoint does not.
pub(crate) fn assert_same_credentials(name: &str, theirs: &Presigned, ours: &Presigned) {
    assert_eq!(theirs.key_id(), ours.key_id(), "{name}: key id");
    assert_eq!(theirs.region(), ours.region(), "{name}: region");
    assert_eq!(theirs.token(), ours.token(), "{name}: session token");
}

/// Puts the bucket of a path-style URL into the host.
pub(crate) fn as_virtual_hosted(path_style: &Presigned, bucket: &str) -> String {
    let (scheme, host) = path_style.origin.split_once("://").unwrap();
    let rest = path_style
        .path
        .strip_prefix(&format!("/{bucket}"))
        .unwrap_or_else(|| panic!("{path_style:?} is not path style"));
    format!("{scheme}://{bucket}.{host}{rest}")
}
