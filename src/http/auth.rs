//! Who may use the publishing API: bearer tokens from `VNFEED_API_TOKEN` and from a token
//! file (one per line), compared in constant time. The file is read again on every check,
//! so adding or removing a line rotates tokens with no restart and no window of staleness.
//! A missing file revokes its tokens; a file that cannot be read for any other reason (out
//! of descriptors, an I/O error) leaves the answer unknown, and the client is asked to retry
//! rather than told that its token is wrong.

use std::path::{Path, PathBuf};

use http::HeaderMap;
use http::header::AUTHORIZATION;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Tokens shorter than this are accepted but logged as weak at start-up.
const WEAK_TOKEN_LEN: usize = 16;

/// The largest token file read; a larger one is an error, not a memory cost per request.
const MAX_TOKEN_FILE_BYTES: u64 = 1 << 20;

type TokenDigest = [u8; 32];

/// Where the tokens come from. With neither, the write API is off.
#[derive(Debug, Default)]
pub struct Tokens {
    fixed: Vec<TokenDigest>,
    file: Option<PathBuf>,
}

/// The outcome of checking a request's `Authorization` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// No token is configured: the API is off for everyone.
    Off,
    Missing,
    Invalid,
    Granted,
    /// The token file could not be read: whether the token is valid is unknown for now.
    Unavailable,
}

#[derive(Debug, thiserror::Error)]
#[error("token file {}: {source}", path.display())]
pub struct TokenFileError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

impl Tokens {
    /// Reads the token file once now, so a wrong path stops start-up instead of locking
    /// every editor out later.
    pub fn new(env_token: Option<&str>, file: Option<&Path>) -> Result<Tokens, TokenFileError> {
        let env_token = env_token.map(str::trim).filter(|t| !t.is_empty());
        let file_text = match file {
            Some(path) => std::fs::read_to_string(path).map_err(|source| TokenFileError {
                path: path.to_path_buf(),
                source,
            })?,
            None => String::new(),
        };
        if env_token
            .into_iter()
            .chain(lines(&file_text))
            .any(|t| t.len() < WEAK_TOKEN_LEN)
        {
            tracing::warn!("an API token is shorter than {WEAK_TOKEN_LEN} characters");
        }
        Ok(Tokens {
            fixed: env_token.map(digest).into_iter().collect(),
            file: file.map(Path::to_path_buf),
        })
    }

    pub fn is_configured(&self) -> bool {
        !self.fixed.is_empty() || self.file.is_some()
    }

    pub async fn check(&self, headers: &HeaderMap) -> Verdict {
        if !self.is_configured() {
            return Verdict::Off;
        }
        let Some(offered) = bearer(headers) else {
            return Verdict::Missing;
        };
        let offered = digest(offered);
        let mut known = self.fixed.clone();
        let mut unreadable = false;
        if let Some(path) = &self.file {
            match read_token_file(path).await {
                Ok(text) => known.extend(lines(&text).map(digest)),
                // Fail closed: deleting the file is how an operator revokes every token in it.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "cannot read the token file");
                    unreadable = true;
                }
            }
        }
        // Compare with every token, without stopping at a match, and compare digests so
        // neither the position of a mismatch nor a token's length shows in the timing.
        let granted = known
            .iter()
            .fold(subtle::Choice::from(0), |acc, k| acc | k.ct_eq(&offered));
        if bool::from(granted) {
            Verdict::Granted
        } else if unreadable {
            Verdict::Unavailable
        } else {
            Verdict::Invalid
        }
    }
}

/// The token file's text, refused past [`MAX_TOKEN_FILE_BYTES`].
async fn read_token_file(path: &Path) -> std::io::Result<String> {
    use tokio::io::AsyncReadExt;
    let file = tokio::fs::File::open(path).await?;
    let mut text = String::new();
    file.take(MAX_TOKEN_FILE_BYTES + 1)
        .read_to_string(&mut text)
        .await?;
    if text.len() as u64 > MAX_TOKEN_FILE_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::FileTooLarge,
            format!("larger than {MAX_TOKEN_FILE_BYTES} bytes"),
        ));
    }
    Ok(text)
}

/// Non-blank lines that are not `#` comments, trimmed.
fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

fn digest(token: &str) -> TokenDigest {
    Sha256::digest(token.as_bytes()).into()
}

/// The token of an `Authorization: Bearer <token>` header (the scheme is case-insensitive).
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_auth(value: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, http::HeaderValue::from_static(value));
        h
    }

    #[tokio::test]
    async fn env_token_grants_and_others_do_not() {
        let tokens = Tokens::new(Some(" bi-mat-cua-toa-soan-01 \n"), None).unwrap();
        assert_eq!(
            tokens
                .check(&with_auth("Bearer bi-mat-cua-toa-soan-01"))
                .await,
            Verdict::Granted
        );
        assert_eq!(
            tokens
                .check(&with_auth("bearer   bi-mat-cua-toa-soan-01"))
                .await,
            Verdict::Granted
        );
        for wrong in [
            "Bearer bi-mat-cua-toa-soan-0",
            "Bearer bi-mat-cua-toa-soan-011",
            "Basic bi-mat-cua-toa-soan-01",
        ] {
            let verdict = tokens.check(&with_auth(wrong)).await;
            assert_ne!(verdict, Verdict::Granted, "{wrong}");
        }
        assert_eq!(tokens.check(&HeaderMap::new()).await, Verdict::Missing);
        assert_eq!(
            Tokens::default().check(&with_auth("Bearer x")).await,
            Verdict::Off
        );
    }

    #[tokio::test]
    async fn the_token_file_is_read_again_on_each_check() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens");
        std::fs::write(&path, "# toà soạn\ncu-0000000000000001\n\n").unwrap();
        let tokens = Tokens::new(None, Some(&path)).unwrap();
        let old = with_auth("Bearer cu-0000000000000001");
        let new = with_auth("Bearer moi-000000000000002");
        assert_eq!(tokens.check(&old).await, Verdict::Granted);
        assert_eq!(tokens.check(&new).await, Verdict::Invalid);
        std::fs::write(&path, "cu-0000000000000001\nmoi-000000000000002\n").unwrap();
        assert_eq!(tokens.check(&new).await, Verdict::Granted);
        std::fs::write(&path, "moi-000000000000002\n").unwrap();
        assert_eq!(tokens.check(&old).await, Verdict::Invalid);
        std::fs::remove_file(&path).unwrap();
        assert_eq!(tokens.check(&new).await, Verdict::Invalid, "fails closed");
        assert!(Tokens::new(None, Some(&path)).is_err());
    }

    #[tokio::test]
    async fn a_token_file_that_cannot_be_read_means_retry_not_revoked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens");
        std::fs::write(&path, "moi-000000000000002\n").unwrap();
        let tokens = Tokens::new(Some("co-dinh-00000000001"), Some(&path)).unwrap();
        // Unreadable (EISDIR here; EMFILE or EIO in the field), but not gone.
        std::fs::remove_file(&path).unwrap();
        std::fs::create_dir(&path).unwrap();
        let from_file = with_auth("Bearer moi-000000000000002");
        assert_eq!(tokens.check(&from_file).await, Verdict::Unavailable);
        let fixed = with_auth("Bearer co-dinh-00000000001");
        assert_eq!(tokens.check(&fixed).await, Verdict::Granted);
    }
}
