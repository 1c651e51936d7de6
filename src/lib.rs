//! s3lite: a small S3 client with its own AWS Signature V4 signer.
//!
//! (crate docs are completed with the store; see README.md)

pub mod date;
pub mod error;
pub mod sign;
#[cfg(feature = "_io")]
pub mod transport;
pub mod xml;

pub use error::{Error, ErrorKind, Result};
