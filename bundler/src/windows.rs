//! The `--windows-*` flags of `nyash bundle`: an icon, version information
//! and the subsystem, written into the PE resources of the Windows launcher
//! with `editpe` before the payload is attached (so the payload, and an
//! Authenticode signature added later, come after the edited image as for
//! any other bundle).
//!
//! Everything is checked when the flags are read, before anything is
//! compiled or written: the icon must be an `.ico` file (or a PNG, which is
//! stored as a one-image icon, as Windows Vista and later read them), and a
//! version four numbers from 0 to 65535.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use editpe::types::VersionU32;
use editpe::{Image, ToIcon, VersionInfo, VersionStringTable};

use crate::error::{CliError, Result};

/// The subsystem Windows starts the executable in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Subsystem {
    /// A console program: Windows gives it a console window when started from Explorer.
    Console,
    /// A GUI program: no console window; its output goes nowhere unless redirected.
    Gui,
}

/// The flags, as clap reads them.
#[derive(Args, Debug, Default)]
pub struct WindowsArgs {
    /// Windows executables: the icon Explorer shows (.ico, or a .png of at most 256×256).
    #[arg(long, value_name = "FILE")]
    pub windows_icon: Option<PathBuf>,
    /// Windows executables: the file and product version, four numbers (e.g. 1.2.3.4).
    #[arg(long, value_name = "A.B.C.D")]
    pub windows_version: Option<String>,
    /// Windows executables: the product name (ProductName).
    #[arg(long, value_name = "TEXT")]
    pub windows_product: Option<String>,
    /// Windows executables: the company name (CompanyName).
    #[arg(long, value_name = "TEXT")]
    pub windows_company: Option<String>,
    /// Windows executables: the file description (FileDescription).
    #[arg(long, value_name = "TEXT")]
    pub windows_description: Option<String>,
    /// Windows executables: the copyright notice (LegalCopyright).
    #[arg(long, value_name = "TEXT")]
    pub windows_copyright: Option<String>,
    /// Windows executables: start as a console program (the default) or a GUI program.
    #[arg(long, value_name = "KIND")]
    pub windows_subsystem: Option<Subsystem>,
}

/// The checked resources to write into a Windows launcher.
#[derive(Clone, Debug, Default)]
pub struct WindowsResources {
    /// The icon, as the bytes of an `.ico` file.
    icon: Option<Vec<u8>>,
    /// The version as four 16-bit numbers.
    version: Option<[u16; 4]>,
    /// The version strings, in the order they are written.
    strings: Vec<(&'static str, String)>,
    subsystem: Option<Subsystem>,
}

/// `IMAGE_SUBSYSTEM_WINDOWS_GUI` and `IMAGE_SUBSYSTEM_WINDOWS_CUI`.
const SUBSYSTEM_GUI: u16 = 2;
const SUBSYSTEM_CONSOLE: u16 = 3;

impl WindowsArgs {
    /// Reads and checks the flags: the resources, or one clear error.
    pub fn resources(&self) -> Result<WindowsResources> {
        let mut out = WindowsResources {
            subsystem: self.windows_subsystem,
            ..WindowsResources::default()
        };
        if let Some(path) = &self.windows_icon {
            let shown = path.display();
            let bytes = std::fs::read(path).map_err(|e| {
                CliError::new(format!("cannot read the icon {shown}: {e}"))
                    .hint("check the path given to --windows-icon")
            })?;
            out.icon = Some(icon_file(&bytes).map_err(|why| {
                CliError::new(format!("{shown} is not a usable icon: {why}")).hint(
                    "give an .ico file (e.g. made with `icotool -c` or an image editor), or a PNG of at most 256×256 pixels",
                )
            })?);
        }
        if let Some(text) = &self.windows_version {
            out.version = Some(parse_version(text).ok_or_else(|| {
                CliError::new(format!(
                    "`--windows-version {text}` is not a Windows version"
                ))
                .hint("give four numbers from 0 to 65535 separated by dots, e.g. --windows-version 1.2.0.0")
            })?);
        }
        let version_text = out
            .version
            .map(|v| format!("{}.{}.{}.{}", v[0], v[1], v[2], v[3]));
        for (key, value) in [
            ("CompanyName", &self.windows_company),
            ("FileDescription", &self.windows_description),
            ("FileVersion", &version_text),
            ("LegalCopyright", &self.windows_copyright),
            ("ProductName", &self.windows_product),
            ("ProductVersion", &version_text),
        ] {
            if let Some(value) = value {
                if value.contains('\0') || value.encode_utf16().count() > 1024 {
                    return Err(CliError::new(format!(
                        "the Windows {key} cannot hold this text: it must be at most 1024 characters without NUL"
                    )));
                }
                out.strings.push((key, value.clone()));
            }
        }
        Ok(out)
    }
}

impl WindowsResources {
    /// True when no flag was given: the launcher is used as it is.
    pub fn is_empty(&self) -> bool {
        self.icon.is_none()
            && self.version.is_none()
            && self.strings.is_empty()
            && self.subsystem.is_none()
    }

