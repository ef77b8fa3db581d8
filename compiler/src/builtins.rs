//! The builtin boxes (Part 2 §14 with the additions of R13/R14) and their method names.
//!
//! The resolver uses this table to resolve `new ArrayBox()`, to know that builtin names are
//! reserved, and to suggest the right spelling of a misspelled builtin method.

/// A builtin box: its name and the methods it answers (including R14's additions).
#[derive(Debug)]
pub struct BuiltinBoxInfo {
    /// The box's name, e.g. `StringBox`.
    pub name: &'static str,
    /// Method names.
    pub methods: &'static [&'static str],
}

/// Every builtin box, in a fixed order; [`BuiltinBox`] indexes this table.
pub static BUILTIN_BOXES: &[BuiltinBoxInfo] = &[
    BuiltinBoxInfo {
        name: "StringBox",
        methods: &[
            "length",
            "get",
            "substring",
            "find",
            "split",
            "replace",
            "trim",
            "toUpper",
            "toLower",
            "toInteger",
            "toString",
            "contains",
            "indexOf",
            "startsWith",
            "endsWith",
            "toUpperCase",
            "toLowerCase",
            "concat",
            "equals",
        ],
    },
    BuiltinBoxInfo {
        name: "IntegerBox",
        methods: &["toString", "abs", "max", "min", "toFloat", "pow", "equals"],
    },
    BuiltinBoxInfo {
        name: "FloatBox",
        methods: &[
            "toString",
            "abs",
            "floor",
            "ceil",
            "round",
            "toInteger",
            "max",
            "min",
            "pow",
            "sqrt",
            "sin",
            "cos",
            "tan",
            "exp",
            "log",
            "log10",
            "isNaN",
            "isInfinite",
            "isFinite",
            "equals",
        ],
    },
    BuiltinBoxInfo {
        name: "BoolBox",
        methods: &["toString", "not", "and", "or", "equals"],
    },
    BuiltinBoxInfo {
        name: "NullBox",
        methods: &[
            "is_null",
            "is_not_null",
            "isNull",
            "toString",
            "equals",
            "get_or_default",
        ],
    },
    BuiltinBoxInfo {
        name: "ArrayBox",
        methods: &[
            "push", "pop", "length", "size", "isEmpty", "get", "set", "remove", "indexOf",
            "contains", "clear", "join", "sort", "reverse", "slice", "toString", "clone", "equals",
        ],
    },
    BuiltinBoxInfo {
        name: "MapBox",
        methods: &[
            "set",
            "get",
            "has",
            "containsKey",
            "delete",
            "keys",
            "values",
            "size",
            "isEmpty",
            "clear",
            "containsValue",
            "forEach",
            "toJSON",
            "toString",
            "clone",
            "equals",
        ],
    },
    BuiltinBoxInfo {
        name: "ConsoleBox",
        methods: &["log", "warn", "error", "clear", "readLine", "print"],
    },
    BuiltinBoxInfo {
        name: "MathBox",
        methods: &[
            "abs", "max", "min", "pow", "sqrt", "getPi", "getE", "sin", "cos", "tan", "exp", "log",
            "log10", "floor", "ceil", "round", "toString",
        ],
    },
    BuiltinBoxInfo {
        name: "TimeBox",
        methods: &[
            "now",
            "fromTimestamp",
            "parse",
            "sleep",
            "format",
            "toString",
        ],
    },
    BuiltinBoxInfo {
        name: "DateTimeBox",
        methods: &[
            "year",
            "month",
            "day",
            "hour",
            "minute",
            "second",
            "millisecond",
            "weekday",
            "timestamp",
            "toISOString",
            "format",
            "addDays",
            "addHours",
            "addMinutes",
            "addSeconds",
            "toString",
            "equals",
        ],
    },
    BuiltinBoxInfo {
        name: "TimerBox",
        methods: &[
            "now",
            "elapsed",
            "reset",
            "start",
            "stop",
            "isRunning",
            "sleep",
            "toString",
        ],
    },
    BuiltinBoxInfo {
        name: "RandomBox",
        methods: &[
            "seed",
            "random",
            "randInt",
            "randBool",
            "choice",
            "shuffle",
            "randString",
            "probability",
            "toString",
        ],
    },
    BuiltinBoxInfo {
        name: "FileBox",
        methods: &[
            "read", "write", "append", "exists", "delete", "copy", "path", "getPath", "toString",
        ],
    },
    BuiltinBoxInfo {
        name: "JSONBox",
        methods: &[
            "stringify",
            "get",
            "set",
            "has",
            "keys",
            "parse",
            "toString",
            "equals",
        ],
    },
    BuiltinBoxInfo {
        name: "RegexBox",
        methods: &[
            "test", "isMatch", "find", "findAll", "replace", "split", "pattern", "toString",
        ],
    },
    BuiltinBoxInfo {
        name: "ResultBox",
        methods: &[
            "isOk",
            "is_ok",
            "isErr",
            "is_err",
            "getValue",
            "get_value",
            "unwrap",
            "getError",
            "get_error",
            "toString",
            "equals",
        ],
    },
    BuiltinBoxInfo {
        name: "BufferBox",
        methods: &[
            "write",
            "readAll",
            "read",
            "clear",
            "length",
            "size",
            "append",
            "slice",
            "is_shared_with",
            "isSharedWith",
            "share_reference",
            "shareReference",
            "memory_footprint",
            "memoryFootprint",
            "clone",
            "toString",
            "equals",
        ],
    },
    BuiltinBoxInfo {
        name: "DebugBox",
        methods: &[
            "startTracking",
            "stopTracking",
            "trackBox",
            "watch",
            "dumpAll",
            "saveToFile",
            "memoryReport",
            "setBreakpoint",
            "traceCall",
            "showCallStack",
            "clear",
            "isTracking",
            "getTrackedCount",
            "toString",
        ],
    },
    BuiltinBoxInfo {
        name: "ErrorBox",
        methods: &["getMessage", "toString"],
    },
    BuiltinBoxInfo {
        name: "FutureBox",
        methods: &["get", "ready", "equals", "toString"],
    },
    BuiltinBoxInfo {
        name: "MethodBox",
        methods: &["invoke"],
    },
    BuiltinBoxInfo {
        name: "RangeBox",
        methods: &[],
    },
    BuiltinBoxInfo {
        name: "StreamBox",
        methods: &[],
    },
    BuiltinBoxInfo {
        name: "SoundBox",
        methods: &[],
    },
    BuiltinBoxInfo {
        name: "IntentBox",
        methods: &[],
    },
    BuiltinBoxInfo {
        name: "P2PBox",
        methods: &[],
    },
    BuiltinBoxInfo {
        name: "SocketBox",
        methods: &[],
    },
    BuiltinBoxInfo {
        name: "HTTPServerBox",
        methods: &[],
    },
    BuiltinBoxInfo {
        name: "HTTPClientBox",
        methods: &[],
    },
    BuiltinBoxInfo {
        name: "HTTPRequestBox",
        methods: &[],
    },
    BuiltinBoxInfo {
        name: "HTTPResponseBox",
        methods: &[],
    },
    BuiltinBoxInfo {
        name: "ChannelBox",
        methods: &[
            "sendMessage",
            "announce",
            "toString",
            "sender",
            "receiver",
            "equals",
        ],
    },
];

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
    pub fn info(self) -> &'static BuiltinBoxInfo {
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
}
