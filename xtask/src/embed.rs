//! The command line embedded in the kernel file (the kernel's `.osp_cmdline` section: the tag
//! `OSPCMDL\0`, then NUL-terminated text), rewritten in place like OSv's `imgedit.py setargs`.

use std::path::Path;

use object::{Object, ObjectSection};

use crate::Result;

const MAGIC: &[u8; 8] = b"OSPCMDL\0";

/// File offset and size of the block.
fn locate(bytes: &[u8], file: &Path) -> Result<(usize, usize)> {
    let elf = object::File::parse(bytes)
        .map_err(|e| format!("{}: not an ELF file: {e}", file.display()))?;
    let section = elf.section_by_name(".osp_cmdline").ok_or_else(|| {
        format!(
            "{}: no .osp_cmdline section (not an OSp kernel?)",
            file.display()
        )
    })?;
    let (off, size) = section
        .file_range()
        .ok_or_else(|| format!("{}: .osp_cmdline has no file contents", file.display()))?;
    let (off, size) = (off as usize, size as usize);
    if off.checked_add(size).is_none_or(|end| end > bytes.len()) || size < MAGIC.len() + 1 {
        return Err(format!(
            "{}: .osp_cmdline lies outside the file",
            file.display()
        ));
    }
    if &bytes[off..off + MAGIC.len()] != MAGIC {
        return Err(format!(
            "{}: .osp_cmdline does not start with its tag",
            file.display()
        ));
    }
    Ok((off, size))
}

/// The embedded command line.
pub fn read(file: &Path) -> Result<String> {
    let bytes = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let (off, size) = locate(&bytes, file)?;
    let text = &bytes[off + MAGIC.len()..off + size];
    let len = text.iter().position(|&b| b == 0).unwrap_or(text.len());
    String::from_utf8(text[..len].to_vec())
        .map_err(|_| format!("{}: embedded command line is not UTF-8", file.display()))
}

/// Rewrites the embedded command line.
pub fn write(file: &Path, text: &str) -> Result {
    if text.bytes().any(|b| b == 0 || b == b'\n') {
        return Err("the command line may not contain NUL or newline characters".into());
    }
    let mut bytes = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let (off, size) = locate(&bytes, file)?;
    let room = size - MAGIC.len() - 1;
    if text.len() > room {
        return Err(format!(
            "the command line is {} bytes; at most {room} fit",
            text.len()
        ));
    }
    let block = &mut bytes[off + MAGIC.len()..off + size];
    block.fill(0);
    block[..text.len()].copy_from_slice(text.as_bytes());
    std::fs::write(file, &bytes).map_err(|e| format!("{}: {e}", file.display()))
}
