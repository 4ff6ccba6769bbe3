//! The one verdict of a command, and the one place it becomes an exit code.

use crate::report::Report;

/// How a command ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// Every check passed (exit 0).
    Passed,
    /// The contract was violated (exit 1), or, for `diff --fail-on`, a change reached the
    /// threshold.
    Violated,
    /// The command could not judge: a usage or input error (a spec or recording that cannot
    /// be read, malformed lines, a target that cannot be reached) and no violation (exit 2).
    InputError,
}

impl Outcome {
    /// The outcome of a report: a violation wins over input errors, which win over a pass.
    pub fn of(report: &Report) -> Self {
        if report.cases.iter().any(|c| c.failure_count > 0) {
            Outcome::Violated
        } else if report.cases.iter().any(|c| !c.errors.is_empty()) {
            Outcome::InputError
        } else {
            Outcome::Passed
        }
    }

    /// The process exit code: 0 passed, 1 violated, 2 input error. This is the only place
    /// the codes are written.
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Passed => 0,
            Outcome::Violated => 1,
            Outcome::InputError => 2,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Case;

    #[test]
    fn violations_win_over_input_errors() {
        let mut report = Report::default();
        assert_eq!(Outcome::of(&report), Outcome::Passed);
        let mut broken = Case::new("broken");
        broken.errors.push("line 1: not JSON".to_owned());
        report.cases.push(broken);
        assert_eq!(Outcome::of(&report).exit_code(), 2);
        let mut failed = Case::new("failed");
        failed.failure_count = 1;
        report.cases.push(failed);
        assert_eq!(Outcome::of(&report).exit_code(), 1);
        assert_eq!(Outcome::Passed.exit_code(), 0);
    }
}
