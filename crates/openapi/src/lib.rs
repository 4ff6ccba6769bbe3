#![doc = include_str!("../README.md")]

pub mod document;
pub mod mask;
pub mod pointer;
pub mod reference;
pub mod requirement;
pub mod schema;
pub mod xml;

pub use document::{Document, LoadError, Version};
pub use reference::{RefError, Target, resolve, resolve_pointer};
pub use requirement::{Requirement, TagProblem};
pub use schema::{CompileError, Compiler, SchemaCheck, SchemaError};
