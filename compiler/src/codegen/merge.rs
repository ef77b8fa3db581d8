//! The merge step: the guest runtime module re-encoded with the program appended.
//!
//! Every section of the runtime is copied with `wasm_encoder::reencode`; the program's
//! types, functions, globals, element entries and data are appended after the runtime's, so
//! no runtime index changes. The memory's minimum grows to hold the program's data, which is
//! placed above the runtime's initial memory (its allocator only ever grows memory beyond
//! that point). Exports are reduced to `memory` and `_start`, which is all WASI needs, plus `nyash_flush`,
//! which a host calls after a trap to write the output the program had buffered.

use wasm_encoder::reencode::{Error as ReencodeError, Reencode};
use wasm_encoder::{
    CodeSection, ConstExpr, DataCountSection, DataSection, ElementSection, Elements, ExportKind,
    ExportSection, Function, FunctionSection, GlobalSection, GlobalType, ImportSection,
    MemorySection, Module, TableSection, TypeSection, ValType,
};
use wasmparser::{Parser, Payload, TypeRef};

/// The import module of the host's network calls (R19), which only programs that make a
/// network box keep.
pub const NETWORK_IMPORTS: &str = "nyash_net";

/// The runtime's imports a program leaves out: the network calls, unless it makes a
/// network box, so that it imports only WASI preview 1 and runs on any WASI host.
///
/// Each dropped import becomes a defined function that gives `NOSYS` (never called: only
/// the network boxes call them), placed after the runtime's own functions, so the
/// runtime's function count, and every index of the program's functions, stay as they
/// are. The runtime's other functions move down by the number dropped before them, and
/// [`Dropped::remap`] is the one map from old index to new.
#[derive(Debug, Default, Clone)]
pub struct Dropped {
    /// Function indices of the dropped imports, ascending, with their type index.
    removed: Vec<(u32, u32)>,
    /// Function imports of the runtime.
    import_funcs: u32,
    /// All functions of the runtime (imported and defined).
    runtime_funcs: u32,
}

impl Dropped {
    /// The imports from `module` in `guest`.
    pub fn imports_of(guest: &[u8], module: &str) -> Result<Dropped, String> {
        let perr = |e: wasmparser::BinaryReaderError| format!("reading the runtime: {e}");
        let mut d = Dropped::default();
        for payload in Parser::new(0).parse_all(guest) {
            match payload.map_err(perr)? {
                Payload::ImportSection(r) => {
                    for imp in r.into_imports() {
                        let imp = imp.map_err(perr)?;
                        if let TypeRef::Func(ty) = imp.ty {
                            if imp.module == module {
                                d.removed.push((d.import_funcs, ty));
                            }
                            d.import_funcs += 1;
                        }
                    }
                }
                Payload::FunctionSection(r) => d.runtime_funcs = d.import_funcs + r.count(),
                _ => {}
            }
        }
        Ok(d)
    }

    /// Where runtime function `f` is in the merged module.
    pub fn remap(&self, f: u32) -> u32 {
        let k = self.removed.len() as u32;
        if k == 0 || f >= self.runtime_funcs {
            return f;
        }
        if let Ok(j) = self.removed.binary_search_by_key(&f, |&(i, _)| i) {
            return self.runtime_funcs - k + j as u32;
        }
        if f < self.import_funcs {
            f - self.removed.partition_point(|&(i, _)| i < f) as u32
        } else {
            f - k
        }
    }

    fn is_dropped(&self, f: u32) -> bool {
        self.removed.binary_search_by_key(&f, |&(i, _)| i).is_ok()
    }
}

/// The re-encoder of the runtime: every function index through [`Dropped::remap`].
struct Remap<'a>(&'a Dropped);

impl Reencode for Remap<'_> {
    type Error = std::convert::Infallible;

    fn function_index(&mut self, func: u32) -> Result<u32, ReencodeError<Self::Error>> {
        Ok(self.0.remap(func))
    }
}

