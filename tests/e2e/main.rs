//! End-to-end tests across the workspace: the published artefacts against the Rust types,
//! the docs' payloads and the API's conventions.

mod catalogue;
mod client;
mod cross_check;
mod docs_snippets;
mod sandbox;
mod spec_contract;
mod support;
mod webhook_fidelity;
