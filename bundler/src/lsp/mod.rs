//! `nyash lsp`: a language server over standard input and output.
//!
//! Built on `lsp-server` (the JSON-RPC transport of rust-analyzer) and `lsp-types`. Each open
//! document is checked as the entry of a program whenever it changes, with the texts of open
//! documents taking the place of the files on disk; the diagnostics are those of
//! `nyash check`, with the same codes and messages. Go to definition, hover, document symbols
//! and completion come from [`index::Index`], which reads the parsed files and so still
//! answers while a file has errors; formatting is `nyash fmt`.

mod index;
mod position;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use lsp_server::{Connection, Message, Notification, Request, Response};
use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionOptions, CompletionParams, CompletionResponse,
    Diagnostic as LspDiagnostic, DiagnosticRelatedInformation, DiagnosticSeverity,
    DidChangeTextDocumentParams, DidCloseTextDocumentParams, DidOpenTextDocumentParams,
    DocumentFormattingParams, DocumentSymbol, DocumentSymbolParams, DocumentSymbolResponse,
    GotoDefinitionParams, GotoDefinitionResponse, Hover, HoverContents, HoverParams,
    HoverProviderCapability, Location, MarkupContent, MarkupKind, NumberOrString, OneOf,
    PublishDiagnosticsParams, ServerCapabilities, SymbolKind, TextDocumentSyncCapability,
    TextDocumentSyncKind, TextEdit, Uri,
};
use nyash_compiler::diagnostics::Severity;
use nyash_compiler::format::format_source;
use nyash_compiler::source::{normalize_path, FileId, SourceLoader};
use nyash_compiler::{load_program, Checked};

use crate::error::{CliError, Result};
use index::{Index, Kind};
use position::{offset_of, range_of};

/// Runs the server until the client asks it to exit.
pub fn serve() -> Result<()> {
    let (connection, threads) = Connection::stdio();
    let capabilities = ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        definition_provider: Some(OneOf::Left(true)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        document_symbol_provider: Some(OneOf::Left(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![".".into()]),
            ..CompletionOptions::default()
        }),
        ..ServerCapabilities::default()
    };
    let protocol = |e: lsp_server::ProtocolError| {
        CliError::new(format!("the language client broke the protocol: {e}"))
            .hint("`nyash lsp` is started by an editor and speaks LSP on stdin and stdout")
    };
    let caps = serde_json::to_value(capabilities).unwrap_or_default();
    let _ = connection.initialize(caps).map_err(protocol)?;
    let mut server = Server {
        connection,
        documents: HashMap::new(),
    };
    server.main_loop().map_err(protocol)?;
    drop(server);
    threads
        .join()
        .map_err(|e| CliError::new(format!("the language server's IO failed: {e}")))
}

/// One open document and what was learned from it.
struct Document {
    path: PathBuf,
    text: String,
    checked: Checked,
    index: Index,
}

struct Server {
    connection: Connection,
    documents: HashMap<String, Document>,
}

/// Open documents in place of the files on disk.
struct Overlay<'a> {
    open: Vec<(PathBuf, &'a str)>,
}

impl SourceLoader for Overlay<'_> {
    fn read(&self, path: &Path) -> std::result::Result<Vec<u8>, String> {
        let path = normalize_path(path);
        if let Some((_, text)) = self.open.iter().find(|(p, _)| *p == path) {
            return Ok(text.as_bytes().to_vec());
        }
        std::fs::read(&path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))
    }

    fn canonical(&self, path: &Path) -> PathBuf {
        std::fs::canonicalize(path).unwrap_or_else(|_| normalize_path(path))
    }
}

/// The file path of a `file:` URI.
fn path_of(uri: &Uri) -> PathBuf {
    let text = uri.as_str();
    let rest = text.strip_prefix("file://").unwrap_or(text);
    let bytes = rest.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    PathBuf::from(String::from_utf8_lossy(&out).into_owned())
}

