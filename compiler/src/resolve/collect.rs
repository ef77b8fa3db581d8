//! Pass 1: declarations. Registers every box, function and method of every file (including
//! declarations nested in blocks), then links boxes to their parents.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::program::{
    BoxId, BoxInfo, BoxRef, FieldInfo, FunctionId, FunctionInfo, FunctionKind, LocalInfo,
    LocalKind, Visibility,
};
use super::Resolver;
use crate::ast::{
    Block, BoxDecl, ElseBranch, FieldSection, FunctionDecl, Ident, Member, Stmt, StmtKind,
};
use crate::builtins::BuiltinBox;
use crate::diagnostics::{suggest, Code, Diagnostic};

/// A body waiting for pass 2.
pub(super) struct PendingBody<'a> {
    pub function: FunctionId,
    pub stmts: &'a [Stmt],
    pub owner: Option<BoxId>,
}

/// Per-box data that only pass 1 needs.
pub(super) struct BoxSource<'a> {
    pub decl: &'a BoxDecl,
    pub own_methods: Vec<(&'a Ident, bool, FunctionId)>,
}

impl<'a> Resolver<'a> {
    pub(super) fn new_function(
        &mut self,
        name: &str,
        kind: FunctionKind,
        span: crate::source::Span,
        params: &[Ident],
        has_me: bool,
    ) -> FunctionId {
        let mut locals: Vec<LocalInfo> = Vec::new();
        for p in params {
            if let Some(first) = locals.iter().find(|l| l.name == p.name) {
                let first_span = first.span;
                self.sink.push(
                    Diagnostic::new(
                        Code::DuplicateParam,
                        p.span,
                        format!("the parameter `{}` is declared twice", p.name),
                    )
                    .label("second declaration")
                    .with_secondary(first_span, "first declared here"),
                );
            }
            locals.push(LocalInfo {
                name: p.name.clone(),
                span: p.span,
                kind: LocalKind::Param,
            });
        }
        self.program.add_function(FunctionInfo {
            name: name.to_string(),
            kind,
            span,
            params: params.iter().map(|p| p.name.clone()).collect(),
            locals,
            has_me,
        })
    }

    /// Registers the declarations in `stmts` and in every block nested in them.
    pub(super) fn collect_stmts(&mut self, stmts: &'a [Stmt]) {
        for stmt in stmts {
            self.collect_stmt(stmt);
        }
    }

    fn collect_block(&mut self, block: &'a Block) {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || self.collect_stmts(&block.stmts));
    }

    fn collect_stmt(&mut self, stmt: &'a Stmt) {
        match &stmt.kind {
            StmtKind::Box(decl) => self.collect_box(decl),
            StmtKind::Interface(i) => {
                let _ = self
                    .interfaces
                    .entry(i.name.name.clone())
                    .or_insert(i.name.span);
            }
            StmtKind::Function(f) => {
                let id =
                    self.new_function(&f.name.name, FunctionKind::Global, f.span, &f.params, false);
                self.declare_global_function(f, id, None);
            }
            StmtKind::StaticFunction { namespace, func } => {
                let id = match namespace {
                    Some(ns) => {
                        let id = self.new_function(
                            &func.name.name,
                            FunctionKind::Static {
                                namespace: ns.name.clone(),
                            },
                            func.span,
                            &func.params,
                            false,
                        );
                        let key = (ns.name.clone(), func.name.name.clone());
                        if let Some(&prev) = self.program.static_functions.get(&key) {
                            let prev_span = self.program.function(prev).span;
                            self.sink.push(
                                Diagnostic::new(
                                    Code::DuplicateFunction,
                                    func.name.span,
                                    format!(
                                        "the static function `{}.{}` is declared twice",
                                        ns.name, func.name.name
                                    ),
                                )
                                .label("second declaration")
                                .with_secondary(prev_span, "first declared here"),
                            );
                        } else {
                            let _ = self.program.static_functions.insert(key, id);
                        }
                        self.namespaces.insert(ns.name.clone());
                        id
                    }
                    None => {
                        self.sink.push(
                            Diagnostic::new(
                                Code::StaticFunctionWithoutBox,
                                func.name.span,
                                "a `static function` without a box name is an ordinary function",
                            )
                            .label("no `Box.` before the name")
                            .hint(format!(
                                "write `static function Box.{}(…)`, or drop `static`",
                                func.name.name
                            )),
                        );
                        let id = self.new_function(
                            &func.name.name,
                            FunctionKind::Global,
                            func.span,
                            &func.params,
                            false,
                        );
                        self.declare_global_function(func, id, None);
                        id
                    }
                };
                self.pending.push(PendingBody {
                    function: id,
                    stmts: &func.body.stmts,
                    owner: None,
                });
                self.collect_block(&func.body);
                return;
            }
            StmtKind::If { then, else_, .. } => {
                self.collect_block(then);
                let mut next = else_.as_ref();
                while let Some(e) = next {
                    match e {
                        ElseBranch::Block(b) => {
                            self.collect_block(b);
                            next = None;
                        }
                        ElseBranch::If(s) => {
                            if let StmtKind::If { then, else_, .. } = &s.kind {
                                self.collect_block(then);
                                next = else_.as_ref();
                            } else {
                                next = None;
                            }
                        }
                    }
                }
            }
            StmtKind::Loop { body, .. } => self.collect_block(body),
            StmtKind::Try {
                body,
                catches,
                finally,
            } => {
                self.collect_block(body);
                for c in catches {
                    self.collect_block(&c.body);
                }
                if let Some(f) = finally {
                    self.collect_block(f);
                }
            }
            StmtKind::Using(_) => self.program.uses_nyashstd = true,
            _ => {}
        }
        if let StmtKind::Function(f) = &stmt.kind {
            if let Some(id) = self.program.function_at(f.span) {
                self.pending.push(PendingBody {
                    function: id,
                    stmts: &f.body.stmts,
                    owner: None,
                });
            }
            self.collect_block(&f.body);
        }
    }

