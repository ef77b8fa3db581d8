//! The resolver: from parsed modules to a [`ResolvedProgram`].
//!
//! Resolution runs in two passes over all files together, so declaration order does not
//! matter (a box or function may be used before the statement that declares it):
//!
//! 1. [`collect`]: every box, interface, function, static function, method, constructor and
//!    `static { }` block, wherever it is declared, then the links between boxes (parents,
//!    lookup order, fields, method tables) and the R2/R3 declaration checks.
//! 2. [`body`]: every body, statement by statement. `local` declares a slot of the enclosing
//!    function (blocks do not make scopes, as upstream); a name is a local from its first
//!    declaration on, in source order. Any other name that is assigned anywhere is a
//!    global (R9). A read of a name that is neither a local, a global, a static box nor a
//!    `nyashstd` namespace is an error.
//!
//! The checks follow R2 (constructors), R3 (delegation and `override`), R8 (fields of `me`
//! and of static boxes), R9 (undefined names) and R17 (include cycles, in [`crate::load`]).

mod body;
mod collect;
pub mod program;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crate::ast::{Module, StmtKind};
use crate::diagnostics::DiagnosticSink;
use crate::source::{FileId, Span, SpanMap};
pub use program::*;

struct Resolver<'a> {
    program: ResolvedProgram,
    sink: &'a mut DiagnosticSink,
    interfaces: BTreeMap<String, Span>,
    namespaces: HashSet<String>,
    pending: Vec<collect::PendingBody<'a>>,
    box_sources: Vec<collect::BoxSource<'a>>,
    deferred: Vec<body::DeferredRead>,
    global_ids: HashMap<String, GlobalId>,
    top_level_locals: BTreeSet<String>,
}

impl Resolver<'_> {
    fn global_id(&mut self, name: &str) -> GlobalId {
        if let Some(&id) = self.global_ids.get(name) {
            return id;
        }
        let id = GlobalId(self.program.globals.len() as u32);
        self.program.globals.push(name.to_string());
        let _ = self.global_ids.insert(name.to_string(), id);
        id
    }
}

/// Resolves a whole program. `modules[i]` must be the module of `FileId(i)`; `includes`
/// maps the span of each `include` path literal to the file it loads; `prelude` is the
/// file of `crate::prelude`, if the program has it.
pub fn resolve(
    modules: &[Module],
    includes: SpanMap<FileId>,
    prelude: Option<FileId>,
    sink: &mut DiagnosticSink,
) -> ResolvedProgram {
    let mut r = Resolver {
        program: ResolvedProgram {
            includes,
            prelude,
            ..ResolvedProgram::default()
        },
        sink,
        interfaces: BTreeMap::new(),
        namespaces: HashSet::new(),
        pending: Vec::new(),
        box_sources: Vec::new(),
        deferred: Vec::new(),
        global_ids: HashMap::new(),
        top_level_locals: BTreeSet::new(),
    };
    for module in modules {
        r.ensure_top_level(module.file, &module.stmts);
        r.collect_stmts(&module.stmts);
        for s in &module.stmts {
            if let StmtKind::Local(decls) = &s.kind {
                for d in decls {
                    let _ = r.top_level_locals.insert(d.name.name.clone());
                }
            }
        }
    }
    r.link_boxes();
    let pending = std::mem::take(&mut r.pending);
    for p in &pending {
        r.resolve_body(p.function, p.stmts, p.owner);
    }
    r.settle_deferred();
    r.program
}
