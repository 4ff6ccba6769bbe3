//! `verify`: recorded exchanges checked offline, request and response.

use std::path::Path;

use crate::check::{Scope, check_exchange};
use crate::record::{Place, read};
use crate::report::Case;
use crate::spec::Spec;

/// Checks every exchange of one recording; the case holds the failures (each naming its
/// line or entry) and the malformed items.
pub fn verify_file(spec: &Spec, path: &Path, progress: &mut dyn FnMut(usize)) -> Case {
    let mut case = Case::new(path.display().to_string());
    let mut seen = 0usize;
    let result = read(path, &mut |place: Place, exchange| {
        seen += 1;
        if seen.is_multiple_of(10_000) {
            progress(seen);
        }
        match exchange {
            Ok(exchange) => {
                let verdict = check_exchange(spec, &exchange, Scope { request: true });
                case.ran(&verdict.checks);
                case.failed(verdict.failures.into_iter().map(|mut failure| {
                    failure.path = format!("{} ({place})", failure.path);
                    failure
                }));
            }
            Err(error) => case.errors.push(format!("{place}: {error} (skipped)")),
        }
    });
    if let Err(error) = result {
        case.errors.push(error.to_string());
    } else if seen == 0 {
        case.errors
            .push("no exchanges in this recording: nothing was checked".to_owned());
    }
    case
}
