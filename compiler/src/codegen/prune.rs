//! Dead-code elimination after the merge: the functions a program cannot reach are left out.
//!
//! The merged module holds the whole language runtime, but a program reaches only part of
//! it: a hello prints a string and never compiles a regex. [`prune`] keeps the functions
//! reachable from the roots and renumbers the rest of the module around them:
//!
//! - **Roots:** exported functions, the start function, `ref.func` in global initialisers,
//!   and every function of a passive, declared or non-constant element segment.
//! - **Edges:** `call`, `return_call` and `ref.func` in a live body.
//! - **The table:** an entry is reachable only through `call_indirect` with its exact
//!   signature, so an active segment's function is live once a live body makes an indirect
//!   call of that signature. A body that reads the table otherwise (`table.get`,
//!   `table.copy`, `call_ref`, …), or a table that is imported or exported, makes every
//!   entry live.
//!
//! Entries left out of the table become null, at the same slot: every live table index
//! keeps its meaning, and an indirect call of a removed entry, which the signature check
//! would have trapped anyway, traps as a null entry. Unused imports go too, so a program
//! that never touches a file links no file calls. Types, globals and data stay as they are.

use std::collections::HashMap;

use wasm_encoder::reencode::{Error as ReencodeError, Reencode};
use wasm_encoder::{
    CodeSection, ConstExpr, DataCountSection, DataSection, ElementSection, Elements, ExportSection,
    FunctionSection, GlobalSection, ImportSection, MemorySection, Module, StartSection,
    TableSection, TypeSection,
};
use wasmparser::{
    ElementItems, ElementKind, ExternalKind, Operator, Parser, Payload, TypeRef, ValType,
};

/// A function signature, the identity `call_indirect` checks.
type Signature = (Box<[ValType]>, Box<[ValType]>);

/// What the reachability analysis needs to know about a module.
#[derive(Default)]
struct Graph {
    /// The signature of each type index (`None` for non-function types).
    signatures: Vec<Option<Signature>>,
    /// The type index of each function, imports first.
    func_types: Vec<u32>,
    /// How many of the functions are imports.
    imports: u32,
    /// Functions live from the start.
    roots: Vec<u32>,
    /// Functions in active segments of a constant offset, by signature.
    table: HashMap<Signature, Vec<u32>>,
    /// Whether something reads the table other than `call_indirect`, so every entry is live.
    table_escapes: bool,
    /// What each defined function's body refers to, by defined index.
    bodies: Vec<Refs>,
}

/// What one body refers to.
#[derive(Default)]
struct Refs {
    /// Functions called directly or taken with `ref.func`.
    direct: Vec<u32>,
    /// Type indices of its indirect calls.
    indirect: Vec<u32>,
    /// Whether it reads or changes the table other than by `call_indirect`.
    table_escapes: bool,
}

fn perr(e: wasmparser::BinaryReaderError) -> String {
    format!("pruning the module: {e}")
}

impl Graph {
    fn of(wasm: &[u8]) -> Result<Graph, String> {
        let mut g = Graph::default();
        let mut table_items: Vec<u32> = Vec::new();
        for payload in Parser::new(0).parse_all(wasm) {
            match payload.map_err(perr)? {
                Payload::TypeSection(r) => {
                    for group in r {
                        for sub in group.map_err(perr)?.into_types() {
                            g.signatures.push(match &sub.composite_type.inner {
                                wasmparser::CompositeInnerType::Func(f) => {
                                    Some((f.params().into(), f.results().into()))
                                }
                                _ => None,
                            });
                        }
                    }
                }
                Payload::ImportSection(r) => {
                    for imp in r.into_imports() {
                        match imp.map_err(perr)?.ty {
                            TypeRef::Func(ty) => {
                                g.func_types.push(ty);
                                g.imports += 1;
                            }
                            TypeRef::Table(_) => g.table_escapes = true,
                            _ => {}
                        }
                    }
                }
                Payload::FunctionSection(r) => {
                    for ty in r {
                        g.func_types.push(ty.map_err(perr)?);
                    }
                }
                Payload::GlobalSection(r) => {
                    for global in r {
                        let global = global.map_err(perr)?;
                        g.roots.extend(const_refs(&global.init_expr)?);
                    }
                }
                Payload::ExportSection(r) => {
                    for export in r {
                        let export = export.map_err(perr)?;
                        match export.kind {
                            ExternalKind::Func => g.roots.push(export.index),
                            ExternalKind::Table => g.table_escapes = true,
                            _ => {}
                        }
                    }
                }
                Payload::StartSection { func, .. } => g.roots.push(func),
                Payload::ElementSection(r) => {
                    for element in r {
                        let element = element.map_err(perr)?;
                        let funcs = element_funcs(&element.items)?;
                        let constant = match &element.kind {
                            ElementKind::Active { offset_expr, .. } => {
                                constant_offset(offset_expr).is_some()
                                    && matches!(element.items, ElementItems::Functions(_))
                            }
                            _ => false,
                        };
                        if constant {
                            table_items.extend(funcs);
                        } else {
                            g.roots.extend(funcs);
                        }
                    }
                }
                Payload::CodeSectionEntry(body) => g.bodies.push(refs_of(&body)?),
                _ => {}
            }
        }
        for f in table_items {
            let sig = g.signature_of(f)?;
            g.table.entry(sig).or_default().push(f);
        }
        Ok(g)
    }

