//! Bus numbering for bridges firmware left unprogrammed (secondary bus 0): the depth-first
//! assignment firmware itself performs (PCI-to-PCI Bridge 1.2 §3.2.5.3–5): each bridge gets
//! the next free bus as secondary, a subordinate of 0xff while the buses behind it are numbered,
//! then the highest bus found behind it.

use crate::access::ConfigAccess;
use crate::regs::{self, HeaderType};
use crate::walk::{BusId, Cursor};
use crate::{Address, ConfigError};

/// Primary bus number byte.
const PRIMARY: u16 = regs::BUS_NUMBERS;
/// Secondary bus number byte.
const SECONDARY: u16 = regs::BUS_NUMBERS + 1;
/// Subordinate bus number byte.
const SUBORDINATE: u16 = regs::BUS_NUMBERS + 2;

#[derive(Clone, Copy, Default)]
struct Frame {
    cursor: Cursor,
    /// The bridge that leads to this bus (whose subordinate is fixed when the bus is done).
    bridge: Option<Address>,
}

/// Renumbers every PCI-to-PCI and CardBus bridge below `root`, depth-first, and returns the
/// highest bus number assigned. Every bridge is renumbered, programmed or not, so that no two
/// ranges overlap; call it before [`crate::enumerate`] when firmware left bridges unnumbered
/// (a bridge whose secondary bus reads 0), never on a running system whose drivers hold
/// addresses.
///
/// Bounded: each bridge takes a new bus number, and bridges found once bus 255 is taken are
/// closed (secondary and subordinate 0) instead of numbered.
pub fn assign_bus_numbers<A: ConfigAccess + ?Sized>(
    access: &mut A,
    root: BusId,
) -> Result<u8, ConfigError> {
    let mut stack = [Frame::default(); 256];
    stack[0] = Frame {
        cursor: Cursor::new(root.bus),
        bridge: None,
    };
    let mut depth = 1;
    let mut last = root.bus;
    while depth > 0 {
        let top = &mut stack[depth - 1];
        if top.cursor.done() {
            if let Some(bridge) = top.bridge {
                access.write8(bridge, SUBORDINATE, last)?;
            }
            depth -= 1;
            continue;
        }
        let Some((addr, _, header)) = top.cursor.step(access, root.segment) else {
            continue;
        };
        if !HeaderType::from_raw(header).is_bridge() {
            continue;
        }
        if last == u8::MAX || depth == stack.len() {
            access.write8(addr, SECONDARY, 0)?;
            access.write8(addr, SUBORDINATE, 0)?;
            continue;
        }
        last += 1;
        access.write8(addr, PRIMARY, addr.bus())?;
        access.write8(addr, SECONDARY, last)?;
        access.write8(addr, SUBORDINATE, u8::MAX)?;
        stack[depth] = Frame {
            cursor: Cursor::new(last),
            bridge: Some(addr),
        };
        depth += 1;
    }
    Ok(last)
}
