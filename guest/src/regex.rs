//! A small regular-expression engine for RegexBox: a parser for a subset of the `regex`
//! crate's syntax (the syntax upstream uses) and a Pike VM, so matching takes time linear in
//! the input times the pattern size, whatever the pattern. Hand-written because the
//! `regex-automata` crate added about 310 KB to every program (see `docs/builtins.md`).
//!
//! Supported: literals and escapes (`\n \t \r \f \v \0 \xHH \x{H…} \u{H…}` and escaped
//! metacharacters); `.`; classes `[a-z]`, `[^…]`, with `\d \w \s` inside; `\d \D \w \W \s \S`;
//! anchors `^ $ \A \z \b \B`; groups `( )`, `(?: )`, `(?P<name> )`, `(?<name> )`; flags
//! `(?i) (?m) (?s) (?U)`, also scoped as `(?i: … )`; alternation `|`; repetition
//! `* + ? {n} {n,} {n,m}` and their lazy forms with a trailing `?`. Searches are
//! leftmost-first, like the `regex` crate.

use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

const MAX_INSTS: usize = 100_000;
const MAX_DEPTH: u32 = 200;
const MAX_REPEAT: u32 = 1000;

#[derive(Clone, Copy, PartialEq)]
enum Look {
    Start,
    End,
    LineStart,
    LineEnd,
    WordBoundary,
    NotWordBoundary,
}

#[derive(Clone, Copy, PartialEq)]
enum Perl {
    Digit,
    Space,
    Word,
}

impl Perl {
    fn matches(self, c: char) -> bool {
        match self {
            Perl::Digit => c.is_ascii_digit(),
            Perl::Space => c.is_whitespace(),
            Perl::Word => is_word(c),
        }
    }
}

#[derive(Clone)]
struct Class {
    ranges: Vec<(char, char)>,
    /// `\d`, `\s`, `\w` (or, `true`, their negations) inside the class.
    perls: Vec<(Perl, bool)>,
    negated: bool,
    fold: bool,
}

impl Class {
    fn matches(&self, c: char) -> bool {
        let hit = |c: char| {
            self.ranges.iter().any(|&(a, b)| a <= c && c <= b)
                || self.perls.iter().any(|&(p, neg)| p.matches(c) != neg)
        };
        let mut found = hit(c);
        if !found && self.fold {
            found = c.to_lowercase().any(hit) || c.to_uppercase().any(hit);
        }
        found != self.negated
    }
}

#[derive(Clone)]
enum Node {
    Empty,
    Char(char, bool),
    Any(bool),
    Class(Class),
    Look(Look),
    Group(Box<Node>, Option<usize>),
    Concat(Vec<Node>),
    Alt(Vec<Node>),
    Repeat {
        node: Box<Node>,
        min: u32,
        max: Option<u32>,
        greedy: bool,
    },
}

#[derive(Clone, Copy)]
struct Flags {
    fold: bool,
    multi_line: bool,
    dot_all: bool,
    swap_greed: bool,
}

struct Parser<'a> {
    chars: Vec<char>,
    at: usize,
    groups: usize,
    names: Vec<(String, usize)>,
    _src: &'a str,
}

