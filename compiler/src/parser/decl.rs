//! Declarations: functions, boxes and interfaces.

use super::{PResult, Parser, Recover};
use crate::ast::{
    BoxDecl, CtorForm, FieldDecl, FieldSection, FunctionDecl, Ident, InterfaceDecl, Member,
};
use crate::diagnostics::{Code, Diagnostic};
use crate::token::{Token, TokenKind};

impl Parser<'_, '_> {
    /// After `function`: the name, parameters and body.
    pub(crate) fn function_rest(&mut self, start: Token) -> PResult<FunctionDecl> {
        let name = self.ident("a function name")?;
        self.function_after_name(start, name)
    }

    /// After the function's name: parameters and body.
    pub(crate) fn function_after_name(
        &mut self,
        start: Token,
        name: Ident,
    ) -> PResult<FunctionDecl> {
        let params = self.params()?;
        let body = self.block()?;
        Ok(FunctionDecl {
            name,
            params,
            body,
            span: self.span_from(start.start),
        })
    }

    /// `( a, b c )`: commas optional, newlines ignored.
    fn params(&mut self) -> PResult<Vec<Ident>> {
        if self.raw_kind(0) != TokenKind::LParen {
            return Err(self.unexpected("`(` and the parameter list"));
        }
        self.bump();
        self.newline_insensitive += 1;
        let mut params = Vec::new();
        while !self.at(TokenKind::RParen) {
            params.push(self.ident("a parameter name")?);
            if self.at(TokenKind::Colon) {
                let colon = self.tok();
                self.report(
                    Diagnostic::new(
                        Code::TypeAnnotation,
                        self.span(colon),
                        "Nyash has no type annotations",
                    )
                    .label("type annotation")
                    .hint("write only the parameter's name"),
                );
                self.bump();
                self.ident("a type name")?;
            }
            self.eat(TokenKind::Comma);
        }
        self.newline_insensitive -= 1;
        self.bump();
        Ok(params)
    }

    fn name_list(&mut self, what: &str) -> PResult<Vec<Ident>> {
        let mut names = vec![self.ident(what)?];
        while self.raw_kind(0) == TokenKind::Comma {
            self.bump();
            self.skip_newlines();
            names.push(self.ident(what)?);
        }
        Ok(names)
    }

    /// `box Name<T> from A, B interface I { members }`; `start` is `box`, `static` or a
    /// foreign `class` keyword (already reported).
    pub(crate) fn box_decl(&mut self, is_static: bool, start: Token) -> PResult<BoxDecl> {
        self.bump_until_box_keyword(start);
        let name = self.ident("a box name")?;
        let mut type_params = Vec::new();
        if self.raw_kind(0) == TokenKind::Lt {
            self.bump();
            type_params = self.name_list("a type parameter")?;
            self.expect(TokenKind::Gt, "`>` after the type parameters")?;
        }
        let mut parents = Vec::new();
        let t = self.tok();
        let word = self.text_of(t).to_string();
        if t.kind == TokenKind::Colon || (t.kind == TokenKind::Ident && word == "extends") {
            self.report(
                Diagnostic::new(
                    Code::WrongDelegationSyntax,
                    self.span(t),
                    "a box names its parents with `from`",
                )
                .label(if t.kind == TokenKind::Colon {
                    "`:` is not delegation syntax"
                } else {
                    "`extends` is not a Nyash keyword"
                })
                .hint(format!("write `box {} from Parent`", name.name)),
            );
            self.bump();
            parents = self.name_list("a parent box name")?;
        } else if self.eat(TokenKind::From) {
            parents = self.name_list("a parent box name")?;
        }
        let mut interfaces = Vec::new();
        if self.eat(TokenKind::Interface) {
            interfaces = self.name_list("an interface name")?;
        }
        let members = self.box_body(&name, is_static)?;
        Ok(BoxDecl {
            is_static,
            name,
            type_params,
            parents,
            interfaces,
            members,
            span: self.span_from(start.start),
        })
    }

    /// Consumes `static` and/or `box` (or the foreign word that replaced `box`).
    fn bump_until_box_keyword(&mut self, start: Token) {
        if self.peek() == TokenKind::Static || self.pos_is(start) {
            self.bump();
        }
        if self.peek() == TokenKind::Box {
            self.bump();
        }
    }

