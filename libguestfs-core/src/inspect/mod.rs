//! OS inspection, written once against the backend operations.

/// What `inspect_os` found, kept on the handle for the `inspect_get_*` calls.
#[derive(Default)]
pub struct InspectionCache {}
