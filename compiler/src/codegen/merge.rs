//! The merge step: the guest runtime module re-encoded with the program appended.
//!
//! Every section of the runtime is copied with `wasm_encoder::reencode`; the program's
//! types, functions, globals, element entries and data are appended after the runtime's, so
//! no runtime index changes. The memory's minimum grows to hold the program's data, which is
//! placed above the runtime's initial memory (its allocator only ever grows memory beyond
//! that point). Exports are reduced to `memory` and `_start`, which is all WASI needs, plus `nyash_flush`,
//! which a host calls after a trap to write the output the program had buffered.

use wasm_encoder::reencode::{Reencode, RoundtripReencoder};
use wasm_encoder::{
    CodeSection, ConstExpr, DataCountSection, DataSection, ElementSection, Elements, ExportKind,
    ExportSection, Function, FunctionSection, GlobalSection, GlobalType, ImportSection,
    MemorySection, Module, TableSection, TypeSection, ValType,
};
use wasmparser::{Parser, Payload};

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
}

/// The export a host calls after the program trapped, so the output the program had
/// buffered is not lost (`docs/host-abi.md`).
pub const FLUSH_EXPORT: &str = "nyash_flush";

/// Builds the merged module.
pub fn merge(guest: &[u8], add: Addition) -> Result<Vec<u8>, String> {
    let err = |e: wasm_encoder::reencode::Error| format!("re-encoding the runtime: {e}");
    let perr = |e: wasmparser::BinaryReaderError| format!("reading the runtime: {e}");
    let mut rt = RoundtripReencoder;
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

    for payload in Parser::new(0).parse_all(guest) {
        match payload.map_err(perr)? {
            Payload::TypeSection(r) => rt.parse_type_section(&mut types, r).map_err(err)?,
            Payload::ImportSection(r) => rt.parse_import_section(&mut imports, r).map_err(err)?,
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
            Payload::CodeSectionEntry(body) => {
                rt.parse_function_body(&mut code, body).map_err(err)?
            }
            Payload::DataSection(r) => rt.parse_data_section(&mut data, r).map_err(err)?,
            _ => {}
        }
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