    fn pos_is(&mut self, t: Token) -> bool {
        let cur = self.tok();
        cur.start == t.start && cur.kind == t.kind
    }

    fn box_body(&mut self, name: &Ident, is_static: bool) -> PResult<Vec<Member>> {
        self.skip_newlines();
        let open = self.expect(TokenKind::LBrace, "`{` to start the box body")?;
        self.nested(|p| {
            let mut members = Vec::new();
            loop {
                while matches!(
                    p.raw_kind(0),
                    TokenKind::Newline | TokenKind::Semicolon | TokenKind::Comma
                ) {
                    p.pos += 1;
                }
                match p.raw_kind(0) {
                    TokenKind::RBrace => {
                        p.bump();
                        return Ok(members);
                    }
                    TokenKind::Eof => {
                        let t = p.tok();
                        return Err(p.fail(
                            Diagnostic::new(
                                Code::UnexpectedEof,
                                p.span(t),
                                format!("the file ends before box `{}` is closed", name.name),
                            )
                            .label("expected `}`")
                            .with_secondary(p.span(open), "the box body starts here"),
                        ));
                    }
                    _ => {}
                }
                let saved = (p.depth, p.newline_insensitive, p.pos);
                match p.member(name, is_static, &mut members) {
                    Ok(()) => {}
                    Err(Recover) => {
                        p.depth = saved.0;
                        p.newline_insensitive = saved.1;
                        if p.pos == saved.2 {
                            p.pos += 1;
                        }
                        p.synchronize();
                    }
                }
            }
        })
    }

    fn member(&mut self, box_name: &Ident, is_static: bool, out: &mut Vec<Member>) -> PResult<()> {
        let t = self.tok();
        let next = self.raw_kind(1);
        match t.kind {
            TokenKind::Init if next == TokenKind::LBrace => {
                out.push(self.field_block(FieldSection::Init)?);
            }
            TokenKind::Init | TokenKind::Pack | TokenKind::Birth if next == TokenKind::LParen => {
                let form = match t.kind {
                    TokenKind::Init => CtorForm::Init,
                    TokenKind::Pack => CtorForm::Pack,
                    _ => CtorForm::Birth,
                };
                out.push(self.constructor(form, t, is_static)?);
            }
            TokenKind::Static if next == TokenKind::LBrace || next == TokenKind::Newline => {
                self.bump();
                let block = self.block()?;
                if !is_static {
                    self.report(
                        Diagnostic::new(
                            Code::MisplacedMember,
                            self.span(t),
                            "only a static box can have a `static { }` initializer",
                        )
                        .label("in an ordinary box")
                        .hint(format!(
                            "declare `static box {}`, or move this code into `birth(…)`",
                            box_name.name
                        )),
                    );
                }
                out.push(Member::StaticInit(block));
            }
            TokenKind::Override => {
                self.bump();
                let n = self.tok();
                if matches!(n.kind, TokenKind::Init | TokenKind::Pack | TokenKind::Birth)
                    || (n.kind == TokenKind::Ident && self.text_of(n) == box_name.name)
                {
                    self.report(
                        Diagnostic::new(
                            Code::OverrideConstructor,
                            self.span(t),
                            "a constructor cannot be marked `override`",
                        )
                        .label("not allowed on a constructor")
                        .hint("remove `override`; call the parent's constructor with `from Parent.birth(…)`"),
                    );
                    return self.member(box_name, is_static, out);
                }
                let name = self.ident("a method name after `override`")?;
                let func = self.function_after_name(t, name)?;
                out.push(Member::Method {
                    is_override: true,
                    func,
                });
            }
            TokenKind::Weak => {
                self.bump();
                let name = self.ident("a field name after `weak`")?;
                let span = self.span_from(t.start);
                out.push(Member::Fields {
                    section: FieldSection::Bare,
                    fields: vec![FieldDecl { name, weak: true }],
                    span,
                });
            }
            TokenKind::Function => {
                self.report(
                    Diagnostic::new(
                        Code::FunctionInBox,
                        self.span(t),
                        "methods are declared without `function`",
                    )
                    .label("not needed inside a box")
                    .hint("write `name(params) { … }`"),
                );
                self.bump();
                return self.member(box_name, is_static, out);
            }
            TokenKind::Ident => {
                let word = self.text_of(t).to_string();
                if next == TokenKind::LParen && word == box_name.name {
                    out.push(self.constructor(CtorForm::Named, t, is_static)?);
                } else if next == TokenKind::LBrace && (word == "public" || word == "private") {
                    let section = if word == "public" {
                        FieldSection::Public
                    } else {
                        FieldSection::Private
                    };
                    out.push(self.field_block(section)?);
                } else if next == TokenKind::LParen {
                    let name = self.ident("a method name")?;
                    if name.name == "constructor" || name.name == "__init__" {
                        self.report(
                            Diagnostic::new(
                                Code::NotAConstructor,
                                name.span,
                                format!("`{}` is an ordinary method, not a constructor", name.name),
                            )
                            .label("this will not run on `new`")
                            .hint("constructors are written `birth(…)`"),
                        );
                    }
                    let func = self.function_after_name(t, name)?;
                    out.push(Member::Method {
                        is_override: false,
                        func,
                    });
                } else {
                    let name = self.ident("a field name")?;
                    if self.at(TokenKind::Colon) {
                        let colon = self.tok();
                        self.report(
                            Diagnostic::new(
                                Code::TypeAnnotation,
                                self.span(colon),
                                "Nyash has no type annotations",
                            )
                            .label("type annotation")
                            .hint("write only the field's name"),
                        );
                        self.bump();
                        self.ident("a type name")?;
                    }
                    out.push(Member::Fields {
                        section: FieldSection::Bare,
                        fields: vec![FieldDecl { name, weak: false }],
                        span: self.span(t),
                    });
                }
            }
            _ => {
                return Err(self.unexpected("a field, a method or a constructor"));
            }
        }
        Ok(())
    }