    fn signature_of(&self, f: u32) -> Result<Signature, String> {
        let ty = *self
            .func_types
            .get(f as usize)
            .ok_or_else(|| format!("pruning the module: function {f} does not exist"))?;
        self.type_signature(ty)
    }

    fn type_signature(&self, ty: u32) -> Result<Signature, String> {
        self.signatures
            .get(ty as usize)
            .cloned()
            .flatten()
            .ok_or_else(|| format!("pruning the module: type {ty} is not a function type"))
    }

    /// Which functions are live.
    fn live(&self) -> Result<Vec<bool>, String> {
        let n = self.func_types.len();
        let mut live = vec![false; n];
        let mut work: Vec<u32> = Vec::new();
        let mark = |f: u32, live: &mut Vec<bool>, work: &mut Vec<u32>| -> Result<(), String> {
            let slot = live
                .get_mut(f as usize)
                .ok_or_else(|| format!("pruning the module: function {f} does not exist"))?;
            if !*slot {
                *slot = true;
                work.push(f);
            }
            Ok(())
        };
        let mut all_table = self.table_escapes;
        let mut called: Vec<Signature> = Vec::new();
        for &f in &self.roots {
            mark(f, &mut live, &mut work)?;
        }
        loop {
            while let Some(f) = work.pop() {
                let Some(body) = f.checked_sub(self.imports) else {
                    continue;
                };
                let refs = self
                    .bodies
                    .get(body as usize)
                    .ok_or_else(|| format!("pruning the module: function {f} has no body"))?;
                for &g in &refs.direct {
                    mark(g, &mut live, &mut work)?;
                }
                all_table |= refs.table_escapes;
                for &ty in &refs.indirect {
                    let sig = self.type_signature(ty)?;
                    if !called.contains(&sig) {
                        called.push(sig);
                    }
                }
            }
            // The table entries the indirect calls found so far can reach.
            let before = work.len();
            for (sig, funcs) in &self.table {
                if all_table || called.contains(sig) {
                    for &f in funcs {
                        mark(f, &mut live, &mut work)?;
                    }
                }
            }
            if work.len() == before {
                return Ok(live);
            }
        }
    }
}

/// The functions an element segment names.
fn element_funcs(items: &ElementItems<'_>) -> Result<Vec<u32>, String> {
    let mut out = Vec::new();
    match items {
        ElementItems::Functions(r) => {
            for f in r.clone() {
                out.push(f.map_err(perr)?);
            }
        }
        ElementItems::Expressions(_, r) => {
            for e in r.clone() {
                out.extend(const_refs(&e.map_err(perr)?)?);
            }
        }
    }
    Ok(out)
}

/// The `ref.func` targets of a constant expression.
fn const_refs(expr: &wasmparser::ConstExpr<'_>) -> Result<Vec<u32>, String> {
    let mut out = Vec::new();
    let mut ops = expr.get_operators_reader();
    while !ops.eof() {
        if let Operator::RefFunc { function_index } = ops.read().map_err(perr)? {
            out.push(function_index);
        }
    }
    Ok(out)
}

/// The value of an `i32.const` offset.
fn constant_offset(expr: &wasmparser::ConstExpr<'_>) -> Option<u32> {
    let mut ops = expr.get_operators_reader();
    match (ops.read().ok()?, ops.read().ok()?) {
        (Operator::I32Const { value }, Operator::End) => Some(value as u32),
        _ => None,
    }
}

