//! A damaged bundle: one valid bundle (a stand-in stub, an uncompressed and a zstd section),
//! with the fuzzer's bytes as damage, is either rejected or gives back exactly the sections
//! it was made with, never a changed one.
//!
//! Input: an optional cut (first byte odd: the next two bytes, little-endian, are how many
//! bytes to drop from the end), then edits of three bytes each: a position (two bytes,
//! little-endian, modulo the file's length) and a byte XORed into the file there.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use nyash_runtime::payload::{self, Compression, ReadAt, SectionInput, SectionKind};

/// A file held in memory (`read_bundle` takes a sized reader).
struct File<'a>(&'a [u8]);

impl ReadAt for File<'_> {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
        self.0.read_exact_at(buf, offset)
    }

    fn size(&self) -> std::io::Result<u64> {
        self.0.size()
    }
}

/// The undamaged bundle and the original bytes of its sections.
fn original() -> &'static (Vec<u8>, Vec<Vec<u8>>) {
    static ORIGINAL: OnceLock<(Vec<u8>, Vec<Vec<u8>>)> = OnceLock::new();
    ORIGINAL.get_or_init(|| {
        let module = b"\0asm\x01\0\0\0 a module that is never run".to_vec();
        let code: Vec<u8> = (0..600u32).map(|i| (i * 7 % 13) as u8).collect();
        let sections = [
            SectionInput {
                kind: SectionKind::Wasm,
                compression: Compression::None,
                target: String::new(),
                tier: String::new(),
                raw_len: module.len() as u64,
                stored: module.clone(),
            },
            SectionInput {
                kind: SectionKind::Pulley,
                compression: Compression::Zstd,
                target: "pulley64".into(),
                tier: "portable".into(),
                raw_len: code.len() as u64,
                stored: zstd::bulk::compress(&code, 3).unwrap(),
            },
        ];
        let encoded = payload::encode(
            "nyash-fuzz",
            "wasmtime",
            "v",
            "x86_64-unknown-linux-musl",
            &sections,
        );
        let stub = b"not an executable, only bytes before the payload".repeat(4);
        (payload::attach(&stub, &encoded), vec![module, code])
    })
}

fuzz_target!(|data: &[u8]| {
    let (bundle, sections) = original();
    let mut file = bundle.clone();
    let mut edits = data;
    if let [flags, low, high, rest @ ..] = data {
        if flags & 1 == 1 {
            let cut = usize::from(u16::from_le_bytes([*low, *high]));
            file.truncate(file.len().saturating_sub(cut));
            edits = rest;
        }
    }
    for edit in edits.chunks_exact(3) {
        if file.is_empty() {
            break;
        }
        let at = usize::from(u16::from_le_bytes([edit[0], edit[1]])) % file.len();
        file[at] ^= edit[2];
    }

    let Ok(read) = payload::read_bundle(&File(&file)) else {
        return;
    };
    for (i, section) in read.index.sections.iter().enumerate() {
        let _ = section.describe();
        if let Ok(contents) = read.contents(i) {
            // A section that passes its checksum is one of the originals, unchanged.
            assert!(
                sections.contains(&contents),
                "section {i} was accepted with changed contents"
            );
        }
    }
});
