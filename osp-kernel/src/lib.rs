//! Hardware-independent parts of the OSp reference kernel, kept in a library so they are tested
//! on the host (`cargo test --lib --target x86_64-unknown-linux-gnu` in this directory).
#![no_std]

#[cfg(test)]
extern crate std;

extern crate alloc;

pub mod cmdline;
pub mod memmap;

/// The network services' hardware-independent parts: HTTP request parsing, the inventory and
/// metrics pages, and the NIC abstraction the stack is generic over.
pub mod net {
    #[path = "http.rs"]
    pub mod http;
    #[path = "nic.rs"]
    pub mod nic;
    #[path = "pages.rs"]
    pub mod pages;
}
