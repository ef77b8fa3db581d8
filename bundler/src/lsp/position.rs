//! Byte offsets to LSP positions and back. LSP counts columns in UTF-16 code units.

use lsp_types::{Position, Range};

/// The position of byte `offset` of `text` (clamped to the text).
pub fn position_of(text: &str, offset: u32) -> Position {
    let offset = (offset as usize).min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.matches('\n').count();
    let character: usize = before[line_start..].chars().map(char::len_utf16).sum();
    Position::new(line as u32, character as u32)
}

/// The range of bytes `start..end` of `text`.
pub fn range_of(text: &str, start: u32, end: u32) -> Range {
    Range::new(position_of(text, start), position_of(text, end))
}

/// The byte offset of `position` in `text` (clamped to its line and to the text).
pub fn offset_of(text: &str, position: Position) -> u32 {
    let mut line_start = 0usize;
    for _ in 0..position.line {
        match text[line_start..].find('\n') {
            Some(i) => line_start += i + 1,
            None => return text.len() as u32,
        }
    }
    let mut units = 0u32;
    for (i, c) in text[line_start..].char_indices() {
        if c == '\n' || units >= position.character {
            return (line_start + i) as u32;
        }
        units += c.len_utf16() as u32;
    }
    text.len() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_columns_round_trip() {
        let text = "ab\n日𝄞x\n";
        let x = text.find('x').unwrap() as u32;
        assert_eq!(position_of(text, x), Position::new(1, 3));
        assert_eq!(offset_of(text, Position::new(1, 3)), x);
        assert_eq!(offset_of(text, Position::new(0, 99)), 2);
        assert_eq!(offset_of(text, Position::new(9, 0)), text.len() as u32);
    }
}
