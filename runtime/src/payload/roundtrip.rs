//! Encode, attach and read back is the identity: the driver behind the
//! `payload_roundtrip` fuzz target (`fuzz/`) and its regression test.
//!
//! The input describes a bundle: a stand-in stub, the four index strings,
//! up to eight sections (kind, compression, target, tier, contents), a
//! file-system policy whose mappings are parsed from `--dir` specs as the
//! bundler does, and a network policy parsed from `--allow-net` and
//! `--deny-net` hosts. It is encoded with [`encode_with`], attached with
//! [`attach`] and read with [`read_bundle`]; the index read back must be
//! the one written and every section must give back its contents.

use super::{attach, encode_with, parse, read_bundle};
use super::{Compression, Extras, SectionInput, SectionKind, FORMAT_VERSION};
use crate::launch_policy::LaunchPolicy;
use crate::net_policy::NetPolicy;
use crate::policy::{DirGrant, FsPolicy, PathGrant};

/// The `payload_roundtrip` fuzz target.
pub fn check(data: &[u8]) {
    let mut r = Input(data);
    let stub_len = usize::from(r.byte());
    let stub = r.bytes(stub_len);
    let strings: [String; 4] = std::array::from_fn(|_| r.string());
    let mut sections = Vec::new();
    let mut raws = Vec::new();
    for _ in 0..r.byte() % 9 {
        let flags = r.byte();
        let kind =
            [SectionKind::Wasm, SectionKind::Native, SectionKind::Pulley][usize::from(flags % 3)];
        let (target, tier) = (r.string(), r.string());
        let len = usize::from(u16::from_le_bytes([r.byte(), r.byte()]));
        let raw = r.bytes(len);
        let (compression, stored) = if flags & 0x80 == 0 {
            (Compression::None, raw.clone())
        } else {
            let stored = zstd::bulk::compress(&raw, 1).expect("zstd compresses any bytes");
            (Compression::Zstd, stored)
        };
        sections.push(SectionInput {
            kind,
            compression,
            target,
            tier,
            stored,
            raw_len: raw.len() as u64,
        });
        raws.push(raw);
    }
    let mut policy = FsPolicy {
        deny_fs: r.byte() & 1 == 1,
        ..FsPolicy::default()
    };
    for _ in 0..r.byte() % 5 {
        if let Ok(grant) = DirGrant::parse(&r.string()) {
            policy.dirs.push(grant);
        }
    }
    for _ in 0..r.byte() % 4 {
        let grant = PathGrant {
            path: r.string(),
            write: r.byte() & 1 == 1,
        };
        if grant.is_well_formed() {
            policy.allow.push(grant);
        }
    }
    // The bundler rejects such a list before encoding (the encoder's contract).
    if DirGrant::check_list(&policy.dirs).is_err() {
        policy.dirs.clear();
    }
    let net_flags = r.byte();
    let hosts = |r: &mut Input| (0..r.byte() % 4).map(|_| r.string()).collect::<Vec<_>>();
    let (allow, deny) = (hosts(&mut r), hosts(&mut r));
    let net = NetPolicy::from_flags(
        (net_flags & 1 == 1).then_some(allow.as_slice()),
        (net_flags & 2 == 2).then_some(deny.as_slice()),
    )
    .unwrap_or_default();

    let [toolchain, engine, artifact_version, stub_target] = &strings;
    let launch = LaunchPolicy::default();
    let extras = Extras {
        fs: &policy,
        launch: &launch,
        net: &net,
        assets: &[],
    };
    let payload = encode_with(
        toolchain,
        engine,
        artifact_version,
        stub_target,
        &sections,
        &extras,
    );
    let index = parse(&payload).expect("an encoded payload parses");
    assert_eq!(index.format_version, FORMAT_VERSION);
    assert_eq!(
        [
            &index.toolchain,
            &index.engine,
            &index.artifact_version,
            &index.stub_target
        ],
        strings.each_ref()
    );
    assert_eq!(index.fs, policy);
    assert_eq!(index.net, net);
    assert_eq!(index.sections.len(), sections.len());
    for (read, written) in index.sections.iter().zip(&sections) {
        assert_eq!(read.kind, written.kind);
        assert_eq!(read.compression, written.compression);
        assert_eq!(read.target, written.target);
        assert_eq!(read.tier, written.tier);
        assert_eq!(read.stored_len, written.stored.len() as u64);
        assert_eq!(read.raw_len, written.raw_len);
    }

    let bundle = attach(&stub, &payload);
    let read = read_bundle(bundle.as_slice()).expect("an attached payload is found");
    assert_eq!(read.index, index);
    assert_eq!(read.bytes, payload);
    for (i, raw) in raws.iter().enumerate() {
        assert_eq!(&read.contents(i).expect("a section reads back"), raw);
    }
}

/// The fuzzer's bytes, read front to back; zeros once they run out.
struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> u8 {
        let (&b, rest) = self.0.split_first().unwrap_or((&0, &[]));
        self.0 = rest;
        b
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        let (head, rest) = self.0.split_at(n.min(self.0.len()));
        self.0 = rest;
        head.to_vec()
    }

    /// A string of up to 255 bytes (index strings are at most 65,535).
    fn string(&mut self) -> String {
        let n = usize::from(self.byte());
        String::from_utf8_lossy(&self.bytes(n)).into_owned()
    }
}

#[cfg(test)]
mod tests {
    /// Every committed seed and crash reproducer of the `payload_roundtrip`
    /// fuzz target.
    #[test]
    fn fuzz_inputs_pass() {
        let fuzz = concat!(env!("CARGO_MANIFEST_DIR"), "/../fuzz");
        let mut ran = 0;
        for dir in ["seeds/payload_roundtrip", "regressions/payload_roundtrip"] {
            let Ok(entries) = std::fs::read_dir(format!("{fuzz}/{dir}")) else {
                continue;
            };
            for entry in entries {
                super::check(&std::fs::read(entry.unwrap().path()).unwrap());
                ran += 1;
            }
        }
        assert!(ran > 0, "no fuzz inputs found under {fuzz}");
    }
}