fn refs_of(body: &wasmparser::FunctionBody<'_>) -> Result<Refs, String> {
    let mut refs = Refs::default();
    let mut ops = body.get_operators_reader().map_err(perr)?;
    while !ops.eof() {
        match ops.read().map_err(perr)? {
            Operator::Call { function_index }
            | Operator::ReturnCall { function_index }
            | Operator::RefFunc { function_index } => refs.direct.push(function_index),
            Operator::CallIndirect { type_index, .. }
            | Operator::ReturnCallIndirect { type_index, .. } => refs.indirect.push(type_index),
            Operator::TableGet { .. }
            | Operator::TableSet { .. }
            | Operator::TableCopy { .. }
            | Operator::TableInit { .. }
            | Operator::TableFill { .. }
            | Operator::CallRef { .. }
            | Operator::ReturnCallRef { .. } => refs.table_escapes = true,
            _ => {}
        }
    }
    Ok(refs)
}

/// The re-encoder of the pruned module: live functions get consecutive indices.
struct Renumber {
    new_index: Vec<u32>,
}

/// The index a removed function has in [`Renumber::new_index`].
const REMOVED: u32 = u32::MAX;

impl Reencode for Renumber {
    type Error = String;

    fn function_index(&mut self, func: u32) -> Result<u32, ReencodeError<String>> {
        match self.new_index.get(func as usize) {
            Some(&i) if i != REMOVED => Ok(i),
            _ => Err(ReencodeError::UserError(format!(
                "pruning the module: function {func} was removed but is still used"
            ))),
        }
    }
}

/// What pruning removed, for `NYASH_TRACE` and the tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pruned {
    /// Defined functions before and after.
    pub functions: (u32, u32),
    /// Function imports before and after.
    pub imports: (u32, u32),
}

/// `wasm` without the functions and imports it cannot reach (see the module docs).
pub fn prune(wasm: &[u8]) -> Result<(Vec<u8>, Pruned), String> {
    let graph = Graph::of(wasm)?;
    let live = graph.live()?;
    let mut new_index = vec![REMOVED; live.len()];
    let mut next = 0u32;
    for (f, &l) in live.iter().enumerate() {
        if l {
            new_index[f] = next;
            next += 1;
        }
    }
    let live_imports = live[..graph.imports as usize]
        .iter()
        .filter(|&&l| l)
        .count() as u32;
    let pruned = Pruned {
        functions: (live.len() as u32 - graph.imports, next - live_imports),
        imports: (graph.imports, live_imports),
    };
    let mut rt = Renumber { new_index };
    let err = |e: ReencodeError<String>| match e {
        ReencodeError::UserError(m) => m,
        e => format!("pruning the module: {e}"),
    };

    let mut module = Module::new();
    let mut func = 0u32;
    let mut code: Option<CodeSection> = None;
    let mut body_index = graph.imports as usize;
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(perr)? {
            Payload::TypeSection(r) => {
                let mut types = TypeSection::new();
                rt.parse_type_section(&mut types, r).map_err(err)?;
                module.section(&types);
            }
            Payload::ImportSection(r) => {
                let mut imports = ImportSection::new();
                for imp in r.into_imports() {
                    let imp = imp.map_err(perr)?;
                    if let TypeRef::Func(_) = imp.ty {
                        func += 1;
                        if !live[func as usize - 1] {
                            continue;
                        }
                    }
                    imports.import(imp.module, imp.name, rt.entity_type(imp.ty).map_err(err)?);
                }
                module.section(&imports);
            }
            Payload::FunctionSection(r) => {
                let mut funcs = FunctionSection::new();
                for (i, ty) in r.into_iter().enumerate() {
                    let ty = ty.map_err(perr)?;
                    if live[graph.imports as usize + i] {
                        funcs.function(rt.type_index(ty).map_err(err)?);
                    }
                }
                module.section(&funcs);
            }
            Payload::TableSection(r) => {
                let mut tables = TableSection::new();
                rt.parse_table_section(&mut tables, r).map_err(err)?;
                module.section(&tables);
            }
            Payload::MemorySection(r) => {
                let mut memories = MemorySection::new();
                rt.parse_memory_section(&mut memories, r).map_err(err)?;
                module.section(&memories);
            }
            Payload::GlobalSection(r) => {
                let mut globals = GlobalSection::new();
                rt.parse_global_section(&mut globals, r).map_err(err)?;
                module.section(&globals);
            }
            Payload::ExportSection(r) => {
                let mut exports = ExportSection::new();
                rt.parse_export_section(&mut exports, r).map_err(err)?;
                module.section(&exports);
            }
            Payload::StartSection { func, .. } => {
                module.section(&StartSection {
                    function_index: rt.function_index(func).map_err(err)?,
                });
            }
            Payload::ElementSection(r) => {
                let mut elements = ElementSection::new();
                for element in r {
                    let element = element.map_err(perr)?;
                    prune_element(&mut rt, &mut elements, element, &live).map_err(err)?;
                }
                module.section(&elements);
            }
            Payload::DataCountSection { count, .. } => {
                module.section(&DataCountSection { count });
            }
            Payload::CodeSectionStart { .. } => code = Some(CodeSection::new()),
            Payload::CodeSectionEntry(body) => {
                if live[body_index] {
                    let code = code
                        .as_mut()
                        .expect("a code entry follows the section start");
                    rt.parse_function_body(code, body).map_err(err)?;
                }
                body_index += 1;
                if body_index == live.len() {
                    module.section(&code.take().expect("the code section is open"));
                }
            }
            Payload::DataSection(r) => {
                let mut data = DataSection::new();
                rt.parse_data_section(&mut data, r).map_err(err)?;
                module.section(&data);
            }
            Payload::CustomSection(c) if c.name() != "name" => {
                module.section(&rt.custom_section(c).map_err(err)?);
            }
            Payload::Version { .. } | Payload::CustomSection(_) | Payload::End(_) => {}
            other => {
                return Err(format!(
                    "pruning the module: section {:?} is not supported",
                    other.as_section().map(|(id, _)| id)
                ))
            }
        }
    }
    Ok((module.finish(), pruned))
}

