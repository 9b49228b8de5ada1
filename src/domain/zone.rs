//! The campaign of a 3 km key zone: whose open problems keep it from being cleared (归零). A key
//! zone is an air-quality measure (重点区域周边3公里范围内存量问题"归零" is part of the air
//! campaign), so by default it counts the open air projects of the sites inside it; a zone may
//! name another category (`campaign_category`) or one programme (`campaign_programme`). The SQL
//! function `key_zone_targets` (migration 0013) is the same rule for the database's queries.

use serde_json::{Map, Value};

/// What a zone's clearance counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Campaign {
    /// the projects of one category
    Category(String),
    /// the projects of one programme (by code)
    Programme(String),
}

impl Campaign {
    /// Air, unless the zone's attributes say otherwise.
    pub const DEFAULT_CATEGORY: &'static str = "air";

    /// The campaign a zone's attributes name.
    pub fn of(attrs: &Map<String, Value>) -> Campaign {
        if let Some(code) = attrs.get("campaign_programme").and_then(Value::as_str) {
            return Campaign::Programme(code.to_string());
        }
        Campaign::Category(
            attrs
                .get("campaign_category")
                .and_then(Value::as_str)
                .unwrap_or(Self::DEFAULT_CATEGORY)
                .to_string(),
        )
    }

    /// Whether a project of this category and programme is part of the campaign.
    pub fn targets(&self, category: Option<&str>, programme: Option<&str>) -> bool {
        match self {
            Campaign::Category(c) => category == Some(c.as_str()),
            Campaign::Programme(p) => programme == Some(p.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn attrs(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn a_zone_counts_air_work_unless_it_names_another_campaign() {
        let air = Campaign::of(&attrs(json!({"zone_type": "air_station"})));
        assert_eq!(air, Campaign::Category("air".into()));
        assert!(air.targets(Some("air"), Some("LIGHTING-2025")));
        assert!(!air.targets(Some("water"), Some("TAIHU-2025")));
        let water = Campaign::of(&attrs(json!({"campaign_category": "water"})));
        assert!(water.targets(Some("water"), None));
        let one = Campaign::of(&attrs(
            json!({"campaign_programme": "BLACK-ODOR-2025", "campaign_category": "air"}),
        ));
        assert!(one.targets(Some("water"), Some("BLACK-ODOR-2025")));
        assert!(!one.targets(Some("air"), None));
    }
}
