//! Network boot tree and its QEMU tests (being written).

use crate::scenarios::Scenario;

/// The network boot tests.
pub(crate) fn scenarios() -> Vec<Scenario> {
    Vec::new()
}
