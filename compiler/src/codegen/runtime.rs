//! The embedded guest runtime (`guest/`, built by `build.rs`) and what the code generator
//! needs to know about it: function indices of the `ny_*` exports, the address of the
//! shared state block, and the sizes of its index spaces.

use std::collections::HashMap;

use wasmparser::{ExternalKind, Operator, Parser, Payload, TypeRef};

/// The guest runtime module, built for wasm32-unknown-unknown.
pub static GUEST_WASM: &[u8] = include_bytes!(env!("NYASH_GUEST_WASM"));

/// The same runtime built with the checking allocator (`guest/src/checked_alloc.rs`).
pub static GUEST_WASM_CHECKED: &[u8] = include_bytes!(env!("NYASH_GUEST_WASM_CHECKED"));

/// Which build of the guest runtime a program is linked with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum GuestRuntime {
    /// The runtime every bundle ships: dlmalloc.
    #[default]
    Standard,
    /// The checking allocator: freed memory is poisoned and never reused, and a double
    /// free or a use of a freed object stops the program with a message. Slower, and
    /// memory only grows; for tests and for hunting memory bugs.
    MemoryChecking,
}

impl GuestRuntime {
    /// The runtime module.
    pub fn wasm(self) -> &'static [u8] {
        match self {
            GuestRuntime::Standard => GUEST_WASM,
            GuestRuntime::MemoryChecking => GUEST_WASM_CHECKED,
        }
    }
}

/// Facts about the guest module.
#[derive(Debug, Default)]
pub struct RuntimeInfo {
    /// Exported functions by name.
    pub functions: HashMap<String, u32>,
    /// Number of functions (imported and defined).
    pub function_count: u32,
    /// Number of types.
    pub type_count: u32,
    /// Number of globals (imported and defined).
    pub global_count: u32,
    /// Address of `NY_STATE`.
    pub state_addr: u32,
    /// Minimum pages of the memory.
    pub memory_min_pages: u64,
    /// Minimum size of table 0.
    pub table_min: u64,
}

impl RuntimeInfo {
    /// Reads the facts from the embedded module.
    pub fn load(runtime: GuestRuntime) -> RuntimeInfo {
        RuntimeInfo::parse(runtime.wasm()).expect("the embedded guest runtime is a valid module")
    }

    /// Reads the facts from a guest module.
    pub fn parse(wasm: &[u8]) -> wasmparser::Result<RuntimeInfo> {
        let mut info = RuntimeInfo::default();
        let mut global_inits: Vec<Option<u32>> = Vec::new();
        let mut exported_globals = HashMap::new();
        for payload in Parser::new(0).parse_all(wasm) {
            match payload? {
                Payload::TypeSection(r) => info.type_count = r.count(),
                Payload::ImportSection(r) => {
                    for imp in r.into_imports() {
                        match imp?.ty {
                            TypeRef::Func(_) => info.function_count += 1,
                            TypeRef::Global(_) => {
                                info.global_count += 1;
                                global_inits.push(None);
                            }
                            _ => {}
                        }
                    }
                }
                Payload::FunctionSection(r) => info.function_count += r.count(),
                Payload::GlobalSection(r) => {
                    for g in r {
                        let g = g?;
                        info.global_count += 1;
                        let mut ops = g.init_expr.get_operators_reader();
                        let v = match ops.read()? {
                            Operator::I32Const { value } => Some(value as u32),
                            _ => None,
                        };
                        global_inits.push(v);
                    }
                }
                Payload::MemorySection(r) => {
                    if let Some(m) = r.into_iter().next() {
                        info.memory_min_pages = m?.initial;
                    }
                }
                Payload::TableSection(r) => {
                    if let Some(t) = r.into_iter().next() {
                        info.table_min = t?.ty.initial;
                    }
                }
                Payload::ExportSection(r) => {
                    for e in r {
                        let e = e?;
                        match e.kind {
                            ExternalKind::Func => {
                                info.functions.insert(e.name.to_string(), e.index);
                            }
                            ExternalKind::Global => {
                                exported_globals.insert(e.name.to_string(), e.index);
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        if let Some(&g) = exported_globals.get("NY_STATE") {
            info.state_addr = global_inits.get(g as usize).copied().flatten().unwrap_or(0);
        }
        Ok(info)
    }

    /// The index of runtime function `name`.
    pub fn func(&self, name: &str) -> u32 {
        match self.functions.get(name) {
            Some(&i) => i,
            None => panic!("the guest runtime does not export `{name}`"),
        }
    }
}
