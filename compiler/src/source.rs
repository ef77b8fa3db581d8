//! Source files, spans and the loader seam.
//!
//! The front end never touches the file system itself. Every byte it reads comes through a
//! [`SourceLoader`]: [`FsLoader`] for the command line and [`MemoryLoader`] for tests and
//! fuzzing. Positions are byte offsets into a file's text, kept in a [`Span`] together with the
//! [`FileId`] of the file, so a span alone names a place in the whole program.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Component, Path, PathBuf};

/// Index of a file in a [`SourceMap`]; the entry file is always `FileId(0)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A half-open byte range `start..end` in one file.
///
/// Spans are the keys of the resolver's side tables (see [`crate::resolve`]), so two distinct
/// AST nodes of the same kind never share a span.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    /// The file the range belongs to.
    pub file: FileId,
    /// Offset of the first byte.
    pub start: u32,
    /// Offset one past the last byte.
    pub end: u32,
}

impl Span {
    /// Makes a span from its parts.
    pub fn new(file: FileId, start: u32, end: u32) -> Span {
        Span { file, start, end }
    }

    /// The smallest span covering `self` and `other` (both in the same file).
    pub fn to(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    /// The byte range, for slicing the file's text.
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

impl fmt::Debug for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "@{}:{}..{}", self.file.0, self.start, self.end)
    }
}

/// A fast hasher for [`Span`] keys (the resolver's side tables hold one entry per name use,
/// so SipHash would dominate their cost). Not resistant to hash flooding, which does not
/// matter for a compiler's own tables.
#[derive(Debug, Default, Clone, Copy)]
pub struct SpanHasher(u64);

impl std::hash::Hasher for SpanHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

/// A hash map keyed by spans, using [`SpanHasher`].
pub type SpanMap<V> = std::collections::HashMap<Span, V, std::hash::BuildHasherDefault<SpanHasher>>;

/// One loaded source file: its name as shown to users and its text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The normalised path used to find the file (and to recognise it when included again).
    pub path: PathBuf,
    /// The name printed in diagnostics.
    pub name: String,
    /// The text. Files that are not valid UTF-8 hold the lossy conversion, only for display.
    pub text: String,
    line_starts: Vec<u32>,
}

impl SourceFile {
    /// Wraps a file's text and indexes its line starts.
    pub fn new(path: PathBuf, name: String, text: String) -> SourceFile {
        let mut line_starts = vec![0u32];
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                line_starts.push(i as u32 + 1);
            }
        }
        SourceFile {
            path,
            name,
            text,
            line_starts,
        }
    }

    /// Offsets of the first byte of every line.
    pub fn line_starts(&self) -> &[u32] {
        &self.line_starts
    }

    /// 0-based line index of a byte offset.
    pub fn line_index(&self, offset: u32) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(line) => line,
            Err(next) => next.saturating_sub(1),
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: u32) -> (usize, usize) {
        let line = self.line_index(offset);
        let start = self.line_starts.get(line).copied().unwrap_or(0) as usize;
        let end = (offset as usize).min(self.text.len());
        let col = self
            .text
            .get(start..end)
            .map_or(end.saturating_sub(start), |s| s.chars().count());
        (line + 1, col + 1)
    }
}

/// All files of one program, indexed by [`FileId`].
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// An empty map.
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    /// Adds a file and returns its id.
    pub fn add(&mut self, file: SourceFile) -> FileId {
        self.files.push(file);
        FileId(self.files.len() as u32 - 1)
    }

    /// The file with the given id.
    ///
    /// # Panics
    /// If the id does not come from this map.
    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// All files, in the order they were loaded.
    pub fn files(&self) -> &[SourceFile] {
        &self.files
    }

    /// The id of the file loaded from `path`, if any.
    pub fn find(&self, path: &Path) -> Option<FileId> {
        self.files
            .iter()
            .position(|f| f.path == path)
            .map(|i| FileId(i as u32))
    }

    /// The source text covered by a span (empty when the span is out of range).
    pub fn snippet(&self, span: Span) -> &str {
        self.get(span.file).text.get(span.range()).unwrap_or("")
    }
}

/// Where the front end gets file contents from. This is the only IO seam of the crate.
pub trait SourceLoader {
    /// Reads the whole file at `path`, or explains in one sentence why it cannot.
    fn read(&self, path: &Path) -> Result<Vec<u8>, String>;

    /// The canonical form of `path`, used to include each file once.
    /// The default is [`normalize_path`], which works on the text of the path only.
    fn canonical(&self, path: &Path) -> PathBuf {
        normalize_path(path)
    }
}

/// Removes `.` components and folds `dir/..` pairs, without touching the file system.
pub fn normalize_path(path: &Path) -> PathBuf {
    let mut out: Vec<Component<'_>> = Vec::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir) | Some(Component::Prefix(_)) => {}
                _ => out.push(component),
            },
            other => out.push(other),
        }
    }
    let mut result = PathBuf::new();
    for component in out {
        result.push(component.as_os_str());
    }
    if result.as_os_str().is_empty() {
        result.push(".");
    }
    result
}

/// Reads files from the real file system (what the `nyash` command line compiles from).
#[derive(Debug, Default, Clone, Copy)]
pub struct FsLoader;

impl SourceLoader for FsLoader {
    #[allow(clippy::disallowed_methods)]
    fn read(&self, path: &Path) -> Result<Vec<u8>, String> {
        std::fs::read(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))
    }

    #[allow(clippy::disallowed_methods)]
    fn canonical(&self, path: &Path) -> PathBuf {
        std::fs::canonicalize(path).unwrap_or_else(|_| normalize_path(path))
    }
}

/// Serves files from memory: for tests, fuzzing and editors.
#[derive(Debug, Default, Clone)]
pub struct MemoryLoader {
    files: BTreeMap<PathBuf, Vec<u8>>,
}

impl MemoryLoader {
    /// An empty loader.
    pub fn new() -> MemoryLoader {
        MemoryLoader::default()
    }

    /// Adds (or replaces) a file; the path is normalised first.
    pub fn add(&mut self, path: impl AsRef<Path>, contents: impl Into<Vec<u8>>) -> &mut Self {
        let _ = self
            .files
            .insert(normalize_path(path.as_ref()), contents.into());
        self
    }

    /// A loader holding one file.
    pub fn single(path: impl AsRef<Path>, contents: impl Into<Vec<u8>>) -> MemoryLoader {
        let mut loader = MemoryLoader::new();
        let _ = loader.add(path, contents);
        loader
    }
}

impl SourceLoader for MemoryLoader {
    fn read(&self, path: &Path) -> Result<Vec<u8>, String> {
        self.files
            .get(&normalize_path(path))
            .cloned()
            .ok_or_else(|| format!("cannot read `{}`: no such file", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_folds_dots() {
        assert_eq!(
            normalize_path(Path::new("a/./b/../c")),
            PathBuf::from("a/c")
        );
        assert_eq!(normalize_path(Path::new("../x")), PathBuf::from("../x"));
        assert_eq!(normalize_path(Path::new("/a/../../b")), PathBuf::from("/b"));
    }

    #[test]
    fn line_col_counts_characters() {
        let f = SourceFile::new("x".into(), "x".into(), "ab\n日本x".into());
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(3), (2, 1));
        assert_eq!(f.line_col(9), (2, 3));
    }
}