/// Re-encodes one element segment. An active segment at a constant offset keeps its live
/// functions at their slots, as runs of consecutive live entries; the rest were roots.
fn prune_element(
    rt: &mut Renumber,
    elements: &mut ElementSection,
    element: wasmparser::Element<'_>,
    live: &[bool],
) -> Result<(), ReencodeError<String>> {
    let (table_index, offset) = match (&element.kind, &element.items) {
        (
            ElementKind::Active {
                table_index,
                offset_expr,
            },
            ElementItems::Functions(_),
        ) => match constant_offset(offset_expr) {
            Some(offset) => (*table_index, offset),
            None => return rt.parse_element(elements, element),
        },
        _ => return rt.parse_element(elements, element),
    };
    let funcs = element_funcs(&element.items).map_err(ReencodeError::UserError)?;
    let mut run: Vec<u32> = Vec::new();
    let mut run_start = offset;
    for (i, &f) in funcs.iter().enumerate() {
        if live[f as usize] {
            if run.is_empty() {
                run_start = offset + i as u32;
            }
            run.push(rt.function_index(f)?);
        } else if !run.is_empty() {
            let at = ConstExpr::i32_const(run_start as i32);
            elements.active(
                table_index,
                &at,
                Elements::Functions(std::mem::take(&mut run).into()),
            );
        }
    }
    if !run.is_empty() {
        let at = ConstExpr::i32_const(run_start as i32);
        elements.active(table_index, &at, Elements::Functions(run.into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pruned(wat: &str) -> (Vec<u8>, Pruned) {
        let wasm = wat::parse_str(wat).unwrap();
        let (out, stats) = prune(&wasm).unwrap();
        crate::codegen::validate(&out).unwrap();
        (out, stats)
    }

    /// The module's text, for checking what is left.
    fn text(wasm: &[u8]) -> String {
        wasmprinter::print_bytes(wasm).unwrap()
    }

    #[test]
    fn unreachable_functions_and_imports_go() {
        let (out, stats) = pruned(
            r#"(module
                (import "env" "used" (func $used))
                (import "env" "unused" (func $unused))
                (func $start (export "_start") call $helper)
                (func $helper call $used)
                (func $orphan call $unused call $orphan))"#,
        );
        assert_eq!(stats.functions, (3, 2));
        assert_eq!(stats.imports, (2, 1));
        let text = text(&out);
        assert!(text.contains("\"used\""), "{text}");
        assert!(!text.contains("\"unused\""), "{text}");
        // The start function calls the helper at its new index, which calls the import.
        assert!(text.contains("call 2"), "{text}");
        assert!(text.contains("call 0"), "{text}");
    }

    #[test]
    fn table_entries_live_only_for_a_called_signature() {
        let (out, stats) = pruned(
            r#"(module
                (type $unary (func (param i32) (result i32)))
                (table 4 funcref)
                (elem (i32.const 1) func $double $other $triple)
                (func $start (export "_start") (result i32)
                    i32.const 5 i32.const 1 call_indirect (type $unary))
                (func $double (param i32) (result i32) local.get 0 i32.const 2 i32.mul)
                (func $other)
                (func $triple (param i32) (result i32) local.get 0 i32.const 3 i32.mul))"#,
        );
        assert_eq!(stats.functions, (4, 3));
        let text = text(&out);
        // $double and $triple keep slots 1 and 3; slot 2 is left null.
        assert!(text.contains("(elem (;0;) (i32.const 1) func 1)"), "{text}");
        assert!(text.contains("(elem (;1;) (i32.const 3) func 2)"), "{text}");
    }

    #[test]
    fn a_table_read_keeps_every_entry() {
        let (_, stats) = pruned(
            r#"(module
                (table 2 funcref)
                (elem (i32.const 0) func $a $b)
                (func $start (export "_start") (result funcref) i32.const 1 table.get 0)
                (func $a)
                (func $b (param i32)))"#,
        );
        assert_eq!(stats.functions, (3, 3));
    }

    #[test]
    fn roots_in_globals_passive_segments_and_start_stay() {
        let (_, stats) = pruned(
            r#"(module
                (global funcref (ref.func $by_global))
                (elem func $passive)
                (start $at_start)
                (func $by_global)
                (func $passive)
                (func $at_start)
                (func $dead))"#,
        );
        assert_eq!(stats.functions, (4, 3));
    }

    #[test]
    fn the_pruned_module_behaves_the_same() {
        let source = r#"(module
            (type $unary (func (param i32) (result i32)))
            (table 3 funcref)
            (elem (i32.const 0) func $dead $double $dead)
            (func $dead (param i32) (result i32) unreachable)
            (func $double (param i32) (result i32) local.get 0 i32.const 2 i32.mul)
            (func (export "run") (param i32) (result i32)
                local.get 0 i32.const 1 call_indirect (type $unary)))"#;
        // $dead is in the table with the called signature, so it stays.
        let (out, stats) = pruned(source);
        assert_eq!(stats.functions, (3, 3));
        let engine = wasmtime::Engine::default();
        let module = wasmtime::Module::new(&engine, &out).unwrap();
        let mut store = wasmtime::Store::new(&engine, ());
        let instance = wasmtime::Instance::new(&mut store, &module, &[]).unwrap();
        let run = instance
            .get_typed_func::<i32, i32>(&mut store, "run")
            .unwrap();
        assert_eq!(run.call(&mut store, 21).unwrap(), 42);
    }

    #[test]
    fn a_hello_leaves_out_the_runtime_it_cannot_reach() {
        let compile = |source: &str| {
            let loader = crate::MemoryLoader::single("main.nyash", source);
            crate::codegen::compile_with(std::path::Path::new("main.nyash"), &loader).unwrap()
        };
        let hello = compile("print(\"Hello, world!\")\n");
        let regex = compile("local r = new RegexBox(\"a+b\")\nprint(r.test(\"caab\"))\n");
        let runtime = crate::codegen::GuestRuntime::Standard.wasm().len();
        // A hello has no regex engine, no JSON and no network code: less than half of
        // what a program that makes a RegexBox carries, and of the whole runtime.
        assert!(
            hello.len() * 2 < regex.len() && hello.len() * 2 < runtime,
            "hello {} bytes, a RegexBox program {}, the runtime {runtime}",
            hello.len(),
            regex.len()
        );
    }

    #[test]
    fn a_family_is_carried_only_by_programs_that_name_its_boxes() {
        let compile = |source: &str| {
            let loader = crate::MemoryLoader::single("main.nyash", source);
            crate::codegen::compile_with(std::path::Path::new("main.nyash"), &loader).unwrap()
        };
        // Both call builtin methods by name, which reaches every kind of receiver.
        let plain = compile("local a = new ArrayBox()\na.push(\"x\")\nprint(a.join(\",\"))\n");
        let named = compile(concat!(
            "local a = new ArrayBox()\na.push(\"x\")\nprint(a.join(\",\"))\n",
            "box Pattern from RegexBox {\n  birth(p) { from RegexBox.birth(p) }\n}\n",
            "print(new Pattern(\"a+\").test(\"caab\"))\n",
        ));
        // The regex engine alone is more than 20 KB of code.
        assert!(
            plain.len() + 20_000 < named.len(),
            "without RegexBox {} bytes, with it (through `from`) {}",
            plain.len(),
            named.len()
        );
    }
}
