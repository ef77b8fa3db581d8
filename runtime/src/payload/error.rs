//! Why a payload could not be read.

use std::fmt;

/// A problem with the payload of a bundle. The messages say what is wrong;
/// callers add the file name and what to do.
#[derive(Debug)]
pub enum PayloadError {
    /// The executable carries no payload: it is a bare stub.
    NoPayload,
    /// The file is shorter than its own headers say.
    Truncated(String),
    /// A checksum or structure check failed.
    Corrupt(String),
    /// The payload was written in a format version this reader does not know.
    UnsupportedVersion {
        /// The version found in the file.
        found: u32,
        /// The newest version this build reads.
        supported: u32,
    },
    /// Reading the file failed.
    Io(std::io::Error),
}

impl fmt::Display for PayloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PayloadError::NoPayload => f.write_str("no program is bundled in this executable"),
            PayloadError::Truncated(detail) => write!(f, "the file is truncated: {detail}"),
            PayloadError::Corrupt(detail) => write!(f, "the file is corrupt: {detail}"),
            PayloadError::UnsupportedVersion { found, supported } => write!(
                f,
                "the bundle uses payload format version {found}, but this reader supports only versions {} to {supported}",
                super::OLDEST_READABLE_VERSION
            ),
            PayloadError::Io(e) => write!(f, "reading the file failed: {e}"),
        }
    }
}

impl std::error::Error for PayloadError {}