type PResult<T> = Result<T, String>;

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn perl_class(c: char) -> Option<Class> {
    let p = match c.to_ascii_lowercase() {
        'd' => Perl::Digit,
        's' => Perl::Space,
        'w' => Perl::Word,
        _ => return None,
    };
    Some(Class {
        ranges: Vec::new(),
        perls: vec![(p, c.is_ascii_uppercase())],
        negated: false,
        fold: false,
    })
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }
    fn next(&mut self) -> Option<char> {
        let c = self.peek();
        if c.is_some() {
            self.at += 1;
        }
        c
    }
    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.at += 1;
            true
        } else {
            false
        }
    }
    fn err<T>(&self, msg: &str) -> PResult<T> {
        Err(format!("{msg} (at character {})", self.at))
    }

    fn alternation(&mut self, flags: &mut Flags, depth: u32) -> PResult<Node> {
        if depth > MAX_DEPTH {
            return self.err("pattern nested too deeply");
        }
        let mut branches = vec![self.concat(flags, depth)?];
        while self.eat('|') {
            branches.push(self.concat(flags, depth)?);
        }
        Ok(if branches.len() == 1 {
            branches.pop().unwrap()
        } else {
            Node::Alt(branches)
        })
    }

    fn concat(&mut self, flags: &mut Flags, depth: u32) -> PResult<Node> {
        let mut items = Vec::new();
        while let Some(c) = self.peek() {
            if c == '|' || c == ')' {
                break;
            }
            let atom = match self.atom(flags, depth)? {
                Some(a) => a,
                None => continue,
            };
            let atom = self.repetition(atom, flags)?;
            items.push(atom);
        }
        Ok(match items.len() {
            0 => Node::Empty,
            1 => items.pop().unwrap(),
            _ => Node::Concat(items),
        })
    }

    fn number(&mut self) -> Option<u32> {
        let start = self.at;
        let mut n: u32 = 0;
        while let Some(d) = self.peek().and_then(|c| c.to_digit(10)) {
            n = n.saturating_mul(10).saturating_add(d);
            self.at += 1;
        }
        (self.at > start).then_some(n)
    }

    fn repetition(&mut self, mut atom: Node, flags: &Flags) -> PResult<Node> {
        loop {
            let (min, max) = match self.peek() {
                Some('*') => (0, None),
                Some('+') => (1, None),
                Some('?') => (0, Some(1)),
                Some('{') => {
                    let save = self.at;
                    self.at += 1;
                    let Some(min) = self.number() else {
                        self.at = save;
                        return self.err("expected a number after '{'");
                    };
                    let max = if self.eat(',') {
                        self.number()
                    } else {
                        Some(min)
                    };
                    if !self.eat('}') {
                        return self.err("unclosed counted repetition");
                    }
                    self.at -= 1;
                    if min > MAX_REPEAT || max.is_some_and(|m| m > MAX_REPEAT) {
                        return self.err("repetition count too large (at most 1000)");
                    }
                    if max.is_some_and(|m| m < min) {
                        return self.err("invalid repetition range (max < min)");
                    }
                    (min, max)
                }
                _ => return Ok(atom),
            };
            self.at += 1;
            if matches!(atom, Node::Look(_) | Node::Empty) {
                return self.err("repetition operator missing expression");
            }
            let lazy = self.eat('?');
            atom = Node::Repeat {
                node: Box::new(atom),
                min,
                max,
                greedy: lazy == flags.swap_greed,
            };
        }
    }

    fn escape(&mut self, flags: &Flags, in_class: bool) -> PResult<Node> {
        let Some(c) = self.next() else {
            return self.err("incomplete escape sequence");
        };
        let lit = |c: char| Node::Char(c, flags.fold);
        Ok(match c {
            'n' => lit('\n'),
            't' => lit('\t'),
            'r' => lit('\r'),
            'f' => lit('\u{c}'),
            'v' => lit('\u{b}'),
            '0' => lit('\0'),
            'a' => lit('\u{7}'),
            'x' | 'u' | 'U' => {
                let digits: String = if self.eat('{') {
                    let mut s = String::new();
                    loop {
                        match self.next() {
                            Some('}') => break,
                            Some(h) if h.is_ascii_hexdigit() && s.len() < 8 => s.push(h),
                            _ => return self.err("invalid hexadecimal escape"),
                        }
                    }
                    s
                } else {
                    let n = match c {
                        'x' => 2,
                        'u' => 4,
                        _ => 8,
                    };
                    let mut s = String::new();
                    for _ in 0..n {
                        match self.next() {
                            Some(h) if h.is_ascii_hexdigit() => s.push(h),
                            _ => return self.err("invalid hexadecimal escape"),
                        }
                    }
                    s
                };
                match u32::from_str_radix(&digits, 16)
                    .ok()
                    .and_then(char::from_u32)
                {
                    Some(ch) => lit(ch),
                    None => return self.err("invalid Unicode scalar value in escape"),
                }
            }
            'd' | 'D' | 's' | 'S' | 'w' | 'W' => Node::Class(perl_class(c).unwrap()),
            'A' if !in_class => Node::Look(Look::Start),
            'z' if !in_class => Node::Look(Look::End),
            'b' if !in_class => Node::Look(Look::WordBoundary),
            'B' if !in_class => Node::Look(Look::NotWordBoundary),
            c if c.is_ascii_punctuation() || c == ' ' => lit(c),
            other => return self.err(&format!("unrecognized escape sequence '\\{other}'")),
        })
    }

    fn class(&mut self, flags: &Flags) -> PResult<Node> {
        let negated = self.eat('^');
        let mut ranges = Vec::new();
        let mut perls = Vec::new();
        let mut first = true;
        loop {
            let Some(c) = self.next() else {
                return self.err("unclosed character class");
            };
            if c == ']' && !first {
                break;
            }
            first = false;
            if c == '[' && self.peek() == Some(':') {
                return self.err("POSIX classes like [[:alpha:]] are not supported");
            }
            let lo = if c == '\\' {
                match self.escape(flags, true)? {
                    Node::Char(ch, _) => ch,
                    Node::Class(k) => {
                        perls.extend(k.perls);
                        continue;
                    }
                    _ => return self.err("invalid escape in character class"),
                }
            } else {
                c
            };
            if self.peek() == Some('-') && self.chars.get(self.at + 1).is_some_and(|&n| n != ']') {
                self.at += 1;
                let hi = match self.next() {
                    Some('\\') => match self.escape(flags, true)? {
                        Node::Char(ch, _) => ch,
                        _ => return self.err("invalid range end in character class"),
                    },
                    Some(h) => h,
                    None => return self.err("unclosed character class"),
                };
                if hi < lo {
                    return self.err("invalid character class range");
                }
                ranges.push((lo, hi));
            } else {
                ranges.push((lo, lo));
            }
        }
        Ok(Node::Class(Class {
            ranges,
            perls,
            negated,
            fold: flags.fold,
        }))
    }

    fn group(&mut self, flags: &mut Flags, depth: u32) -> PResult<Option<Node>> {
        let mut capture = true;
        let mut name = None;
        let mut inner = *flags;
        if self.eat('?') {
            if self.eat('P') || self.peek() == Some('<') {
                if !self.eat('<') {
                    return self.err("expected '<' after '(?P'");
                }
                let mut n = String::new();
                loop {
                    match self.next() {
                        Some('>') if !n.is_empty() => break,
                        Some(c) if c.is_alphanumeric() || c == '_' => n.push(c),
                        _ => return self.err("invalid capture group name"),
                    }
                }
                name = Some(n);
            } else {
                let mut on = true;
                let mut scoped = false;
                loop {
                    match self.next() {
                        Some('i') => inner.fold = on,
                        Some('m') => inner.multi_line = on,
                        Some('s') => inner.dot_all = on,
                        Some('U') => inner.swap_greed = on,
                        Some('x') => return self.err("the (?x) flag is not supported"),
                        Some('-') if on => on = false,
                        Some(':') => {
                            scoped = true;
                            break;
                        }
                        Some(')') => break,
                        Some('=' | '!' | '<') => return self.err("look-around is not supported"),
                        _ => return self.err("unrecognized flag"),
                    }
                }
                if !scoped {
                    // `(?i)`: the flags hold until the end of the enclosing group.
                    *flags = inner;
                    return Ok(None);
                }
                capture = false;
            }
        }
        let index = if capture {
            self.groups += 1;
            if let Some(n) = name {
                self.names.push((n, self.groups));
            }
            Some(self.groups)
        } else {
            None
        };
        let node = self.alternation(&mut inner, depth + 1)?;
        if !self.eat(')') {
            return self.err("unclosed group");
        }
        Ok(Some(Node::Group(Box::new(node), index)))
    }

    fn atom(&mut self, flags: &mut Flags, depth: u32) -> PResult<Option<Node>> {
        let c = self.next().unwrap();
        Ok(Some(match c {
            '(' => return self.group(flags, depth),
            '[' => self.class(flags)?,
            '.' => Node::Any(flags.dot_all),
            '^' => Node::Look(if flags.multi_line {
                Look::LineStart
            } else {
                Look::Start
            }),
            '$' => Node::Look(if flags.multi_line {
                Look::LineEnd
            } else {
                Look::End
            }),
            '\\' => self.escape(flags, false)?,
            '*' | '+' | '?' => return self.err("repetition operator missing expression"),
            c => Node::Char(c, flags.fold),
        }))
    }
}

