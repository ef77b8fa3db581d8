//! Tokens produced by the [`crate::lexer`].

/// The kind of a token. Payloads (names, numbers, string contents) are read from the source
/// text through the token's span, which keeps tokens small.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum TokenKind {
    // Literals and names.
    Ident,
    Int,
    Float,
    /// A `"…"` string (the span includes the quotes).
    Str,
    /// A `'…'` string: already reported, parsed like a normal string.
    SingleQuotedStr,
    // Keywords.
    Box,
    Global,
    Singleton,
    New,
    If,
    Else,
    Loop,
    Break,
    Return,
    Function,
    Print,
    Me,
    Init,
    Pack,
    Birth,
    Nowait,
    Await,
    Interface,
    Include,
    Try,
    Catch,
    Finally,
    Throw,
    Local,
    Static,
    Outbox,
    Not,
    Override,
    From,
    Weak,
    Using,
    And,
    Or,
    True,
    False,
    Null,
    // Punctuation.
    Newline,
    LParen,
    RParen,
    LBrace,
    RBrace,
    LBracket,
    RBracket,
    Comma,
    Dot,
    Colon,
    Semicolon,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Assign,
    EqEq,
    NotEq,
    Lt,
    Le,
    Gt,
    Ge,
    Shr,
    Bang,
    PlusAssign,
    MinusAssign,
    StarAssign,
    SlashAssign,
    PercentAssign,
    /// Characters that start no token (already reported by the lexer).
    Unknown,
    Eof,
}

impl TokenKind {
    /// The keyword spelled `text`, if it is one. `fn` and `this` map to `function` and `me`.
    pub fn keyword(text: &str) -> Option<TokenKind> {
        use TokenKind::*;
        Some(match text {
            "box" => Box,
            "global" => Global,
            "singleton" => Singleton,
            "new" => New,
            "if" => If,
            "else" => Else,
            "loop" => Loop,
            "break" => Break,
            "return" => Return,
            "function" | "fn" => Function,
            "print" => Print,
            "this" | "me" => Me,
            "init" => Init,
            "pack" => Pack,
            "birth" => Birth,
            "nowait" => Nowait,
            "await" => Await,
            "interface" => Interface,
            "include" => Include,
            "try" => Try,
            "catch" => Catch,
            "finally" => Finally,
            "throw" => Throw,
            "local" => Local,
            "static" => Static,
            "outbox" => Outbox,
            "not" => Not,
            "override" => Override,
            "from" => From,
            "weak" => Weak,
            "using" => Using,
            "and" => And,
            "or" => Or,
            "true" => True,
            "false" => False,
            "null" => Null,
            _ => return None,
        })
    }

    /// `true` for reserved words.
    pub fn is_keyword(self) -> bool {
        use TokenKind::*;
        matches!(
            self,
            Box | Global
                | Singleton
                | New
                | If
                | Else
                | Loop
                | Break
                | Return
                | Function
                | Print
                | Me
                | Init
                | Pack
                | Birth
                | Nowait
                | Await
                | Interface
                | Include
                | Try
                | Catch
                | Finally
                | Throw
                | Local
                | Static
                | Outbox
                | Not
                | Override
                | From
                | Weak
                | Using
                | And
                | Or
                | True
                | False
                | Null
        )
    }

    /// How the token is described in "expected …, found …" messages.
    pub fn describe(self) -> &'static str {
        use TokenKind::*;
        match self {
            Ident => "a name",
            Int | Float => "a number",
            Str | SingleQuotedStr => "a string",
            Newline => "the end of the line",
            LParen => "`(`",
            RParen => "`)`",
            LBrace => "`{`",
            RBrace => "`}`",
            LBracket => "`[`",
            RBracket => "`]`",
            Comma => "`,`",
            Dot => "`.`",
            Colon => "`:`",
            Semicolon => "`;`",
            Plus => "`+`",
            Minus => "`-`",
            Star => "`*`",
            Slash => "`/`",
            Percent => "`%`",
            Assign => "`=`",
            EqEq => "`==`",
            NotEq => "`!=`",
            Lt => "`<`",
            Le => "`<=`",
            Gt => "`>`",
            Ge => "`>=`",
            Shr => "`>>`",
            Bang => "`!`",
            PlusAssign => "`+=`",
            MinusAssign => "`-=`",
            StarAssign => "`*=`",
            SlashAssign => "`/=`",
            PercentAssign => "`%=`",
            Unknown => "an unexpected character",
            Eof => "the end of the file",
            _ => "a keyword",
        }
    }
}

/// One token: a kind and the byte range it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    /// What it is.
    pub kind: TokenKind,
    /// Offset of its first byte.
    pub start: u32,
    /// Offset one past its last byte.
    pub end: u32,
}
