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

    /// The same facts for the runtime with `dropped`'s imports left out (function indices
    /// moved as [`super::merge::Dropped::remap`] says).
    pub fn without(mut self, dropped: &super::merge::Dropped) -> RuntimeInfo {
        for index in self.functions.values_mut() {
            *index = dropped.remap(*index);
        }
        self
    }

    /// The index of runtime function `name`, one of the contract's [`nyash_abi::EXPORTS`].
    pub fn func(&self, name: &str) -> u32 {
        debug_assert!(
            nyash_abi::export_named(name).is_some(),
            "`{name}` is not in the runtime contract (abi/src/lib.rs, EXPORTS)"
        );
        match self.functions.get(name) {
            Some(&i) => i,
            None => panic!("the guest runtime does not export `{name}`"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nyash_abi::{Ty, EXPORTS};
    use wasmparser::ValType;

    /// The signature of every exported function of `wasm`, by name.
    fn export_signatures(wasm: &[u8]) -> HashMap<String, (Vec<Ty>, Vec<Ty>)> {
        let ty = |t: &ValType| match t {
            ValType::I32 => Ty::I32,
            ValType::I64 => Ty::I64,
            ValType::F64 => Ty::F64,
            other => panic!("a runtime export uses {other:?}"),
        };
        let mut types = Vec::new();
        let mut funcs = Vec::new();
        let mut exports = Vec::new();
        for payload in Parser::new(0).parse_all(wasm) {
            match payload.unwrap() {
                Payload::TypeSection(r) => {
                    for f in r.into_iter_err_on_gc_types() {
                        let f = f.unwrap();
                        types.push((
                            f.params().iter().map(ty).collect(),
                            f.results().iter().map(ty).collect(),
                        ));
                    }
                }
                Payload::ImportSection(r) => {
                    for imp in r.into_imports() {
                        if let TypeRef::Func(t) = imp.unwrap().ty {
                            funcs.push(t);
                        }
                    }
                }
                Payload::FunctionSection(r) => funcs.extend(r.into_iter().map(|t| t.unwrap())),
                Payload::ExportSection(r) => {
                    for e in r {
                        let e = e.unwrap();
                        if e.kind == ExternalKind::Func {
                            exports.push((e.name.to_string(), e.index));
                        }
                    }
                }
                _ => {}
            }
        }
        exports
            .into_iter()
            .map(|(name, f)| (name, types[funcs[f as usize] as usize].clone()))
            .collect()
    }

    /// Every function of the written contract is exported by both builds of the runtime,
    /// with the contract's signature, so a missing or mistyped one fails here and not in a
    /// user's program.
    #[test]
    fn both_runtimes_export_the_contract() {
        for guest in [GuestRuntime::Standard, GuestRuntime::MemoryChecking] {
            let found = export_signatures(guest.wasm());
            for e in EXPORTS {
                let Some((params, results)) = found.get(e.name) else {
                    panic!("{guest:?} runtime: `{}` is not exported", e.name);
                };
                assert_eq!(
                    (params.as_slice(), results.as_slice()),
                    (e.params, e.results),
                    "{guest:?} runtime: signature of `{}`",
                    e.name
                );
            }
            let info = RuntimeInfo::load(guest);
            assert_ne!(info.state_addr, 0, "{guest:?} runtime: NY_STATE not found");
        }
    }

    /// Every `ny_*` function the runtime exports is in the contract.
    #[test]
    fn the_contract_lists_every_runtime_function() {
        let found = export_signatures(GuestRuntime::Standard.wasm());
        for name in found.keys().filter(|n| n.starts_with("ny_")) {
            assert!(
                nyash_abi::export_named(name).is_some(),
                "the runtime exports `{name}`, which abi/src/lib.rs does not list"
            );
        }
    }
}