/// One instruction of the Pike VM.
#[derive(Clone)]
enum Inst {
    Char(char, bool),
    Any(bool),
    Class(Box<Class>),
    Look(Look),
    Split(usize, usize),
    Jmp(usize),
    Save(usize),
    Match,
}

/// A compiled pattern.
pub struct Regex {
    insts: Vec<Inst>,
    /// Number of capture groups, including group 0 (the whole match).
    pub groups: usize,
    names: Vec<(String, usize)>,
}

struct Compiler {
    insts: Vec<Inst>,
}

impl Compiler {
    fn push(&mut self, i: Inst) -> PResult<usize> {
        if self.insts.len() >= MAX_INSTS {
            return Err(String::from("pattern too large"));
        }
        self.insts.push(i);
        Ok(self.insts.len() - 1)
    }
    fn node(&mut self, n: &Node) -> PResult<()> {
        match n {
            Node::Empty => {}
            Node::Char(c, fold) => {
                let c = if *fold { fold_char(*c) } else { *c };
                self.push(Inst::Char(c, *fold))?;
            }
            Node::Any(dot_all) => {
                self.push(Inst::Any(*dot_all))?;
            }
            Node::Class(c) => {
                self.push(Inst::Class(Box::new(c.clone())))?;
            }
            Node::Look(l) => {
                self.push(Inst::Look(*l))?;
            }
            Node::Group(inner, index) => {
                if let Some(i) = index {
                    self.push(Inst::Save(2 * i))?;
                    self.node(inner)?;
                    self.push(Inst::Save(2 * i + 1))?;
                } else {
                    self.node(inner)?;
                }
            }
            Node::Concat(items) => {
                for i in items {
                    self.node(i)?;
                }
            }
            Node::Alt(branches) => {
                let mut jumps = Vec::new();
                for (k, b) in branches.iter().enumerate() {
                    if k + 1 < branches.len() {
                        let split = self.push(Inst::Split(0, 0))?;
                        self.node(b)?;
                        jumps.push(self.push(Inst::Jmp(0))?);
                        let next = self.insts.len();
                        self.insts[split] = Inst::Split(split + 1, next);
                    } else {
                        self.node(b)?;
                    }
                }
                let end = self.insts.len();
                for j in jumps {
                    self.insts[j] = Inst::Jmp(end);
                }
            }
            Node::Repeat {
                node,
                min,
                max,
                greedy,
            } => {
                for _ in 0..*min {
                    self.node(node)?;
                }
                let split = |this: &mut Compiler, at: usize, body: usize, out: usize| {
                    this.insts[at] = if *greedy {
                        Inst::Split(body, out)
                    } else {
                        Inst::Split(out, body)
                    };
                };
                match max {
                    None => {
                        let at = self.push(Inst::Split(0, 0))?;
                        self.node(node)?;
                        self.push(Inst::Jmp(at))?;
                        let out = self.insts.len();
                        split(self, at, at + 1, out);
                    }
                    Some(max) => {
                        let mut holes = Vec::new();
                        for _ in *min..*max {
                            holes.push(self.push(Inst::Split(0, 0))?);
                            self.node(node)?;
                        }
                        let out = self.insts.len();
                        for at in holes {
                            split(self, at, at + 1, out);
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

fn fold_char(c: char) -> char {
    c.to_lowercase().next().unwrap_or(c)
}

impl Regex {
    /// Parses and compiles `pattern`.
    pub fn new(pattern: &str) -> Result<Regex, String> {
        let mut p = Parser {
            chars: pattern.chars().collect(),
            at: 0,
            groups: 0,
            names: Vec::new(),
            _src: pattern,
        };
        let mut flags = Flags {
            fold: false,
            multi_line: false,
            dot_all: false,
            swap_greed: false,
        };
        let node = p.alternation(&mut flags, 0)?;
        if p.at < p.chars.len() {
            return p.err("unopened group (unexpected ')')");
        }
        let mut c = Compiler { insts: Vec::new() };
        c.push(Inst::Save(0))?;
        c.node(&node)?;
        c.push(Inst::Save(1))?;
        c.push(Inst::Match)?;
        Ok(Regex {
            insts: c.insts,
            groups: p.groups + 1,
            names: p.names,
        })
    }

    /// The index of the group called `name`.
    pub fn group_index(&self, name: &str) -> Option<usize> {
        self.names.iter().find(|(n, _)| n == name).map(|&(_, i)| i)
    }

    /// The first match at or after byte offset `start`: every group's span (or None).
    pub fn captures_at(&self, text: &str, start: usize) -> Option<Vec<Option<usize>>> {
        let n = self.insts.len();
        let slots = 2 * self.groups;
        let mut clist = Threads::new(n);
        let mut nlist = Threads::new(n);
        let mut matched: Option<Vec<Option<usize>>> = None;
        let mut pos = start;
        let mut stack = Vec::new();
        loop {
            if matched.is_none() {
                let caps = vec![None; slots];
                self.add(&mut clist, &mut stack, 0, text, pos, caps);
            }
            if clist.list.is_empty() && (matched.is_some() || pos >= text.len()) {
                break;
            }
            let c = text[pos..].chars().next();
            let next_pos = pos + c.map_or(0, char::len_utf8);
            let threads = core::mem::take(&mut clist.list);
            for (pc, caps) in threads {
                let ok = match &self.insts[pc] {
                    Inst::Match => {
                        // Lower-priority threads are dropped (leftmost-first).
                        matched = Some(caps);
                        break;
                    }
                    Inst::Char(want, fold) => c.is_some_and(|c| {
                        if *fold {
                            fold_char(c) == *want
                        } else {
                            c == *want
                        }
                    }),
                    Inst::Any(dot_all) => c.is_some_and(|c| *dot_all || c != '\n'),
                    Inst::Class(k) => c.is_some_and(|c| k.matches(c)),
                    _ => false,
                };
                if ok {
                    self.add(&mut nlist, &mut stack, pc + 1, text, next_pos, caps);
                }
            }
            clist.clear();
            core::mem::swap(&mut clist, &mut nlist);
            if c.is_none() {
                break;
            }
            pos = next_pos;
        }
        matched
    }

    /// Follows the epsilon transitions from `pc`, adding every consuming or matching state.
    fn add(
        &self,
        list: &mut Threads,
        stack: &mut Vec<Frame>,
        pc: usize,
        text: &str,
        pos: usize,
        mut caps: Vec<Option<usize>>,
    ) {
        stack.push(Frame::Explore(pc));
        while let Some(f) = stack.pop() {
            let pc = match f {
                Frame::Restore(slot, old) => {
                    caps[slot] = old;
                    continue;
                }
                Frame::Explore(pc) => pc,
            };
            if list.seen[pc] == list.gen {
                continue;
            }
            list.seen[pc] = list.gen;
            match &self.insts[pc] {
                Inst::Jmp(to) => stack.push(Frame::Explore(*to)),
                Inst::Split(a, b) => {
                    stack.push(Frame::Explore(*b));
                    stack.push(Frame::Explore(*a));
                }
                Inst::Save(slot) => {
                    if *slot < caps.len() {
                        stack.push(Frame::Restore(*slot, caps[*slot]));
                        caps[*slot] = Some(pos);
                    }
                    stack.push(Frame::Explore(pc + 1));
                }
                Inst::Look(l) => {
                    if look_holds(*l, text, pos) {
                        stack.push(Frame::Explore(pc + 1));
                    }
                }
                _ => list.list.push((pc, caps.clone())),
            }
        }
    }
}

enum Frame {
    Explore(usize),
    Restore(usize, Option<usize>),
}

struct Threads {
    list: Vec<(usize, Vec<Option<usize>>)>,
    seen: Vec<u32>,
    gen: u32,
}

impl Threads {
    fn new(n: usize) -> Threads {
        Threads {
            list: Vec::new(),
            seen: vec![0; n],
            gen: 1,
        }
    }
    fn clear(&mut self) {
        self.list.clear();
        self.gen = self.gen.wrapping_add(1);
        if self.gen == 0 {
            self.seen.iter_mut().for_each(|s| *s = 0);
            self.gen = 1;
        }
    }
}

fn look_holds(l: Look, text: &str, pos: usize) -> bool {
    let before = text[..pos].chars().next_back();
    let after = text[pos..].chars().next();
    match l {
        Look::Start => pos == 0,
        Look::End => pos == text.len(),
        Look::LineStart => before.is_none_or(|c| c == '\n'),
        Look::LineEnd => after.is_none_or(|c| c == '\n'),
        Look::WordBoundary | Look::NotWordBoundary => {
            let b = before.is_some_and(is_word) != after.is_some_and(is_word);
            b == (l == Look::WordBoundary)
        }
    }
}