/// WASI's `NOSYS`, what a dropped import's stand-in gives.
const NOSYS: i32 = 52;

/// What the program adds to the runtime.
pub struct Addition {
    /// New function types, appended after the runtime's.
    pub types: Vec<(Vec<ValType>, Vec<ValType>)>,
    /// New functions: type index (absolute) and body.
    pub functions: Vec<(u32, Function)>,
    /// New globals: type and initial value.
    pub globals: Vec<(GlobalType, ConstExpr)>,
    /// Functions added to table 0 (at indices starting from the runtime table's size).
    pub table_entries: Vec<u32>,
    /// Bytes placed at `data_base`.
    pub data: Vec<u8>,
    /// Where the data goes (above the runtime's initial memory).
    pub data_base: u32,
    /// The absolute index of `_start`.
    pub start: u32,
    /// The absolute index of the runtime function that writes buffered output, exported as
    /// [`FLUSH_EXPORT`] for hosts to call after a trap.
    pub flush: u32,
    /// Runtime exports whose bodies become `unreachable`: the entries of the families the
    /// program cannot reach (`nyash_abi::FAMILIES`), so that pruning leaves them out.
    pub unreachable: Vec<&'static str>,
}

/// The export a host calls after the program trapped, so the output the program had
/// buffered is not lost (`docs/host-abi.md`).
pub const FLUSH_EXPORT: &str = "nyash_flush";

