//! The compilation cache of the command line: compiled code that `nyash run`
//! and `nyash bundle` would otherwise make again with Cranelift every time.
//!
//! Two kinds of entry live under one directory
//! (`$XDG_CACHE_HOME/nyash`, else `~/.cache/nyash`; `%LOCALAPPDATA%\nyash`
//! on Windows), in a subdirectory per [`ARTIFACT_VERSION`]:
//!
//! * `functions/`: Cranelift's incremental compilation cache: compiled
//!   functions keyed by the hash Cranelift computes from each function's IR
//!   and the compiler's settings. The language runtime is the same in every
//!   Nyash program, so after the first run only the program's own functions
//!   are compiled. A command writes the functions it compiled as one pack
//!   file (hundreds of small files cost more to create than the compile
//!   they save); when more than [`MAX_PACKS`] have gathered, the next pack
//!   written holds all of them and replaces them.
//! * `modules/`: whole serialized modules for `nyash run`, keyed by the
//!   module's bytes and the engine's compatibility hash, so running an
//!   unchanged program compiles nothing.
//! * `sections/`: zstd-compressed bundle sections, keyed by their
//!   uncompressed bytes, and used only if they decompress to those bytes.
//!
//! **Invariant:** an entry is used only if it is exactly what this cache
//! wrote. Every file starts with a magic line and the SHA-256 of its key and
//! contents; a file that does not match is a miss (and is deleted), never
//! loaded. Files appear only by rename from a temporary file in the same
//! directory, so a concurrent reader sees a whole entry or none.
//!
//! **Invariant:** the cache never stops a command. A directory that cannot
//! be created or written (read-only, full disk) gives one warning line and
//! the command goes on without it. `NYASH_CACHE=off` turns it off.
//!
//! The directory is kept under [`max_bytes`] (`NYASH_CACHE_MAX_MB`, default
//! 256): after a command that wrote entries, the oldest files go first.
//! Commands call [`Cache::finish`] after compiling, which writes the pack
//! and evicts.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::SystemTime;

use nyash_runtime::engine::{Target, ARTIFACT_VERSION};
use sha2::{Digest, Sha256};
use wasmtime::{CacheStore, Config, Engine, Module};

/// The first bytes of every entry; a new layout gets a new number.
const MAGIC: &[u8] = b"nyash-cache 1\n";

/// Default bound on the cache directory, in MiB.
const DEFAULT_MAX_MB: u64 = 256;

/// How many function packs may gather before they are merged.
const MAX_PACKS: usize = 8;

/// The key under which packs are checksummed (each pack is one entry).
const PACK_KEY: &[u8] = b"functions";

/// The cache of this process, or none when it is turned off or has no home.
#[derive(Debug)]
pub struct Cache {
    /// `<root>/<ARTIFACT_VERSION>`.
    dir: PathBuf,
    /// The directory that [`max_bytes`] bounds.
    root: PathBuf,
    /// Set after the first failed write: warned once, nothing more written.
    broken: AtomicBool,
    /// Bytes written by this process, to decide whether to evict.
    written: AtomicU64,
    /// The function packs on disk, read at the first lookup.
    packs: OnceLock<Packs>,
    /// Functions compiled by this process, written by [`Cache::finish`].
    compiled: Mutex<Vec<(Vec<u8>, Vec<u8>)>>,
}

/// The intact function packs found on disk.
#[derive(Debug, Default)]
struct Packs {
    /// Each pack's path and contents.
    files: Vec<(PathBuf, Vec<u8>)>,
    /// Key to (pack, range of the value in its contents).
    index: HashMap<Vec<u8>, (usize, Range<usize>)>,
}

impl Cache {
    /// The cache named by the environment, or `None` when `NYASH_CACHE=off`
    /// or no cache directory can be named.
    pub fn from_env() -> Option<Arc<Cache>> {
        if std::env::var_os("NYASH_CACHE").is_some_and(|v| v == "off") {
            return None;
        }
        let root = root_dir()?;
        Some(Arc::new(Cache {
            dir: root.join(ARTIFACT_VERSION),
            root,
            broken: AtomicBool::new(false),
            written: AtomicU64::new(0),
            packs: OnceLock::new(),
            compiled: Mutex::new(Vec::new()),
        }))
    }

    /// Adds Cranelift's incremental compilation cache to `config`.
    pub fn attach(self: &Arc<Self>, config: &mut Config) {
        let store: Arc<dyn CacheStore> = Arc::new(FunctionStore(self.clone()));
        // Fails only when the compiler does not support it; then compile without.
        let _ = config.enable_incremental_compilation(store);
    }

