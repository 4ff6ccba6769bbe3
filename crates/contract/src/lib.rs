#![doc = include_str!("../README.md")]

pub mod check;
pub mod diff;
pub mod har;
pub use balampay_openapi::mask;
pub mod outcome;
pub mod proxy;
pub mod record;
pub mod report;
pub mod run;
pub mod spec;
pub mod split;
pub mod verify;
pub mod webhooks;

pub use check::{Check, Exchange, Failure, Scope, Verdict, check_exchange};
pub use outcome::Outcome;
pub use report::{Case, Report};
pub use spec::Spec;