/// The `file:` URI of a path.
fn uri_of(path: &Path) -> Option<Uri> {
    let mut text = String::from("file://");
    for b in path.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            text.push(b as char);
        } else {
            text += &format!("%{b:02X}");
        }
    }
    text.parse().ok()
}

impl Server {
    fn main_loop(&mut self) -> std::result::Result<(), lsp_server::ProtocolError> {
        while let Ok(message) = self.connection.receiver.recv() {
            match message {
                Message::Request(request) => {
                    if self.connection.handle_shutdown(&request)? {
                        return Ok(());
                    }
                    let id = request.id.clone();
                    let method = request.method.clone();
                    // A bug in one request must not take the editor's server down.
                    let response = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        self.request(request)
                    }))
                    .unwrap_or_else(|_| {
                        Response::new_err(
                            id,
                            lsp_server::ErrorCode::InternalError as i32,
                            format!("internal error in nyash lsp while answering {method}"),
                        )
                    });
                    self.send(Message::Response(response));
                }
                Message::Notification(n) => self.notification(n),
                Message::Response(_) => {}
            }
        }
        Ok(())
    }

    fn send(&self, message: Message) {
        let _ = self.connection.sender.send(message);
    }

    fn notification(&mut self, n: Notification) {
        match n.method.as_str() {
            "textDocument/didOpen" => {
                if let Ok(p) = serde_json::from_value::<DidOpenTextDocumentParams>(n.params) {
                    self.update(p.text_document.uri, p.text_document.text);
                }
            }
            "textDocument/didChange" => {
                if let Ok(mut p) = serde_json::from_value::<DidChangeTextDocumentParams>(n.params) {
                    if let Some(change) = p.content_changes.pop() {
                        self.update(p.text_document.uri, change.text);
                    }
                }
            }
            "textDocument/didClose" => {
                if let Ok(p) = serde_json::from_value::<DidCloseTextDocumentParams>(n.params) {
                    let _ = self.documents.remove(p.text_document.uri.as_str());
                    self.publish(p.text_document.uri, Vec::new());
                }
            }
            _ => {}
        }
    }

    /// Re-checks a document after a change and publishes its diagnostics.
    fn update(&mut self, uri: Uri, text: String) {
        let path = path_of(&uri);
        let path = std::fs::canonicalize(&path).unwrap_or_else(|_| normalize_path(&path));
        let open: Vec<(PathBuf, &str)> = self
            .documents
            .iter()
            .filter(|(u, _)| u.as_str() != uri.as_str())
            .map(|(_, d)| (d.path.clone(), d.text.as_str()))
            .chain(std::iter::once((path.clone(), text.as_str())))
            .collect();
        let checked = std::panic::catch_unwind(|| load_program(&path, &Overlay { open }));
        let Ok(checked) = checked else {
            return;
        };
        let index = Index::new(&checked.modules);
        let diagnostics = self.diagnostics(&checked);
        let _ = self.documents.insert(
            uri.as_str().to_string(),
            Document {
                path,
                text,
                checked,
                index,
            },
        );
        self.publish(uri, diagnostics);
    }

    fn publish(&self, uri: Uri, diagnostics: Vec<LspDiagnostic>) {
        let params = PublishDiagnosticsParams {
            uri,
            diagnostics,
            version: None,
        };
        self.send(Message::Notification(Notification::new(
            "textDocument/publishDiagnostics".into(),
            params,
        )));
    }

    /// The diagnostics of the entry file, as `nyash check` words them.
    fn diagnostics(&self, checked: &Checked) -> Vec<LspDiagnostic> {
        let sources = &checked.sources;
        let entry = sources.get(FileId(0));
        checked
            .diagnostics
            .iter()
            .filter(|d| d.span.is_none_or(|s| s.file == FileId(0)))
            .map(|d| {
                let range = d
                    .span
                    .map(|s| range_of(&entry.text, s.start, s.end))
                    .unwrap_or_default();
                let mut message = d.message.clone();
                if !d.label.is_empty() {
                    message += &format!("\n{}", d.label);
                }
                if let Some(h) = &d.hint {
                    message += &format!("\nhint: {h}");
                }
                let related: Vec<DiagnosticRelatedInformation> = d
                    .secondary
                    .iter()
                    .filter_map(|l| {
                        let file = sources.get(l.span.file);
                        Some(DiagnosticRelatedInformation {
                            location: Location::new(
                                uri_of(&file.path)?,
                                range_of(&file.text, l.span.start, l.span.end),
                            ),
                            message: l.message.clone(),
                        })
                    })
                    .collect();
                LspDiagnostic {
                    range,
                    severity: Some(match d.severity() {
                        Severity::Error => DiagnosticSeverity::ERROR,
                        _ => DiagnosticSeverity::WARNING,
                    }),
                    code: Some(NumberOrString::String(d.code.as_str().to_string())),
                    source: Some("nyash".into()),
                    message,
                    related_information: (!related.is_empty()).then_some(related),
                    ..LspDiagnostic::default()
                }
            })
            .collect()
    }

    fn request(&mut self, request: Request) -> Response {
        let id = request.id.clone();
        let result = match request.method.as_str() {
            "textDocument/definition" => params(request).map(|p| self.definition(p)),
            "textDocument/hover" => params(request).map(|p| self.hover(p)),
            "textDocument/documentSymbol" => params(request).map(|p| self.symbols(p)),
            "textDocument/completion" => params(request).map(|p| self.completion(p)),
            "textDocument/formatting" => params(request).map(|p| self.formatting(p)),
            _ => {
                return Response::new_err(
                    id,
                    lsp_server::ErrorCode::MethodNotFound as i32,
                    format!("nyash lsp does not handle {}", request.method),
                )
            }
        };
        match result {
            Ok(value) => Response::new_ok(id, value),
            Err(message) => {
                Response::new_err(id, lsp_server::ErrorCode::InvalidParams as i32, message)
            }
        }
    }

    fn document(&self, uri: &Uri) -> Option<&Document> {
        self.documents.get(uri.as_str())
    }

    fn definition(&self, p: GotoDefinitionParams) -> serde_json::Value {
        let doc_pos = p.text_document_position_params;
        let Some(doc) = self.document(&doc_pos.text_document.uri) else {
            return serde_json::Value::Null;
        };
        let offset = offset_of(&doc.text, doc_pos.position);
        let locations: Vec<Location> = doc
            .index
            .definition(FileId(0), &doc.text, offset)
            .into_iter()
            .filter_map(|s| location(doc, s.name_span))
            .collect();
        if locations.is_empty() {
            return serde_json::Value::Null;
        }
        serde_json::to_value(GotoDefinitionResponse::Array(locations)).unwrap_or_default()
    }

    fn hover(&self, p: HoverParams) -> serde_json::Value {
        let doc_pos = p.text_document_position_params;
        let Some(doc) = self.document(&doc_pos.text_document.uri) else {
            return serde_json::Value::Null;
        };
        let offset = offset_of(&doc.text, doc_pos.position);
        let found = doc.index.definition(FileId(0), &doc.text, offset);
        let Some(symbol) = found.first() else {
            return serde_json::Value::Null;
        };
        let file = doc.checked.sources.get(symbol.name_span.file);
        let (line, _) = file.line_col(symbol.name_span.start);
        let hover = Hover {
            contents: HoverContents::Markup(MarkupContent {
                kind: MarkupKind::Markdown,
                value: format!(
                    "```nyash\n{}\n```\ndeclared at {}:{line}",
                    symbol.detail, file.name
                ),
            }),
            range: None,
        };
        serde_json::to_value(hover).unwrap_or_default()
    }

    fn symbols(&self, p: DocumentSymbolParams) -> serde_json::Value {
        let Some(doc) = self.document(&p.text_document.uri) else {
            return serde_json::Value::Null;
        };
        let text = &doc.text;
        let in_file = |s: &&index::Symbol| s.name_span.file == FileId(0);
        let symbol = |s: &index::Symbol, children: Option<Vec<DocumentSymbol>>| {
            #[allow(deprecated)]
            DocumentSymbol {
                name: s.name.clone(),
                detail: Some(s.detail.clone()),
                kind: symbol_kind(s.kind),
                tags: None,
                deprecated: None,
                range: range_of(text, s.span.start, s.span.end),
                selection_range: range_of(text, s.name_span.start, s.name_span.end),
                children,
            }
        };
        let mut out = Vec::new();
        for s in doc.index.symbols.iter().filter(in_file) {
            match s.kind {
                Kind::Box => {
                    let members: Vec<DocumentSymbol> = doc
                        .index
                        .symbols
                        .iter()
                        .filter(in_file)
                        .filter(|m| {
                            m.owner.as_deref() == Some(s.name.as_str())
                                && matches!(m.kind, Kind::Field | Kind::Method | Kind::Constructor)
                                && m.span.start >= s.span.start
                                && m.span.end <= s.span.end
                        })
                        .map(|m| symbol(m, None))
                        .collect();
                    out.push(symbol(s, Some(members)));
                }
                Kind::Function | Kind::Global => out.push(symbol(s, None)),
                _ => {}
            }
        }
        serde_json::to_value(DocumentSymbolResponse::Nested(out)).unwrap_or_default()
    }

    fn completion(&self, p: CompletionParams) -> serde_json::Value {
        let doc_pos = p.text_document_position;
        let Some(doc) = self.document(&doc_pos.text_document.uri) else {
            return serde_json::Value::Null;
        };
        let offset = offset_of(&doc.text, doc_pos.position);
        let items: Vec<CompletionItem> = doc
            .index
            .completions(FileId(0), &doc.text, offset)
            .into_iter()
            .map(|c| CompletionItem {
                label: c.label,
                kind: Some(match c.kind {
                    Kind::Box => CompletionItemKind::CLASS,
                    Kind::Field => CompletionItemKind::FIELD,
                    Kind::Method | Kind::Constructor => CompletionItemKind::METHOD,
                    Kind::Function => CompletionItemKind::FUNCTION,
                    Kind::Global | Kind::Local | Kind::Param => CompletionItemKind::VARIABLE,
                }),
                detail: Some(c.detail),
                ..CompletionItem::default()
            })
            .collect();
        serde_json::to_value(CompletionResponse::Array(items)).unwrap_or_default()
    }

    fn formatting(&self, p: DocumentFormattingParams) -> serde_json::Value {
        let Some(doc) = self.document(&p.text_document.uri) else {
            return serde_json::Value::Null;
        };
        let Ok(formatted) = format_source(&doc.text) else {
            // A file with syntax errors is left as it is; the diagnostics say why.
            return serde_json::Value::Null;
        };
        if formatted == doc.text {
            return serde_json::json!([]);
        }
        let edit = TextEdit {
            range: range_of(&doc.text, 0, doc.text.len() as u32),
            new_text: formatted,
        };
        serde_json::to_value(vec![edit]).unwrap_or_default()
    }
}

fn params<P: serde::de::DeserializeOwned>(request: Request) -> std::result::Result<P, String> {
    serde_json::from_value(request.params).map_err(|e| format!("bad parameters: {e}"))
}

fn location(doc: &Document, span: nyash_compiler::source::Span) -> Option<Location> {
    let file = doc.checked.sources.get(span.file);
    let uri = if span.file == FileId(0) {
        uri_of(&doc.path)?
    } else {
        uri_of(&file.path)?
    };
    Some(Location::new(
        uri,
        range_of(&file.text, span.start, span.end),
    ))
}

fn symbol_kind(kind: Kind) -> SymbolKind {
    match kind {
        Kind::Box => SymbolKind::CLASS,
        Kind::Field => SymbolKind::FIELD,
        Kind::Method => SymbolKind::METHOD,
        Kind::Constructor => SymbolKind::CONSTRUCTOR,
        Kind::Function => SymbolKind::FUNCTION,
        Kind::Global | Kind::Local | Kind::Param => SymbolKind::VARIABLE,
    }
}
