//! The builtin boxes (Part 2 §14 with the additions of R13/R14) and their method names.
//!
//! The resolver uses this table to resolve `new ArrayBox()`, to know that builtin names are
//! reserved, and to suggest the right spelling of a misspelled builtin method. The table itself
//! is [`nyash_abi::builtins`], shared with the runtime, whose checking build verifies that it
//! answers exactly the methods listed (`guest/src/method_table.rs`).

pub use nyash_abi::builtins::{BoxMethods, BUILTIN_BOXES};

/// A builtin box, as an index into [`BUILTIN_BOXES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BuiltinBox(pub u16);

impl BuiltinBox {
    /// The builtin box called `name`, if there is one.
    pub fn by_name(name: &str) -> Option<BuiltinBox> {
        BUILTIN_BOXES
            .iter()
            .position(|b| b.name == name)
            .map(|i| BuiltinBox(i as u16))
    }

    /// Its table entry.
    pub fn info(self) -> &'static BoxMethods {
        &BUILTIN_BOXES[self.0 as usize]
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// `true` when the box answers `method`. Boxes whose methods are not listed (network and
    /// GUI boxes) answer everything, as far as the front end knows.
    pub fn has_method(self, method: &str) -> bool {
        let methods = self.info().methods;
        methods.is_empty() || methods.contains(&method)
    }

    /// `true` when the method list is known (so an unknown method can be reported).
    pub fn methods_known(self) -> bool {
        !self.info().methods.is_empty()
    }
}

/// Functions callable by bare name without being declared (Part 2 §9.1).
pub const BUILTIN_FUNCTIONS: &[&str] = &["isType", "asType"];

/// Namespaces provided by `using nyashstd` (Part 2 §13).
pub const NYASHSTD_NAMESPACES: &[&str] = &["string", "integer", "bool", "array", "console"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_by_name() {
        let s = BuiltinBox::by_name("StringBox").map(BuiltinBox::name);
        assert_eq!(s, Some("StringBox"));
        assert!(BuiltinBox::by_name("Nope").is_none());
        let a = BuiltinBox::by_name("ArrayBox").expect("ArrayBox is builtin");
        assert!(a.has_method("push") && a.has_method("size") && !a.has_method("map"));
    }

    /// The methods compiled code computes inline (`ir::infer::NumMethod`) are ones the
    /// table lists, so the resolver never warns about a call the back end compiles.
    #[test]
    fn inline_number_methods_are_listed() {
        use crate::ir::infer::NumMethod;
        use crate::ir::LocalTy::{Float, Int};
        let names: Vec<&str> = BUILTIN_BOXES
            .iter()
            .flat_map(|b| b.methods)
            .copied()
            .collect();
        let mut found = 0;
        for (ty, box_name) in [(Int, "IntegerBox"), (Float, "FloatBox")] {
            let b = BuiltinBox::by_name(box_name).unwrap();
            for name in &names {
                for args in [&[][..], &[Int], &[Float]] {
                    if NumMethod::find(ty, name, args).is_some() {
                        assert!(
                            b.has_method(name),
                            "{box_name}.{name} is inline but not listed"
                        );
                        found += 1;
                    }
                }
            }
        }
        assert!(found >= 14, "every inline method was found ({found})");
    }
}
