//! The crate's error type. Misuse in a caller's program panics with an [`Error`]'s message
//! (through the plain method); the `try_` twins and everything that meets the outside world
//! (files, devices, untrusted sizes) return it.

use std::fmt;

/// What went wrong, with a message that names the op, the shapes and the fix.
///
/// ```
/// use firebrand::{tensor, Error};
/// let a = tensor!([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
/// let err: Error = a.try_matmul(&a).unwrap_err();
/// assert!(err.to_string().contains("matmul"));
/// ```
#[derive(Debug)]
pub enum Error {
    /// An op was called with arguments it cannot accept (shapes, dtypes, dims, devices).
    Op(String),
    /// A device is absent or failed (no CUDA driver, out of memory).
    Device(String),
    /// A file or stream could not be read or written.
    Io(std::io::Error),
    /// A file's contents are not what its format promises (truncated, corrupt, lying header).
    Format(String),
}

impl Error {
    /// An [`Error::Op`] with the given message.
    ///
    /// ```
    /// let e = firebrand::Error::msg("add: bad shapes");
    /// assert_eq!(e.to_string(), "add: bad shapes");
    /// ```
    pub fn msg(message: impl Into<String>) -> Error {
        Error::Op(message.into())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Op(m) | Error::Device(m) | Error::Format(m) => f.write_str(m),
            Error::Io(e) => write!(f, "I/O error: {e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(e)
    }
}

/// `std::result::Result` with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// Unwraps an op's result for the panicking form of a public method, panicking with the
/// error's message at the caller's line.
#[track_caller]
pub(crate) fn or_panic<T>(r: Result<T>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("{e}"),
    }
}