    fn declare_global_function(&mut self, f: &FunctionDecl, id: FunctionId, _owner: Option<BoxId>) {
        if let Some(&prev) = self.program.global_functions.get(&f.name.name) {
            let prev_span = self.program.function(prev).span;
            self.sink.push(
                Diagnostic::new(
                    Code::DuplicateFunction,
                    f.name.span,
                    format!("the function `{}` is declared twice", f.name.name),
                )
                .label("second declaration")
                .with_secondary(prev_span, "first declared here"),
            );
        } else {
            let _ = self
                .program
                .global_functions
                .insert(f.name.name.clone(), id);
        }
    }

    fn collect_box(&mut self, decl: &'a BoxDecl) {
        let name = &decl.name.name;
        if let Some(&prev) = self.program.box_names.get(name) {
            let prev_span = self.program.box_info(prev).name_span;
            self.sink.push(
                Diagnostic::new(
                    Code::DuplicateBox,
                    decl.name.span,
                    format!("the box `{name}` is declared twice"),
                )
                .label("second declaration")
                .with_secondary(prev_span, "first declared here"),
            );
        }
        let from_prelude = Some(decl.name.span.file) == self.program.prelude;
        let provided = crate::prelude::PROVIDED.contains(&name.as_str());
        if BuiltinBox::by_name(name).is_some() && !(from_prelude && provided) {
            self.sink.push(
                Diagnostic::new(
                    Code::ShadowsBuiltin,
                    decl.name.span,
                    format!("`{name}` is the name of a builtin box, which always wins"),
                )
                .label("this box can never be created")
                .hint("choose another name"),
            );
        }
        let id = self.program.add_box(BoxInfo {
            name: name.clone(),
            name_span: decl.name.span,
            span: decl.span,
            is_static: decl.is_static,
            type_params: decl.type_params.iter().map(|t| t.name.clone()).collect(),
            parents: Vec::new(),
            lookup_order: Vec::new(),
            fields: Vec::new(),
            methods: BTreeMap::new(),
            method_table: BTreeMap::new(),
            constructor: None,
            static_init: None,
            has_visibility_blocks: false,
            builtin_ancestor: None,
        });
        // A program's own box named like a prelude box is never created (the builtin
        // wins) and must not take the prelude's place.
        if from_prelude || !provided {
            let _ = self.program.box_names.entry(name.clone()).or_insert(id);
        }
        let mut fields: Vec<FieldInfo> = Vec::new();
        let mut own_methods = Vec::new();
        let mut has_visibility = false;
        for member in &decl.members {
            match member {
                Member::Fields {
                    section,
                    fields: list,
                    ..
                } => {
                    if matches!(section, FieldSection::Public | FieldSection::Private) {
                        has_visibility = true;
                    }
                    for f in list {
                        if let Some(prev) = fields.iter().find(|p| p.name == f.name.name) {
                            let prev_span = prev.span;
                            self.sink.push(
                                Diagnostic::new(
                                    Code::DuplicateField,
                                    f.name.span,
                                    format!(
                                        "the field `{}` is declared twice in box `{name}`",
                                        f.name.name
                                    ),
                                )
                                .label("second declaration")
                                .with_secondary(prev_span, "first declared here"),
                            );
                            continue;
                        }
                        fields.push(FieldInfo {
                            name: f.name.name.clone(),
                            weak: f.weak,
                            visibility: if *section == FieldSection::Private {
                                Visibility::Private
                            } else {
                                Visibility::Public
                            },
                            declared_in: id,
                            span: f.name.span,
                        });
                    }
                }
                Member::Method { is_override, func } => {
                    let fid = self.new_function(
                        &func.name.name,
                        FunctionKind::Method {
                            owner: id,
                            is_override: *is_override,
                        },
                        func.span,
                        &func.params,
                        true,
                    );
                    let methods = &mut self.program.boxes[id.0 as usize].methods;
                    if let Some(&prev) = methods.get(&func.name.name) {
                        let prev_span = self.program.function(prev).span;
                        self.sink.push(
                            Diagnostic::new(
                                Code::DuplicateMethod,
                                func.name.span,
                                format!(
                                    "the method `{}` is declared twice in box `{name}`",
                                    func.name.name
                                ),
                            )
                            .label("second declaration")
                            .with_secondary(prev_span, "first declared here")
                            .hint("Nyash has no overloading; give the methods different names"),
                        );
                    } else {
                        let _ = methods.insert(func.name.name.clone(), fid);
                        own_methods.push((&func.name, *is_override, fid));
                    }
                    if name == "Main" && decl.is_static && func.name.name == "main" {
                        if func.params.len() > 1 {
                            self.sink.push(
                                Diagnostic::new(
                                    Code::MainParams,
                                    func.name.span,
                                    format!(
                                        "`main` takes no parameter or one, not {}",
                                        func.params.len()
                                    ),
                                )
                                .label("too many parameters")
                                .hint("write `main()` or `main(args)`; `args` is an ArrayBox of the command-line arguments"),
                            );
                        }
                        self.program.main = Some(fid);
                    }
                    self.pending.push(PendingBody {
                        function: fid,
                        stmts: &func.body.stmts,
                        owner: Some(id),
                    });
                    self.collect_block(&func.body);
                }
                Member::Constructor { form, func } => {
                    let fid = self.new_function(
                        &func.name.name,
                        FunctionKind::Constructor {
                            owner: id,
                            form: *form,
                        },
                        func.span,
                        &func.params,
                        true,
                    );
                    let slot = &mut self.program.boxes[id.0 as usize].constructor;
                    if let Some(prev) = *slot {
                        let prev_span = self.program.function(prev).span;
                        let prev_name = self.program.function(prev).name.clone();
                        self.sink.push(
                            Diagnostic::new(
                                Code::DuplicateConstructor,
                                func.name.span,
                                format!("box `{name}` has more than one constructor"),
                            )
                            .label("second constructor")
                            .with_secondary(prev_span, format!("first constructor `{prev_name}`"))
                            .hint("a box has exactly one constructor; Nyash has no overloading"),
                        );
                    } else {
                        *slot = Some(fid);
                    }
                    self.pending.push(PendingBody {
                        function: fid,
                        stmts: &func.body.stmts,
                        owner: Some(id),
                    });
                    self.collect_block(&func.body);
                }
                Member::StaticInit(block) => {
                    let fid = self.new_function(
                        "static",
                        FunctionKind::StaticInit { owner: id },
                        block.span,
                        &[],
                        true,
                    );
                    let _ = self.program.boxes[id.0 as usize]
                        .static_init
                        .get_or_insert(fid);
                    self.pending.push(PendingBody {
                        function: fid,
                        stmts: &block.stmts,
                        owner: Some(id),
                    });
                    self.collect_block(block);
                }
            }
        }
        let info = &mut self.program.boxes[id.0 as usize];
        info.fields = fields;
        info.has_visibility_blocks = has_visibility;
        self.box_sources.push(BoxSource { decl, own_methods });
    }