    /// The Windows launcher `stub` with these resources written into it.
    pub fn apply(&self, stub: &[u8]) -> Result<Vec<u8>> {
        let broken = |what: String| {
            CliError::new(format!(
                "cannot write the Windows resources into the launcher: {what}"
            ))
            .hint("this is a bug in nyash; please report it with the flags you gave")
        };
        let mut image = Image::parse(stub).map_err(|e| broken(e.to_string()))?;
        if self.icon.is_some() || self.version.is_some() || !self.strings.is_empty() {
            let mut resources = image.resource_directory().cloned().unwrap_or_default();
            if let Some(icon) = &self.icon {
                resources
                    .set_main_icon(icon.as_slice())
                    .map_err(|e| broken(e.to_string()))?;
            }
            if self.version.is_some() || !self.strings.is_empty() {
                resources
                    .set_version_info(&self.version_info())
                    .map_err(|e| broken(e.to_string()))?;
            }
            image
                .set_resource_directory(resources)
                .map_err(|e| broken(e.to_string()))?;
        }
        if let Some(subsystem) = self.subsystem {
            image.set_subsystem(match subsystem {
                Subsystem::Console => SUBSYSTEM_CONSOLE,
                Subsystem::Gui => SUBSYSTEM_GUI,
            });
        }
        let mut out = Vec::new();
        image
            .write_writer(&mut out)
            .map_err(|e| broken(e.to_string()))?;
        Ok(out)
    }

    fn version_info(&self) -> VersionInfo {
        let v = self.version.unwrap_or_default();
        let pair = VersionU32 {
            major: (u32::from(v[0]) << 16) | u32::from(v[1]),
            minor: (u32::from(v[2]) << 16) | u32::from(v[3]),
        };
        let mut info = VersionInfo::default();
        info.info.file_version = pair;
        info.info.product_version = pair;
        // US English, Unicode: the language and code page every string is given in.
        info.strings.push(VersionStringTable {
            key: "040904B0".into(),
            strings: self
                .strings
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        });
        info.vars.push(editpe::types::VersionU16 {
            major: 0x0409,
            minor: 1200,
        });
        info
    }
}

/// What `nyash inspect` shows of a Windows launcher's resources.
#[derive(Debug, PartialEq, Eq)]
pub struct Described {
    /// `console` or `gui` (or the number of another subsystem).
    pub subsystem: String,
    /// The fixed file version, if there is version information.
    pub version: Option<String>,
    /// The version strings, in the order they are stored.
    pub strings: Vec<(String, String)>,
    /// The SHA-256 of the main icon's first image, if there is an icon.
    pub icon_sha256: Option<[u8; 32]>,
}

/// Reads back what the `--windows-*` flags write; `None` for a file that is
/// not a PE image.
pub fn describe(launcher: &[u8]) -> Option<Described> {
    use sha2::{Digest, Sha256};
    let image = Image::parse(launcher).ok()?;
    let subsystem = match image.subsystem() {
        SUBSYSTEM_CONSOLE => "console".to_string(),
        SUBSYSTEM_GUI => "gui".to_string(),
        other => other.to_string(),
    };
    let resources = image.resource_directory();
    let info = resources.and_then(|r| r.get_version_info().ok().flatten());
    let version = info.as_ref().map(|i| {
        let (ms, ls) = (i.info.file_version.major, i.info.file_version.minor);
        format!("{}.{}.{}.{}", ms >> 16, ms & 0xffff, ls >> 16, ls & 0xffff)
    });
    let strings = info
        .iter()
        .flat_map(|i| i.strings.iter())
        .flat_map(|t| t.strings.iter().map(|(k, v)| (k.clone(), v.clone())))
        .collect();
    let icon_sha256 = resources
        .and_then(|r| r.get_main_icon().ok().flatten())
        .map(|icon| Sha256::digest(icon).into());
    Some(Described {
        subsystem,
        version,
        strings,
        icon_sha256,
    })
}

/// `A.B.C.D`, each a number from 0 to 65535.
fn parse_version(text: &str) -> Option<[u16; 4]> {
    let parts: Vec<u16> = text
        .split('.')
        .map(|p| {
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                None
            } else {
                p.parse().ok()
            }
        })
        .collect::<Option<_>>()?;
    parts.try_into().ok()
}

