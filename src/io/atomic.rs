//! Atomic saves: write a temporary file next to the target, flush it to disk, then rename it
//! over the target, so a crash or an error never leaves a half-written file in its place.

use crate::{Error, Result};
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Writes a file atomically: `write` fills a temporary file in the same directory as `path`
/// (named `.<file name>.<pid>.<n>.tmp`), which is then flushed to disk (`fsync`) and renamed
/// over `path`. When `write` or any step fails, the temporary file is removed and whatever was
/// at `path` before is left untouched. Every saver in [`firebrand::io`](crate::io) uses it.
///
/// ```
/// use std::io::Write;
/// let path = std::env::temp_dir().join("firebrand_doc_write_atomic.txt");
/// firebrand::io::write_atomic(&path, |w| Ok(w.write_all(b"hello")?)).unwrap();
/// // a failing write leaves the old contents in place
/// let failed = firebrand::io::write_atomic(&path, |w| {
///     w.write_all(b"half")?;
///     Err(firebrand::Error::msg("stopped midway"))
/// });
/// assert!(failed.is_err());
/// assert_eq!(std::fs::read(&path).unwrap(), b"hello");
/// # std::fs::remove_file(&path).unwrap();
/// ```
pub fn write_atomic(
    path: impl AsRef<Path>,
    write: impl FnOnce(&mut dyn Write) -> Result<()>,
) -> Result<()> {
    let path = path.as_ref();
    let (temp_path, file) = create_temp(path)?;
    let result = fill_and_rename(file, &temp_path, path, write);
    if result.is_err() {
        let _ = fs::remove_file(&temp_path);
    }
    result
}

/// The directory a file path lives in (`.` for a bare file name).
fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// An I/O error whose message names the file.
pub(crate) fn io_error(path: &Path, e: io::Error) -> Error {
    Error::Io(io::Error::new(e.kind(), format!("{}: {e}", path.display())))
}

/// Creates a new, uniquely named temporary file beside `path`.
fn create_temp(path: &Path) -> Result<(PathBuf, File)> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = path.file_name().ok_or_else(|| {
        let e = io::Error::new(io::ErrorKind::InvalidInput, "not a path to a file");
        io_error(path, e)
    })?;
    let dir = parent_dir(path);
    for _ in 0..1000 {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let temp = dir.join(format!(
            ".{}.{}.{n}.tmp",
            name.to_string_lossy(),
            std::process::id()
        ));
        match OpenOptions::new().write(true).create_new(true).open(&temp) {
            Ok(file) => return Ok((temp, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(io_error(&temp, e)),
        }
    }
    let e = io::Error::new(
        io::ErrorKind::AlreadyExists,
        "no free temporary file name beside it",
    );
    Err(io_error(path, e))
}

/// Runs `write` into the temporary file, syncs it and renames it over `target`.
fn fill_and_rename(
    file: File,
    temp: &Path,
    target: &Path,
    write: impl FnOnce(&mut dyn Write) -> Result<()>,
) -> Result<()> {
    let mut writer = BufWriter::new(file);
    write(&mut writer)?;
    let file = writer
        .into_inner()
        .map_err(|e| io_error(temp, e.into_error()))?;
    file.sync_all().map_err(|e| io_error(temp, e))?;
    drop(file);
    fs::rename(temp, target).map_err(|e| io_error(target, e))?;
    sync_dir(parent_dir(target));
    Ok(())
}

/// Makes the rename durable where the platform allows syncing a directory (best effort).
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}