    /// Links every box to its parents, computes lookup orders, field lists and method tables,
    /// and checks `override`.
    pub(super) fn link_boxes(&mut self) {
        let count = self.program.boxes.len();
        // Direct parents.
        for i in 0..count {
            let decl = self.box_sources[i].decl;
            let mut parents = Vec::new();
            for p in &decl.parents {
                if p.name == decl.name.name {
                    self.sink.push(
                        Diagnostic::new(
                            Code::InvalidParent,
                            p.span,
                            format!("box `{}` cannot delegate to itself", p.name),
                        )
                        .label("delegates to itself"),
                    );
                } else if let Some(b) = BuiltinBox::by_name(&p.name)
                    .filter(|_| !crate::prelude::PROVIDED.contains(&p.name.as_str()))
                {
                    parents.push(BoxRef::Builtin(b));
                } else if let Some(&b) = self.program.box_names.get(&p.name) {
                    if self.program.box_info(b).is_static {
                        self.sink.push(
                            Diagnostic::new(
                                Code::InvalidParent,
                                p.span,
                                format!("box `{}` is static and cannot be a parent", p.name),
                            )
                            .label("static box"),
                        );
                    } else {
                        parents.push(BoxRef::User(b));
                    }
                } else if self.interfaces.contains_key(&p.name) {
                    // Interfaces may be named as parents; nothing is enforced (Part 2 §4).
                } else {
                    let hint = self.box_suggestion(&p.name);
                    self.sink.push(
                        Diagnostic::new(
                            Code::UnknownBox,
                            p.span,
                            format!("there is no box called `{}`", p.name),
                        )
                        .label("unknown parent")
                        .maybe_hint(hint),
                    );
                }
            }
            self.program.boxes[i].parents = parents;
        }
        self.break_cycles();
        let mut orders: HashMap<BoxId, Vec<BoxRef>> = HashMap::new();
        for i in 0..count {
            let id = BoxId(i as u32);
            let order = self.lookup_order(id, &mut orders);
            let _ = order;
        }
        for i in 0..count {
            let id = BoxId(i as u32);
            let order = orders.get(&id).cloned().unwrap_or_default();
            let mut fields = self.program.boxes[i].fields.clone();
            let mut table = BTreeMap::new();
            let mut builtin = None;
            for r in &order {
                match *r {
                    BoxRef::User(b) => {
                        let other = &self.program.boxes[b.0 as usize];
                        if b != id {
                            for f in &other.fields {
                                if f.declared_in == b && !fields.iter().any(|x| x.name == f.name) {
                                    fields.push(f.clone());
                                }
                            }
                        }
                        for (m, &fid) in &other.methods {
                            let _ = table.entry(m.clone()).or_insert(fid);
                        }
                    }
                    BoxRef::Builtin(b) => {
                        let _ = builtin.get_or_insert(b);
                    }
                }
            }
            let info = &mut self.program.boxes[i];
            info.lookup_order = order;
            info.fields = fields;
            info.method_table = table;
            info.builtin_ancestor = builtin;
        }
        // Fields were copied in box order; ancestors declared later may have been copied
        // before their own inherited fields were complete, but only own fields are copied, so
        // the result is the full, de-duplicated list.
        self.check_overrides();
    }

