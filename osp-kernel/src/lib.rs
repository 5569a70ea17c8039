//! Hardware-independent parts of the OSp reference kernel, kept in a library so they are tested
//! on the host (`cargo test --lib --target x86_64-unknown-linux-gnu` in this directory).
#![no_std]

#[cfg(test)]
extern crate std;

pub mod cmdline;
pub mod memmap;
