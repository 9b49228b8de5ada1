//! Casework (DOMAIN.md §5): the ledgers' kinds of case, their categories, channels and
//! severities, the case lifecycle with its allowed transitions, and the rules for a case being
//! overdue and a petition being a likely repeat of an earlier one.

use super::choice::choice;
use chrono::NaiveDate;

choice!(
    /// The ledger a case belongs to.
    CaseKind, "case kind", {
        /// 信访: letters, visits, the 12345 hotline, online complaints
        Petition => "petition",
        /// 隐患, found in safety and emergency inspections
        HiddenDanger => "hidden_danger",
        /// e.g. a problem found checking a firm's emergency plan
        InspectionFinding => "inspection_finding",
        /// 突出生态环境问题, handed down by higher authorities
        ProminentProblem => "prominent_problem",
    }
);

choice!(
    /// What a case is about.
    CaseCategory, "case category", {
        Air => "air",
        Water => "water",
        Noise => "noise",
        SolidWaste => "solid_waste",
        Soil => "soil",
        Other => "other",
    }
);

choice!(
    /// The channel a case came by.
    CaseSource, "case source", {
        /// 来信
        Letter => "letter",
        /// 来访
        Visit => "visit",
        /// 12345 热线
        Hotline => "hotline_12345",
        /// 网上信访
        Online => "online",
        /// found by the bureau's own inspection
        Inspection => "inspection",
        /// 上级交办
        HigherAuthority => "higher_authority",
    }
);

choice!(
    /// The severity of a hidden danger.
    Severity, "severity", {
        /// 重大风险隐患
        Major => "major",
        General => "general",
    }
);

choice!(
    /// Where a case is in its lifecycle.
    CaseStatus, "case status", {
        /// 受理 / 发现
        Received => "received",
        /// 交办: a responsible unit has it
        Assigned => "assigned",
        /// 办理中 / 整改中
        Handling => "handling",
        /// 办结 / 整改完成, with its resolution
        Resolved => "resolved",
        /// 销号: the resolution is checked
        Closed => "closed",
        /// the problem came back, or the resolution did not hold
        Reopened => "reopened",
    }
);

impl CaseStatus {
    /// The statuses a case may move to from this one.
    pub fn allowed_next(self) -> &'static [CaseStatus] {
        use CaseStatus::*;
        match self {
            Received => &[Assigned, Handling],
            Assigned => &[Handling],
            Handling => &[Resolved],
            Resolved => &[Closed, Reopened],
            Closed => &[Reopened],
            Reopened => &[Assigned, Handling],
        }
    }

    pub fn can_move_to(self, next: CaseStatus) -> bool {
        self.allowed_next().contains(&next)
    }

    /// Counted as resolved (已解决 / 已整改) in the report's figures.
    pub fn is_resolved(self) -> bool {
        matches!(self, CaseStatus::Resolved | CaseStatus::Closed)
    }

    /// Moving here needs a resolution text.
    pub fn needs_resolution(self) -> bool {
        self == CaseStatus::Resolved
    }
}

/// Overdue: not resolved and past its deadline. On the deadline's own day a case is still on
/// time.
pub fn is_overdue(status: CaseStatus, deadline: Option<NaiveDate>, today: NaiveDate) -> bool {
    !status.is_resolved() && deadline.is_some_and(|deadline| today > deadline)
}

/// When an earlier petition is likely about the same thing as a new one (治理重复信访): the same
/// category, within `radius_m` metres (geodesic) and received at most `days` days before.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RepeatWindow {
    pub radius_m: f64,
    pub days: i64,
}

impl Default for RepeatWindow {
    fn default() -> Self {
        RepeatWindow {
            radius_m: 200.0,
            days: 180,
        }
    }
}

impl RepeatWindow {
    /// The rule itself; the database applies the same one to find the candidates.
    pub fn is_likely_repeat(
        &self,
        earlier: (CaseCategory, NaiveDate),
        new: (CaseCategory, NaiveDate),
        distance_m: f64,
    ) -> bool {
        let days_before = (new.1 - earlier.1).num_days();
        earlier.0 == new.0 && distance_m <= self.radius_m && (0..=self.days).contains(&days_before)
    }
}

#[cfg(test)]
mod tests {
    use super::CaseStatus::*;
    use super::*;
    use crate::domain::choice::Choice;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn lifecycle_table() {
        let edges: Vec<(&str, &str)> = CaseStatus::ALL
            .iter()
            .flat_map(|from| {
                from.allowed_next()
                    .iter()
                    .map(|to| (from.name(), to.name()))
            })
            .collect();
        assert_eq!(
            edges,
            [
                ("received", "assigned"),
                ("received", "handling"),
                ("assigned", "handling"),
                ("handling", "resolved"),
                ("resolved", "closed"),
                ("resolved", "reopened"),
                ("closed", "reopened"),
                ("reopened", "assigned"),
                ("reopened", "handling"),
            ]
        );
        assert!(!Received.can_move_to(Resolved), "a case is handled first");
        assert!(!Handling.can_move_to(Closed), "a case is resolved first");
        assert!(!Closed.can_move_to(Closed));
        assert!(Resolved.needs_resolution() && !Closed.needs_resolution());
        assert_eq!(
            CaseStatus::ALL.iter().filter(|s| s.is_resolved()).count(),
            2
        );
    }

    #[test]
    fn overdue_from_the_day_after_the_deadline() {
        let deadline = Some(day("2025-06-30"));
        assert!(!is_overdue(Handling, deadline, day("2025-06-30")));
        assert!(is_overdue(Handling, deadline, day("2025-07-01")));
        assert!(is_overdue(Reopened, deadline, day("2025-07-01")));
        assert!(!is_overdue(Resolved, deadline, day("2025-07-01")));
        assert!(!is_overdue(Closed, deadline, day("2026-01-01")));
        assert!(!is_overdue(Received, None, day("2030-01-01")));
    }

    #[test]
    fn repeats_by_category_distance_and_days() {
        let window = RepeatWindow::default();
        let new = (CaseCategory::Noise, day("2025-06-30"));
        let at = |d: &str| (CaseCategory::Noise, day(d));
        assert!(window.is_likely_repeat(at("2025-06-01"), new, 200.0));
        assert!(!window.is_likely_repeat(at("2025-06-01"), new, 200.01));
        // 180 days before 2025-06-30 is 2025-01-01
        assert!(window.is_likely_repeat(at("2025-01-01"), new, 10.0));
        assert!(!window.is_likely_repeat(at("2024-12-31"), new, 10.0));
        assert!(window.is_likely_repeat(at("2025-06-30"), new, 0.0));
        assert!(
            !window.is_likely_repeat(at("2025-07-01"), new, 0.0),
            "not a later one"
        );
        assert!(!window.is_likely_repeat((CaseCategory::Air, day("2025-06-01")), new, 0.0));
    }

    #[test]
    fn words_are_the_serialised_names() {
        assert_eq!(
            serde_json::to_value(CaseKind::HiddenDanger).unwrap(),
            "hidden_danger"
        );
        assert_eq!("hotline_12345".parse(), Ok(CaseSource::Hotline));
        assert_eq!(
            "fire".parse::<CaseCategory>().unwrap_err().to_string(),
            "unknown case category \"fire\" (known: air, water, noise, solid_waste, soil, other)"
        );
    }
}