    fn break_cycles(&mut self) {
        let count = self.program.boxes.len();
        // 0 = unvisited, 1 = on stack, 2 = done.
        let mut state = vec![0u8; count];
        for start in 0..count {
            if state[start] != 0 {
                continue;
            }
            // Iterative DFS: (box, next parent index).
            let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
            state[start] = 1;
            while let Some(&mut (b, ref mut next)) = stack.last_mut() {
                let parents = &self.program.boxes[b].parents;
                if *next >= parents.len() {
                    state[b] = 2;
                    let _ = stack.pop();
                    continue;
                }
                let idx = *next;
                *next += 1;
                let BoxRef::User(p) = parents[idx] else {
                    continue;
                };
                let p = p.0 as usize;
                match state[p] {
                    0 => {
                        state[p] = 1;
                        stack.push((p, 0));
                    }
                    1 => {
                        let path: Vec<String> = stack
                            .iter()
                            .skip_while(|(x, _)| *x != p)
                            .map(|(x, _)| self.program.boxes[*x].name.clone())
                            .chain(std::iter::once(self.program.boxes[p].name.clone()))
                            .collect();
                        let decl = self.box_sources[b].decl;
                        let span = decl
                            .parents
                            .iter()
                            .find(|i| i.name == self.program.boxes[p].name)
                            .map_or(decl.name.span, |i| i.span);
                        self.sink.push(
                            Diagnostic::new(
                                Code::DelegationCycle,
                                span,
                                format!(
                                    "boxes delegate to each other in a cycle: {}",
                                    path.join(" -> ")
                                ),
                            )
                            .label("this closes the cycle"),
                        );
                        let _ = self.program.boxes[b].parents.remove(idx);
                        if let Some(top) = stack.last_mut() {
                            top.1 -= 1;
                        }
                    }
                    _ => {}
                }
            }
        }
    }

