#![doc = include_str!("../README.md")]

pub mod check;
pub mod diff;
pub use balampay_openapi::mask;
pub mod record;
pub mod report;
pub mod run;
pub mod spec;
pub mod verify;
pub mod webhooks;

pub use check::{Check, Exchange, Failure, Scope, Verdict, check_exchange};
pub use report::{Case, Report, exit_code};
pub use spec::Spec;