const PNG_MAGIC: &[u8; 8] = b"\x89PNG\r\n\x1a\n";

/// The bytes of an `.ico` file for `bytes`: an `.ico` file as it is, once
/// checked; a PNG wrapped as a one-image icon.
fn icon_file(bytes: &[u8]) -> std::result::Result<Vec<u8>, String> {
    let ico = if bytes.starts_with(PNG_MAGIC) {
        png_as_ico(bytes)?
    } else if bytes.len() >= 4 && bytes[..4] == [0, 0, 1, 0] {
        bytes.to_vec()
    } else {
        return Err("it is neither an .ico file nor a PNG".into());
    };
    let images = ico.as_slice().icons().map_err(|e| e.to_string())?;
    if images.is_empty() {
        return Err("it holds no image".into());
    }
    Ok(ico)
}

/// A PNG as an `.ico` file with one entry; its size comes from the PNG's
/// `IHDR` chunk (256 is written as 0, as the format wants).
fn png_as_ico(png: &[u8]) -> std::result::Result<Vec<u8>, String> {
    if png.len() < 33 || &png[12..16] != b"IHDR" {
        return Err("the PNG has no IHDR header".into());
    }
    let width = u32::from_be_bytes(png[16..20].try_into().expect("4 bytes"));
    let height = u32::from_be_bytes(png[20..24].try_into().expect("4 bytes"));
    if !(1..=256).contains(&width) || !(1..=256).contains(&height) {
        return Err(format!(
            "the PNG is {width}×{height} pixels; an icon is at most 256×256"
        ));
    }
    let size = u32::try_from(png.len()).map_err(|_| "the PNG is too large".to_string())?;
    let mut ico = Vec::with_capacity(22 + png.len());
    ico.extend_from_slice(&[0, 0, 1, 0, 1, 0]);
    ico.push((width % 256) as u8);
    ico.push((height % 256) as u8);
    ico.extend_from_slice(&[0, 0]); // no palette, reserved
    ico.extend_from_slice(&1u16.to_le_bytes()); // colour planes
    ico.extend_from_slice(&32u16.to_le_bytes()); // bits per pixel
    ico.extend_from_slice(&size.to_le_bytes());
    ico.extend_from_slice(&22u32.to_le_bytes());
    ico.extend_from_slice(png);
    Ok(ico)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_four_small_numbers() {
        assert_eq!(parse_version("1.2.3.4"), Some([1, 2, 3, 4]));
        assert_eq!(parse_version("65535.0.0.0"), Some([65535, 0, 0, 0]));
        for bad in [
            "1.2.3",
            "1.2.3.4.5",
            "1.2.3.x",
            "65536.0.0.0",
            "1..2.3",
            "+1.2.3.4",
            "",
        ] {
            assert_eq!(parse_version(bad), None, "{bad}");
        }
    }

    #[test]
    fn files_that_are_not_icons_are_refused() {
        assert!(icon_file(b"hello world, this is text").is_err());
        // An icon header that promises an image the file does not hold.
        let mut truncated = vec![0, 0, 1, 0, 1, 0];
        truncated.extend_from_slice(&[16, 16, 0, 0, 1, 0, 32, 0]);
        truncated.extend_from_slice(&1000u32.to_le_bytes());
        truncated.extend_from_slice(&22u32.to_le_bytes());
        assert!(icon_file(&truncated).is_err());
    }
}