    /// R3: the box, then its parents left to right, depth first, each box once.
    fn lookup_order(&self, id: BoxId, memo: &mut HashMap<BoxId, Vec<BoxRef>>) -> Vec<BoxRef> {
        if let Some(order) = memo.get(&id) {
            return order.clone();
        }
        let mut order = vec![BoxRef::User(id)];
        let mut seen: HashSet<BoxRef> = HashSet::from([BoxRef::User(id)]);
        for &p in &self.program.boxes[id.0 as usize].parents {
            let sub = match p {
                BoxRef::User(b) => {
                    stacker::maybe_grow(64 * 1024, 1024 * 1024, || self.lookup_order(b, memo))
                }
                BoxRef::Builtin(_) => vec![p],
            };
            for r in sub {
                if seen.insert(r) {
                    order.push(r);
                }
            }
        }
        let _ = memo.insert(id, order.clone());
        order
    }

    fn check_overrides(&mut self) {
        for i in 0..self.program.boxes.len() {
            let info = &self.program.boxes[i];
            let ancestors: Vec<BoxId> = info
                .lookup_order
                .iter()
                .skip(1)
                .filter_map(|r| match r {
                    BoxRef::User(b) => Some(*b),
                    BoxRef::Builtin(_) => None,
                })
                .collect();
            let has_builtin = info.builtin_ancestor.is_some();
            let box_name = info.name.clone();
            let methods: Vec<(Ident, bool)> = self.box_sources[i]
                .own_methods
                .iter()
                .map(|(n, o, _)| ((*n).clone(), *o))
                .collect();
            for (name, is_override) in methods {
                let parent_impl = ancestors.iter().find(|b| {
                    self.program.boxes[b.0 as usize]
                        .methods
                        .contains_key(&name.name)
                });
                match (is_override, parent_impl) {
                    (true, None) if !has_builtin => {
                        self.sink.push(
                            Diagnostic::new(
                                Code::NothingToOverride,
                                name.span,
                                format!(
                                    "`{}` is marked `override`, but no parent of `{box_name}` has a method `{}`",
                                    name.name, name.name
                                ),
                            )
                            .label("overrides nothing")
                            .hint("remove `override`, or check the method's name"),
                        );
                    }
                    (false, Some(&parent)) => {
                        let parent_name = self.program.boxes[parent.0 as usize].name.clone();
                        self.sink.push(
                            Diagnostic::new(
                                Code::MissingOverride,
                                name.span,
                                format!(
                                    "`{}` replaces the method of `{parent_name}` but is not marked `override`",
                                    name.name
                                ),
                            )
                            .label("replaces a parent's method")
                            .hint(format!("write `override {}(…)`", name.name)),
                        );
                    }
                    _ => {}
                }
            }
        }
    }

    /// "did you mean `X`?" for box names (user and builtin).
    pub(super) fn box_suggestion(&self, name: &str) -> Option<String> {
        let candidates = self
            .program
            .box_names
            .keys()
            .map(String::as_str)
            .chain(crate::builtins::BUILTIN_BOXES.iter().map(|b| b.name));
        suggest(name, candidates).map(|s| format!("did you mean `{s}`?"))
    }

    pub(super) fn ensure_top_level(&mut self, file: crate::source::FileId, stmts: &'a [Stmt]) {
        let span = crate::source::Span::new(file, 0, 0);
        let id = self.new_function(
            "<top level>",
            FunctionKind::TopLevel { file },
            span,
            &[],
            false,
        );
        self.program.top_levels.push(id);
        self.pending.push(PendingBody {
            function: id,
            stmts,
            owner: None,
        });
    }
}
