//! The builtin boxes and the methods each one answers: the one list the compiler's resolver
//! warns from (W0003) and the runtime's checking build verifies its dispatch against.
//!
//! A box with an empty method list (the network and GUI boxes) answers nothing the front end
//! knows about, so no call on it is reported.

/// A builtin box: its name and the methods it answers (including R14's additions).
#[derive(Debug)]
pub struct BoxMethods {
    /// The box's name, e.g. `StringBox`.
    pub name: &'static str,
    /// Method names.
    pub methods: &'static [&'static str],
}

/// Every builtin box, in a fixed order (the compiler's `BuiltinBox` indexes this table).
pub static BUILTIN_BOXES: &[BoxMethods] = &[
    BoxMethods {
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
    BoxMethods {
        name: "IntegerBox",
        methods: &[
            "toString",
            "abs",
            "max",
            "min",
            "toFloat",
            "toInteger",
            "pow",
            "equals",
        ],
    },
    BoxMethods {
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
            "toFloat",
            "equals",
        ],
    },
    BoxMethods {
        name: "BoolBox",
        methods: &["toString", "not", "and", "or", "equals"],
    },
    BoxMethods {
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
    BoxMethods {
        name: "ArrayBox",
        methods: &[
            "push", "pop", "length", "size", "isEmpty", "get", "set", "remove", "indexOf",
            "contains", "clear", "join", "sort", "reverse", "slice", "toString", "clone",
        ],
    },
    BoxMethods {
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
        ],
    },
    BoxMethods {
        name: "ConsoleBox",
        methods: &["log", "warn", "error", "clear", "readLine", "print"],
    },
    BoxMethods {
        name: "MathBox",
        methods: &[
            "abs", "max", "min", "pow", "sqrt", "getPi", "getE", "sin", "cos", "tan", "exp", "log",
            "log10", "floor", "ceil", "round",
        ],
    },
    BoxMethods {
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
    BoxMethods {
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
    BoxMethods {
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
    BoxMethods {
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
    BoxMethods {
        name: "FileBox",
        methods: &[
            "read", "write", "append", "exists", "delete", "copy", "path", "getPath", "toString",
        ],
    },
    BoxMethods {
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
    BoxMethods {
        name: "RegexBox",
        methods: &[
            "test", "isMatch", "find", "findAll", "replace", "split", "pattern", "toString",
        ],
    },
    BoxMethods {
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
    BoxMethods {
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
    BoxMethods {
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
    BoxMethods {
        name: "ErrorBox",
        methods: &["getMessage", "toString"],
    },
    BoxMethods {
        name: "FutureBox",
        methods: &["get", "ready", "equals", "toString"],
    },
    BoxMethods {
        name: "MethodBox",
        methods: &["invoke", "toString", "equals", "__receiver", "__name"],
    },
    BoxMethods {
        name: "RangeBox",
        methods: &[],
    },
    BoxMethods {
        name: "StreamBox",
        methods: &[],
    },
    BoxMethods {
        name: "SoundBox",
        methods: &[],
    },
    BoxMethods {
        name: "IntentBox",
        methods: &[],
    },
    BoxMethods {
        name: "P2PBox",
        methods: &[],
    },
    BoxMethods {
        name: "SocketBox",
        methods: &[
            "bind",
            "listen",
            "accept",
            "acceptTimeout",
            "connect",
            "read",
            "recvTimeout",
            "readLine",
            "readBytes",
            "readHttpRequest",
            "write",
            "__nextRequest",
            "__readResponse",
            "__clientRequest",
            "close",
            "fini",
            "setTimeout",
            "isConnected",
            "isServer",
            "localAddress",
            "remoteAddress",
            "localPort",
            "remotePort",
            "toString",
            "equals",
        ],
    },
    BoxMethods {
        name: "HTTPServerBox",
        methods: &[],
    },
    BoxMethods {
        name: "HTTPClientBox",
        methods: &[],
    },
    BoxMethods {
        name: "HttpClientBox",
        methods: &[],
    },
    BoxMethods {
        name: "HTTPRequestBox",
        methods: &[
            "getMethod",
            "getPath",
            "path",
            "getQueryString",
            "getQuery",
            "getQueryParams",
            "getHeader",
            "hasHeader",
            "getAllHeaders",
            "getBody",
            "readBody",
            "getContentType",
            "getContentLength",
            "getVersion",
            "getRemoteAddress",
            "toString",
            "equals",
            "__route",
            "__reply",
            "__closing",
            "__report",
        ],
    },
    BoxMethods {
        name: "HTTPResponseBox",
        methods: &[
            "setStatus",
            "setHeader",
            "setContentType",
            "setBody",
            "appendBody",
            "write",
            "getStatus",
            "getStatusMessage",
            "getHeader",
            "getAllHeaders",
            "getBody",
            "readBody",
            "toHttpString",
            "toString",
            "equals",
        ],
    },
    BoxMethods {
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

/// The entry of the builtin box called `name`.
pub fn by_name(name: &str) -> Option<&'static BoxMethods> {
    BUILTIN_BOXES.iter().find(|b| b.name == name)
}

/// Whether builtin box `box_name` lists method `method`. `None` when `box_name` is not a
/// builtin box or lists no methods.
pub fn lists(box_name: &str, method: &str) -> Option<bool> {
    let b = by_name(box_name)?;
    (!b.methods.is_empty()).then(|| b.methods.contains(&method))
}