    /// The module `wasm` compiled for `engine`: from the cache when an
    /// entry written for the same bytes and engine settings is there, else
    /// compiled (by `compile`) and stored.
    pub fn module(
        &self,
        engine: &Engine,
        wasm: &[u8],
        compile: impl FnOnce() -> wasmtime::Result<Module>,
    ) -> wasmtime::Result<Module> {
        let key = module_key(engine, wasm);
        if let Some(bytes) = self.read("modules", &key) {
            // SAFETY: `read` returns only bytes this cache wrote (magic line
            // and SHA-256 checked), and it writes only what
            // `Module::serialize` produced. wasmtime checks the version and
            // engine settings recorded in them before loading.
            if let Ok(module) = unsafe { Module::deserialize(engine, &bytes) } {
                return Ok(module);
            }
        }
        let module = compile()?;
        if let Ok(bytes) = module.serialize() {
            self.write("modules", hex(&key).as_bytes(), &key, &bytes);
        }
        Ok(module)
    }

    /// `raw` compressed with zstd at `level`: from the cache when an entry
    /// for the same bytes and level is there and decompresses to `raw`,
    /// else made by `compress` and stored. (Level 19 takes most of a
    /// bundle's time once the code is cached.)
    pub fn compressed<E>(
        &self,
        raw: &[u8],
        level: i32,
        compress: impl FnOnce() -> Result<Vec<u8>, E>,
    ) -> Result<Vec<u8>, E> {
        let mut hasher = Sha256::new();
        hasher.update(b"zstd");
        hasher.update(level.to_le_bytes());
        hasher.update(raw);
        let key = hasher.finalize().to_vec();
        if let Some(stored) = self.read("sections", &key) {
            // Checked against the input, so a bundle never carries a section
            // that is not `raw`.
            if zstd::bulk::decompress(&stored, raw.len()).is_ok_and(|back| back == raw) {
                return Ok(stored);
            }
        }
        let stored = compress()?;
        self.write("sections", hex(&key).as_bytes(), &key, &stored);
        Ok(stored)
    }

    /// Writes the functions compiled so far as a pack, then keeps the
    /// directory under its bound. Call after compiling.
    pub fn finish(&self) {
        let compiled =
            std::mem::take(&mut *self.compiled.lock().unwrap_or_else(|e| e.into_inner()));
        if !compiled.is_empty() {
            self.write_pack(compiled);
        }
        self.evict();
    }

    /// Writes `compiled` as a new pack, merged with the packs on disk when
    /// there are more than [`MAX_PACKS`] of them (which are then removed).
    fn write_pack(&self, compiled: Vec<(Vec<u8>, Vec<u8>)>) {
        let packs = self.packs();
        let merge = packs.files.len() >= MAX_PACKS;
        let mut body = Vec::new();
        let mut add = |key: &[u8], value: &[u8]| {
            body.extend_from_slice(&(key.len() as u32).to_le_bytes());
            body.extend_from_slice(key);
            body.extend_from_slice(&(value.len() as u32).to_le_bytes());
            body.extend_from_slice(value);
        };
        if merge {
            for (key, (file, range)) in &packs.index {
                add(key, &packs.files[*file].1[range.clone()]);
            }
        }
        for (key, value) in &compiled {
            add(key, value);
        }
        let name = hex(&Sha256::digest(&body)[..16]);
        if self.write("functions", name.as_bytes(), PACK_KEY, &body) && merge {
            for (path, _) in &packs.files {
                if path.file_name().is_some_and(|n| n != name.as_str()) {
                    let _ = fs::remove_file(path);
                }
            }
        }
    }

    /// The function packs on disk, read once; damaged ones are deleted.
    fn packs(&self) -> &Packs {
        self.packs.get_or_init(|| {
            let mut packs = Packs::default();
            let dir = self.dir.join("functions");
            let Ok(entries) = fs::read_dir(&dir) else {
                return packs;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if entry.file_name().to_string_lossy().starts_with('.') {
                    continue;
                }
                let Ok(file) = fs::read(&path) else {
                    continue;
                };
                let Some(body) = unwrap_entry(PACK_KEY, &file) else {
                    let _ = fs::remove_file(&path);
                    continue;
                };
                let Some(records) = pack_records(&file, body) else {
                    let _ = fs::remove_file(&path);
                    continue;
                };
                let n = packs.files.len();
                for (key, value) in records {
                    packs.index.insert(file[key].to_vec(), (n, value));
                }
                packs.files.push((path, file));
            }
            packs
        })
    }

