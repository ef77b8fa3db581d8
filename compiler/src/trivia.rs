//! Trivia: the comments and blank lines between tokens.
//!
//! The lexer stores no trivia, so `nyash check` pays nothing for it. Every token carries its
//! exact byte range, and between two tokens the lexer skips only whitespace other than `\n`
//! and at most one line comment (a `\n` is always a [`crate::token::TokenKind::Newline`]
//! token, and a comment runs to the end of its line). So the text between two consecutive
//! tokens *is* their trivia, and blank lines are runs of newline tokens. [`comment_in`] reads
//! a comment back on demand, for the formatter and the language server.

/// The `//` or `#` comment in `gap`, the text the lexer skipped between two tokens, without
/// surrounding whitespace; `None` when the gap is only whitespace.
///
/// A gap that holds a block comment (an error the lexer reports) comes back whole.
pub fn comment_in(gap: &str) -> Option<&str> {
    let text = gap.trim_matches(char::is_whitespace);
    (!text.is_empty()).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_comment_of_a_gap() {
        assert_eq!(comment_in("   "), None);
        assert_eq!(comment_in(""), None);
        assert_eq!(comment_in("  // a b  "), Some("// a b"));
        assert_eq!(comment_in("\t# x"), Some("# x"));
    }
}
