//! Loading a program: the entry file, its includes (R17), parsing and resolution.
//!
//! [`load_program`] is the front end's main entry point for other crates. All reading goes
//! through a [`SourceLoader`], so the function itself does no IO.

use std::path::{Path, PathBuf};

use crate::ast::{ElseBranch, Member, Module, Stmt, StmtKind};
use crate::diagnostics::{Code, Diagnostic, DiagnosticSink};
use crate::parser::parse;
use crate::resolve::{resolve, ResolvedProgram};
use crate::source::{FileId, SourceFile, SourceLoader, SourceMap, Span, SpanMap};

/// Largest source file accepted (offsets are 32-bit).
pub const MAX_FILE_SIZE: usize = (u32::MAX / 2) as usize;

/// Everything the front end learned about a program.
#[derive(Debug)]
pub struct Checked {
    /// Every loaded file; `FileId(0)` is the entry file.
    pub sources: SourceMap,
    /// The parsed module of each file, indexed like `sources`.
    pub modules: Vec<Module>,
    /// Diagnostics sorted by file and position (at most
    /// [`crate::diagnostics::MAX_STORED`]; see `dropped`).
    pub diagnostics: Vec<Diagnostic>,
    /// Diagnostics reported but not stored.
    pub dropped: usize,
    /// Number of errors (stored or not).
    pub error_count: usize,
    /// Number of warnings (stored or not).
    pub warning_count: usize,
    /// The resolved program, present exactly when there are no errors.
    pub program: Option<ResolvedProgram>,
}

impl Checked {
    /// `true` when the program has no errors (warnings are allowed).
    pub fn is_ok(&self) -> bool {
        self.error_count == 0
    }
}

struct Loader<'l> {
    fs: &'l dyn SourceLoader,
    sources: SourceMap,
    modules: Vec<Option<Module>>,
    sink: DiagnosticSink,
    includes: SpanMap<FileId>,
    /// Files whose loading is in progress (for cycle detection).
    stack: Vec<FileId>,
}

/// Loads `entry` and everything it includes, parses and resolves it.
pub fn load_program(entry: &Path, fs: &dyn SourceLoader) -> Checked {
    let mut loader = Loader {
        fs,
        sources: SourceMap::new(),
        modules: Vec::new(),
        sink: DiagnosticSink::new(),
        includes: SpanMap::default(),
        stack: Vec::new(),
    };
    let _ = loader.load(entry, entry.display().to_string(), None);
    let prelude = loader.add_prelude();
    let modules: Vec<Module> = loader
        .modules
        .into_iter()
        .enumerate()
        .map(|(i, m)| {
            m.unwrap_or(Module {
                file: FileId(i as u32),
                stmts: Vec::new(),
            })
        })
        .collect();
    let mut sink = loader.sink;
    let mut program = None;
    if sink.error_count() == 0 {
        let resolved = resolve(&modules, loader.includes, prelude, &mut sink);
        if sink.error_count() == 0 {
            program = Some(resolved);
        }
    }
    sink.sort();
    Checked {
        sources: loader.sources,
        modules,
        error_count: sink.error_count(),
        warning_count: sink.warning_count(),
        dropped: sink.dropped(),
        diagnostics: sink.items().to_vec(),
        program,
    }
}

