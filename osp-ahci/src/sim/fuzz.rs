//! The device-input fuzz entry point: a simulated HBA whose register values and device answers
//! are steered by arbitrary bytes. Used by the cargo-fuzz target and by a bounded randomized
//! test on stable.
