//! The project lifecycle: statuses and the transitions allowed between them (DESIGN.md §3).

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProjectStatus {
    /// 列入计划
    Planned,
    /// 前期手续: feasibility study, preliminary design, EIA approval, tendering
    Preparing,
    /// 开工
    InProgress,
    /// 完工
    Completed,
    /// 验收/销号
    Accepted,
    /// 暂缓, always with a reason
    Suspended,
    Cancelled,
}

/// The status names, in lifecycle order, for validating filters.
pub const STATUS_NAMES: [&str; 7] = [
    "planned",
    "preparing",
    "in_progress",
    "completed",
    "accepted",
    "suspended",
    "cancelled",
];

/// A site's remediation state, derived from its projects (SQL function `remediation_state`).
pub const REMEDIATION_STATES: [&str; 4] = ["none", "in_progress", "done", "suspended"];

impl ProjectStatus {
    pub const ALL: [ProjectStatus; 7] = [
        ProjectStatus::Planned,
        ProjectStatus::Preparing,
        ProjectStatus::InProgress,
        ProjectStatus::Completed,
        ProjectStatus::Accepted,
        ProjectStatus::Suspended,
        ProjectStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProjectStatus::Planned => "planned",
            ProjectStatus::Preparing => "preparing",
            ProjectStatus::InProgress => "in_progress",
            ProjectStatus::Completed => "completed",
            ProjectStatus::Accepted => "accepted",
            ProjectStatus::Suspended => "suspended",
            ProjectStatus::Cancelled => "cancelled",
        }
    }

    /// The statuses a project may move to from this one. A completed project may reopen when
    /// acceptance fails, and an accepted one when the problem relapses (e.g. 返黑).
    pub fn allowed_next(self) -> &'static [ProjectStatus] {
        use ProjectStatus::*;
        match self {
            Planned => &[Preparing, InProgress, Suspended, Cancelled],
            Preparing => &[InProgress, Suspended, Cancelled],
            InProgress => &[Completed, Suspended, Cancelled],
            Completed => &[Accepted, InProgress],
            Accepted => &[InProgress],
            Suspended => &[Planned, Preparing, InProgress, Cancelled],
            Cancelled => &[],
        }
    }

    pub fn can_move_to(self, next: ProjectStatus) -> bool {
        self.allowed_next().contains(&next)
    }

    /// Counted as "started" (开工) for start rates.
    pub fn is_started(self) -> bool {
        matches!(
            self,
            ProjectStatus::InProgress | ProjectStatus::Completed | ProjectStatus::Accepted
        )
    }
}

impl fmt::Display for ProjectStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is no project status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown project status {given:?} (known: {})", STATUS_NAMES.join(", "))]
pub struct UnknownStatus {
    pub given: String,
}

impl FromStr for ProjectStatus {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ProjectStatus::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownStatus {
                given: s.to_string(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::ProjectStatus::*;
    use super::*;

    #[test]
    fn lifecycle_table() {
        assert!(Planned.can_move_to(Preparing));
        assert!(Preparing.can_move_to(InProgress));
        assert!(InProgress.can_move_to(Completed));
        assert!(Completed.can_move_to(Accepted));
        assert!(!Planned.can_move_to(Completed));
        assert!(!Cancelled.can_move_to(Planned));
        assert!(!InProgress.can_move_to(InProgress));
        assert_eq!(ProjectStatus::ALL.map(ProjectStatus::as_str), STATUS_NAMES);
        let edges: usize = ProjectStatus::ALL
            .iter()
            .map(|s| s.allowed_next().len())
            .sum();
        assert_eq!(edges, 17);
    }
}