    /// Removes the oldest files until the directory is under [`max_bytes`],
    /// if this process wrote anything. Errors are ignored: another process
    /// may be evicting at the same time.
    fn evict(&self) {
        if self.written.load(Ordering::Relaxed) == 0 {
            return;
        }
        let mut files = Vec::new();
        collect_files(&self.root, 0, &mut files);
        let mut total: u64 = files.iter().map(|(_, len, _)| len).sum();
        let limit = max_bytes();
        if total <= limit {
            return;
        }
        files.sort_by_key(|(_, _, modified)| *modified);
        for (path, len, _) in files {
            if total <= limit / 10 * 9 {
                break;
            }
            if fs::remove_file(&path).is_ok() {
                total -= len;
            }
        }
    }

    /// The contents of the entry `key`, if it is intact.
    fn read(&self, kind: &str, key: &[u8]) -> Option<Vec<u8>> {
        let path = self.dir.join(kind).join(hex(key));
        let file = fs::read(&path).ok()?;
        match unwrap_entry(key, &file) {
            Some(range) => Some(file[range].to_vec()),
            None => {
                // Damaged, truncated or foreign: rebuilt by the next write.
                let _ = fs::remove_file(&path);
                None
            }
        }
    }

    /// Stores `value` as the entry `key` (file `name` in `kind`); false if
    /// it could not be written.
    fn write(&self, kind: &str, name: &[u8], key: &[u8], value: &[u8]) -> bool {
        if self.broken.load(Ordering::Relaxed) {
            return false;
        }
        let path = self
            .dir
            .join(kind)
            .join(String::from_utf8_lossy(name).as_ref());
        match write_entry(&path, key, value) {
            Ok(len) => {
                self.written.fetch_add(len, Ordering::Relaxed);
                true
            }
            Err(e) => {
                if !self.broken.swap(true, Ordering::Relaxed) {
                    eprintln!(
                        "warning: cannot write the compilation cache in {} ({e}); going on without it",
                        self.root.display()
                    );
                }
                false
            }
        }
    }
}

/// The cache of this process ([`Cache::from_env`], looked up once).
pub fn global() -> Option<&'static Arc<Cache>> {
    static CACHE: OnceLock<Option<Arc<Cache>>> = OnceLock::new();
    CACHE.get_or_init(Cache::from_env).as_ref()
}

/// An engine for `target` with the shared settings and, unless it is off,
/// the compilation cache (which changes nothing an artifact records).
pub fn engine(target: Target<'_>) -> wasmtime::Result<Engine> {
    let mut config = nyash_runtime::engine::config(target)?;
    if let Some(cache) = global() {
        cache.attach(&mut config);
    }
    Engine::new(&config)
}

/// Cranelift's view of the cache: one entry per compiled function.
#[derive(Debug)]
struct FunctionStore(Arc<Cache>);

impl CacheStore for FunctionStore {
    fn get(&self, key: &[u8]) -> Option<Cow<'_, [u8]>> {
        let packs = self.0.packs();
        let (file, range) = packs.index.get(key)?;
        Some(Cow::Borrowed(&packs.files[*file].1[range.clone()]))
    }

    fn insert(&self, key: &[u8], value: Vec<u8>) -> bool {
        if self.0.broken.load(Ordering::Relaxed) {
            return false;
        }
        let mut compiled = self.0.compiled.lock().unwrap_or_else(|e| e.into_inner());
        compiled.push((key.to_vec(), value));
        true
    }
}

/// The (key, value) ranges of the records in `file[body]`: each a `u32`
/// little-endian length and a key, then a length and a value. `None` if
/// they do not fill the body exactly.
fn pack_records(file: &[u8], body: Range<usize>) -> Option<Vec<(Range<usize>, Range<usize>)>> {
    let mut records = Vec::new();
    let mut at = body.start;
    let field = |at: &mut usize| -> Option<Range<usize>> {
        let len_end = at.checked_add(4).filter(|&e| e <= body.end)?;
        let len = u32::from_le_bytes(file[*at..len_end].try_into().ok()?) as usize;
        let end = len_end.checked_add(len).filter(|&e| e <= body.end)?;
        *at = end;
        Some(len_end..end)
    };
    while at < body.end {
        let key = field(&mut at)?;
        let value = field(&mut at)?;
        records.push((key, value));
    }
    Some(records)
}

/// `$XDG_CACHE_HOME/nyash`, else `~/.cache/nyash` (`%LOCALAPPDATA%\nyash`
/// on Windows). Relative or empty variables are ignored, as the XDG
/// specification says.
fn root_dir() -> Option<PathBuf> {
    let absolute = |name: &str| {
        std::env::var_os(name)
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
    };
    if let Some(xdg) = absolute("XDG_CACHE_HOME") {
        return Some(xdg.join("nyash"));
    }
    if cfg!(windows) {
        return absolute("LOCALAPPDATA").map(|p| p.join("nyash"));
    }
    absolute("HOME").map(|home| home.join(".cache").join("nyash"))
}