    fn constructor(&mut self, form: CtorForm, t: Token, is_static: bool) -> PResult<Member> {
        let name = Ident {
            name: self.text_of(t).to_string(),
            span: self.span(t),
        };
        self.bump();
        let func = self.function_after_name(t, name)?;
        if is_static {
            self.report(
                Diagnostic::new(
                    Code::MisplacedMember,
                    func.name.span,
                    "a static box cannot have a constructor",
                )
                .label("constructor in a static box")
                .hint("put one-time setup in a `static { … }` block"),
            );
        }
        Ok(Member::Constructor { form, func })
    }

    /// `init { a, weak b }`, `public { x }`, `private { y }`.
    fn field_block(&mut self, section: FieldSection) -> PResult<Member> {
        let start = self.bump();
        self.bump();
        let mut fields = Vec::new();
        loop {
            while matches!(
                self.raw_kind(0),
                TokenKind::Newline | TokenKind::Comma | TokenKind::Semicolon
            ) {
                self.pos += 1;
            }
            if self.raw_kind(0) == TokenKind::RBrace {
                self.bump();
                break;
            }
            let weak = self.eat(TokenKind::Weak);
            let name = self.ident("a field name")?;
            fields.push(FieldDecl { name, weak });
        }
        Ok(Member::Fields {
            section,
            fields,
            span: self.span_from(start.start),
        })
    }

    /// `interface box Name { m(a) n() }`.
    pub(crate) fn interface_decl(&mut self) -> PResult<InterfaceDecl> {
        let start = self.bump();
        self.expect(TokenKind::Box, "`box` after `interface`")?;
        let name = self.ident("an interface name")?;
        self.skip_newlines();
        self.expect(TokenKind::LBrace, "`{`")?;
        let mut methods = Vec::new();
        loop {
            while matches!(
                self.raw_kind(0),
                TokenKind::Newline | TokenKind::Comma | TokenKind::Semicolon
            ) {
                self.pos += 1;
            }
            if self.raw_kind(0) == TokenKind::RBrace {
                self.bump();
                break;
            }
            let method = self.ident("a method signature")?;
            let params = self.params()?;
            methods.push((method, params));
        }
        Ok(InterfaceDecl {
            name,
            methods,
            span: self.span_from(start.start),
        })
    }
}