/// Builds the merged module.
pub fn merge(guest: &[u8], add: Addition, dropped: &Dropped) -> Result<Vec<u8>, String> {
    let err = |e: ReencodeError<std::convert::Infallible>| format!("re-encoding the runtime: {e}");
    let perr = |e: wasmparser::BinaryReaderError| format!("reading the runtime: {e}");
    let mut rt = Remap(dropped);
    // Result types of the runtime's function types, for the dropped imports' stand-ins.
    let mut results: Vec<Vec<wasmparser::ValType>> = Vec::new();
    let mut types = TypeSection::new();
    let mut imports = ImportSection::new();
    let mut funcs = FunctionSection::new();
    let mut tables = TableSection::new();
    let mut memories = MemorySection::new();
    let mut globals = GlobalSection::new();
    let mut elements = ElementSection::new();
    let mut code = CodeSection::new();
    let mut data = DataSection::new();
    let mut table_base = 0u32;
    let mut has_table = false;
    let extra_pages = (add.data.len() as u64).div_ceil(65536) + 1;
    // The runtime functions (by their index in the runtime) whose bodies are cut, and the
    // index of the code entry being read.
    let mut cut: Vec<u32> = Vec::new();
    let mut body_index = 0u32;
    let mut import_funcs = 0u32;

    for payload in Parser::new(0).parse_all(guest) {
        match payload.map_err(perr)? {
            Payload::TypeSection(r) => {
                for group in r.clone() {
                    for sub in group.map_err(perr)?.into_types() {
                        results.push(match &sub.composite_type.inner {
                            wasmparser::CompositeInnerType::Func(f) => f.results().to_vec(),
                            _ => Vec::new(),
                        });
                    }
                }
                rt.parse_type_section(&mut types, r).map_err(err)?
            }
            Payload::ImportSection(r) => {
                let mut func = 0u32;
                for imp in r.into_imports() {
                    let imp = imp.map_err(perr)?;
                    let is_func = matches!(imp.ty, TypeRef::Func(_));
                    if !(is_func && dropped.is_dropped(func)) {
                        imports.import(imp.module, imp.name, rt.entity_type(imp.ty).map_err(err)?);
                    }
                    func += u32::from(is_func);
                }
                import_funcs = func;
            }
            Payload::FunctionSection(r) => rt.parse_function_section(&mut funcs, r).map_err(err)?,
            Payload::TableSection(r) => {
                for t in r {
                    let mut t = t.map_err(perr)?;
                    if !has_table {
                        has_table = true;
                        table_base = t.ty.initial as u32;
                        let size = t.ty.initial + add.table_entries.len() as u64;
                        t.ty.initial = size;
                        t.ty.maximum = t.ty.maximum.map(|m| m.max(size));
                    }
                    let ty = rt.table_type(t.ty).map_err(err)?;
                    tables.table(ty);
                }
            }
            Payload::MemorySection(r) => {
                for m in r {
                    let mut m = m.map_err(perr)?;
                    m.initial += extra_pages;
                    m.maximum = m.maximum.map(|x| x.max(m.initial));
                    memories.memory(rt.memory_type(m).map_err(err)?);
                }
            }
            Payload::GlobalSection(r) => rt.parse_global_section(&mut globals, r).map_err(err)?,
            Payload::ElementSection(r) => {
                rt.parse_element_section(&mut elements, r).map_err(err)?
            }
            Payload::ExportSection(r) => {
                for e in r {
                    let e = e.map_err(perr)?;
                    if e.kind == wasmparser::ExternalKind::Func && add.unreachable.contains(&e.name)
                    {
                        cut.push(e.index);
                    }
                }
            }
            Payload::CodeSectionStart { .. } => body_index = import_funcs,
            Payload::CodeSectionEntry(body) => {
                if cut.contains(&body_index) {
                    let mut f = Function::new([]);
                    f.instructions().unreachable().end();
                    code.function(&f);
                } else {
                    rt.parse_function_body(&mut code, body).map_err(err)?
                }
                body_index += 1;
            }
            Payload::DataSection(r) => rt.parse_data_section(&mut data, r).map_err(err)?,
            _ => {}
        }
    }
    // The dropped imports' stand-ins, after the runtime's functions (`Dropped`).
    for &(_, ty) in &dropped.removed {
        funcs.function(ty);
        let mut body = Function::new([]);
        match results.get(ty as usize).map(Vec::as_slice) {
            Some([]) => {}
            Some([wasmparser::ValType::I32]) => {
                body.instructions().i32_const(NOSYS);
            }
            _ => {
                body.instructions().unreachable();
            }
        }
        body.instructions().end();
        code.function(&body);
    }
    if !has_table && !add.table_entries.is_empty() {
        tables.table(wasm_encoder::TableType {
            element_type: wasm_encoder::RefType::FUNCREF,
            table64: false,
            minimum: add.table_entries.len() as u64 + 1,
            maximum: Some(add.table_entries.len() as u64 + 1),
            shared: false,
        });
        table_base = 1;
    }

    for (params, results) in &add.types {
        types
            .ty()
            .function(params.iter().copied(), results.iter().copied());
    }
    for (ty, body) in &add.functions {
        funcs.function(*ty);
        code.function(body);
    }
    for (ty, init) in &add.globals {
        globals.global(*ty, init);
    }
    if !add.table_entries.is_empty() {
        elements.active(
            Some(0),
            &ConstExpr::i32_const(table_base as i32),
            Elements::Functions(add.table_entries.clone().into()),
        );
    }
    if !add.data.is_empty() {
        data.active(
            0,
            &ConstExpr::i32_const(add.data_base as i32),
            add.data.iter().copied(),
        );
    }
    let mut exports = ExportSection::new();
    exports.export("memory", ExportKind::Memory, 0);
    exports.export("_start", ExportKind::Func, add.start);
    exports.export(FLUSH_EXPORT, ExportKind::Func, add.flush);

    let mut module = Module::new();
    module.section(&types);
    module.section(&imports);
    module.section(&funcs);
    module.section(&tables);
    module.section(&memories);
    module.section(&globals);
    module.section(&exports);
    module.section(&elements);
    module.section(&DataCountSection { count: data.len() });
    module.section(&code);
    module.section(&data);
    Ok(module.finish())
}

/// The table index the first added table entry gets.
pub fn table_base(info: &super::runtime::RuntimeInfo) -> u32 {
    if info.table_min == 0 {
        1
    } else {
        info.table_min as u32
    }
}