/// The bound on the cache directory: `NYASH_CACHE_MAX_MB` MiB, default 256.
pub fn max_bytes() -> u64 {
    std::env::var("NYASH_CACHE_MAX_MB")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(DEFAULT_MAX_MB)
        .saturating_mul(1 << 20)
}

/// The key of a serialized module: its bytes and everything about the
/// engine that an artifact must agree with.
fn module_key(engine: &Engine, wasm: &[u8]) -> Vec<u8> {
    use std::hash::{Hash, Hasher};
    let mut settings = std::hash::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut settings);
    let mut hasher = Sha256::new();
    hasher.update(ARTIFACT_VERSION.as_bytes());
    hasher.update(settings.finish().to_le_bytes());
    hasher.update(wasm);
    hasher.finalize().to_vec()
}

/// The SHA-256 that guards an entry: over its key and its contents.
fn entry_hash(key: &[u8], value: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update((key.len() as u64).to_le_bytes());
    hasher.update(key);
    hasher.update(value);
    hasher.finalize().into()
}

/// Where the contents of an entry file lie, if the file is intact and was
/// written for `key`.
fn unwrap_entry(key: &[u8], file: &[u8]) -> Option<Range<usize>> {
    let start = MAGIC.len() + 32;
    if file.len() < start || &file[..MAGIC.len()] != MAGIC {
        return None;
    }
    (file[MAGIC.len()..start] == entry_hash(key, &file[start..])).then_some(start..file.len())
}

/// Writes an entry through a temporary file and a rename; returns its size.
fn write_entry(path: &Path, key: &[u8], value: &[u8]) -> std::io::Result<u64> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = path.parent().expect("entries live in a directory");
    fs::create_dir_all(dir)?;
    let temp = dir.join(format!(
        ".tmp-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let written = (|| {
        let mut file = fs::File::create(&temp)?;
        file.write_all(MAGIC)?;
        file.write_all(&entry_hash(key, value))?;
        file.write_all(value)?;
        drop(file);
        fs::rename(&temp, path)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&temp);
    }
    written.map(|()| (MAGIC.len() + 32 + value.len()) as u64)
}

/// Every file under `dir` (two levels: version, kind), with size and time.
fn collect_files(dir: &Path, depth: usize, out: &mut Vec<(PathBuf, u64, SystemTime)>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(meta) = entry.metadata() else {
            continue;
        };
        if meta.is_dir() && depth < 2 {
            collect_files(&entry.path(), depth + 1, out);
        } else if meta.is_file() {
            let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            out.push((entry.path(), meta.len(), modified));
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_read_back_only_for_its_key_and_intact() {
        let dir = std::env::temp_dir().join(format!("nyash-cache-unit-{}", std::process::id()));
        let path = dir.join("entry");
        write_entry(&path, b"key", b"value").unwrap();
        let file = fs::read(&path).unwrap();
        assert_eq!(&file[unwrap_entry(b"key", &file).unwrap()], b"value");
        assert!(unwrap_entry(b"other key", &file).is_none());
        for i in 0..file.len() {
            let mut flipped = file.clone();
            flipped[i] ^= 1;
            assert!(unwrap_entry(b"key", &flipped).is_none(), "byte {i}");
        }
        assert!(unwrap_entry(b"key", &file[..file.len() - 1]).is_none());
        assert!(unwrap_entry(b"key", &[]).is_none());
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn pack_records_must_fill_the_body_exactly() {
        let mut body = Vec::new();
        for field in [&b"k1"[..], b"value 1", b"k2", b""] {
            body.extend_from_slice(&(field.len() as u32).to_le_bytes());
            body.extend_from_slice(field);
        }
        let records = pack_records(&body, 0..body.len()).unwrap();
        let text: Vec<(&[u8], &[u8])> = records
            .iter()
            .map(|(k, v)| (&body[k.clone()], &body[v.clone()]))
            .collect();
        assert_eq!(text, [(&b"k1"[..], &b"value 1"[..]), (b"k2", b"")]);
        for cut in 1..body.len() {
            assert!(
                pack_records(&body, 0..cut).is_none() || cut == 17,
                "cut at {cut}"
            );
        }
        let mut huge = body.clone();
        huge[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(pack_records(&huge, 0..huge.len()).is_none());
    }
}
