//! Any bytes, read as a bundle and as a bare payload: the payload reader never panics, and
//! an index it accepts keeps every section inside the payload.

#![no_main]

use libfuzzer_sys::fuzz_target;
use nyash_runtime::payload::{self, ReadAt};

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

fuzz_target!(|data: &[u8]| {
    if let Ok(bundle) = payload::read_bundle(&File(data)) {
        let end = bundle.location.offset + bundle.location.len;
        assert!(
            end <= data.len() as u64,
            "the payload lies outside the file"
        );
        for (i, section) in bundle.index.sections.iter().enumerate() {
            let _ = section.describe();
            // Checked, then decompressed: either may fail, neither may panic.
            let _ = bundle.contents(i);
        }
    }
    if let Ok(index) = payload::parse(data) {
        for section in &index.sections {
            let end = section.offset.checked_add(section.stored_len);
            assert!(
                end.is_some_and(|end| end <= data.len() as u64),
                "section {section:?} lies outside the payload"
            );
        }
    }
});
