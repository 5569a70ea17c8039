//! QEMU tests of the kernel's network services (being written).

use crate::scenarios::Scenario;

/// The network service tests.
pub(crate) fn scenarios() -> Vec<Scenario> {
    Vec::new()
}