impl Loader<'_> {
    /// Adds the prelude (`crate::prelude`) when the loaded files need it; its file id.
    fn add_prelude(&mut self) -> Option<FileId> {
        let texts: Vec<&str> = (0..self.modules.len())
            .map(|i| self.sources.get(FileId(i as u32)).text.as_str())
            .collect();
        let http = crate::prelude::wanted(texts.iter().copied());
        let invoke = crate::prelude::wants_invoke(texts.iter().copied());
        if !http && !invoke {
            return None;
        }
        let loaded: Vec<&Module> = self.modules.iter().flatten().collect();
        let text = crate::prelude::source(&loaded, http, invoke);
        let name = crate::prelude::FILE_NAME;
        let id = self
            .sources
            .add(SourceFile::new(PathBuf::from(name), name.to_string(), text));
        let module = parse(&self.sources.get(id).text, id, &mut self.sink);
        self.modules.push(Some(module));
        Some(id)
    }

    /// Loads one file (once); `from` is the include statement's path span.
    fn load(&mut self, path: &Path, name: String, from: Option<Span>) -> Option<FileId> {
        let canonical = self.fs.canonical(path);
        if let Some(id) = self.sources.find(&canonical) {
            if let Some(pos) = self.stack.iter().position(|&f| f == id) {
                let chain: Vec<String> = self.stack[pos..]
                    .iter()
                    .map(|&f| self.sources.get(f).name.clone())
                    .chain(std::iter::once(self.sources.get(id).name.clone()))
                    .collect();
                if let Some(span) = from {
                    self.sink.push(
                        Diagnostic::new(
                            Code::IncludeCycle,
                            span,
                            format!(
                                "files include each other in a cycle: {}",
                                chain.join(" -> ")
                            ),
                        )
                        .label("this include closes the cycle")
                        .hint("move the shared declarations into a file that both include"),
                    );
                }
            }
            return Some(id);
        }
        let bytes = match self.fs.read(path) {
            Ok(bytes) => bytes,
            Err(message) => {
                let d = match from {
                    Some(span) => {
                        Diagnostic::new(Code::FileUnreadable, span, message).label("included here")
                    }
                    None => Diagnostic::without_span(Code::FileUnreadable, message),
                };
                self.sink.push(d);
                return None;
            }
        };
        if bytes.len() > MAX_FILE_SIZE {
            let message = format!(
                "`{name}` is {} bytes long; the largest source file accepted is {MAX_FILE_SIZE} bytes",
                bytes.len()
            );
            let d = match from {
                Some(span) => Diagnostic::new(Code::FileUnreadable, span, message),
                None => Diagnostic::without_span(Code::FileUnreadable, message),
            };
            self.sink.push(d);
            return None;
        }
        let (text, bad_utf8) = match String::from_utf8(bytes) {
            Ok(text) => (text, None),
            Err(e) => {
                let offset = e.utf8_error().valid_up_to();
                let bytes = e.into_bytes();
                let byte = bytes.get(offset).copied().unwrap_or(0);
                (
                    String::from_utf8_lossy(&bytes).into_owned(),
                    Some((offset, byte)),
                )
            }
        };
        let id = self
            .sources
            .add(SourceFile::new(canonical.clone(), name, text));
        self.modules.push(None);
        if let Some((offset, byte)) = bad_utf8 {
            let file = self.sources.get(id);
            let (line, col) = file.line_col(offset as u32);
            self.sink.push(
                Diagnostic::new(
                    Code::InvalidUtf8,
                    // The lossy text holds U+FFFD (3 bytes) where the invalid byte was.
                    Span::new(id, offset as u32, (offset + 3).min(file.text.len()) as u32),
                    format!(
                        "this file is not valid UTF-8: byte {offset} (line {line}, column {col}) is 0x{byte:02x}"
                    ),
                )
                .label("invalid byte")
                .hint("save the file as UTF-8"),
            );
            return Some(id);
        }
        let module = parse(&self.sources.get(id).text, id, &mut self.sink);
        let mut includes = Vec::new();
        collect_includes(&module.stmts, &mut includes);
        self.modules[id.0 as usize] = Some(module);
        self.stack.push(id);
        let dir = canonical
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let shown_dir = Path::new(&self.sources.get(id).name)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        for (path, span) in includes {
            let target: PathBuf = dir.join(&path);
            let shown = shown_dir.join(&path).display().to_string();
            let loaded = stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
                self.load(&target, shown, Some(span))
            });
            if let Some(file) = loaded {
                let _ = self.includes.insert(span, file);
            }
        }
        let _ = self.stack.pop();
        Some(id)
    }
}

/// Every `include` in `stmts`, nested blocks and box bodies included.
fn collect_includes(stmts: &[Stmt], out: &mut Vec<(String, Span)>) {
    for s in stmts {
        match &s.kind {
            StmtKind::Include { path, path_span } => out.push((path.clone(), *path_span)),
            StmtKind::If { then, else_, .. } => {
                collect_includes(&then.stmts, out);
                match else_ {
                    Some(ElseBranch::Block(b)) => collect_includes(&b.stmts, out),
                    Some(ElseBranch::If(nested)) => {
                        collect_includes(std::slice::from_ref(nested.as_ref()), out)
                    }
                    None => {}
                }
            }
            StmtKind::Loop { body, .. } => collect_includes(&body.stmts, out),
            StmtKind::Try {
                body,
                catches,
                finally,
            } => {
                collect_includes(&body.stmts, out);
                for c in catches {
                    collect_includes(&c.body.stmts, out);
                }
                if let Some(f) = finally {
                    collect_includes(&f.stmts, out);
                }
            }
            StmtKind::Function(f) | StmtKind::StaticFunction { func: f, .. } => {
                collect_includes(&f.body.stmts, out)
            }
            StmtKind::Box(b) => {
                for m in &b.members {
                    match m {
                        Member::Method { func, .. } | Member::Constructor { func, .. } => {
                            collect_includes(&func.body.stmts, out)
                        }
                        Member::StaticInit(block) => collect_includes(&block.stmts, out),
                        Member::Fields { .. } => {}
                    }
                }
            }
            _ => {}
        }
    }
}
