//! Property tests (proptest) of the pure rules every input goes through: coordinate checks per
//! CRS, CRS names, GCJ-02 round trips, the project lifecycle, and CQL2 parsing of arbitrary text.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use remediation_tracker::domain::InputCrs;
use remediation_tracker::domain::ProjectStatus;
use remediation_tracker::domain::coords::{gcj02_to_wgs84, wgs84_to_gcj02};

fn any_crs() -> impl Strategy<Value = InputCrs> {
    prop::sample::select(InputCrs::ALL.to_vec())
}

fn any_status() -> impl Strategy<Value = ProjectStatus> {
    prop::sample::select(ProjectStatus::ALL.to_vec())
}

/// Metres between two nearby lon/lat points (equirectangular; exact enough below a kilometre).
fn metres(a: (f64, f64), b: (f64, f64)) -> f64 {
    let lat = ((a.1 + b.1) / 2.0).to_radians();
    let dx = (a.0 - b.0).to_radians() * lat.cos() * 6_371_000.0;
    let dy = (a.1 - b.1).to_radians() * 6_371_000.0;
    (dx * dx + dy * dy).sqrt()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// GCJ-02 → WGS84 → GCJ-02 comes back within a millimetre anywhere the shift applies.
    #[test]
    fn gcj02_round_trips_within_a_millimetre(lon in 73.5f64..135.0, lat in 18.0f64..53.5) {
        let (wlon, wlat) = gcj02_to_wgs84(lon, lat);
        let back = wgs84_to_gcj02(wlon, wlat);
        prop_assert!(metres(back, (lon, lat)) < 0.001, "{lon},{lat} → {wlon},{wlat} → {back:?}");
        // the shift itself is a few hundred metres at most
        prop_assert!(metres((wlon, wlat), (lon, lat)) < 1000.0);
    }

    /// Outside China GCJ-02 is the identity, both ways.
    #[test]
    fn gcj02_leaves_the_rest_of_the_world_alone(lon in -180.0f64..60.0, lat in -90.0f64..90.0) {
        prop_assert_eq!(wgs84_to_gcj02(lon, lat), (lon, lat));
        prop_assert_eq!(gcj02_to_wgs84(lon, lat), (lon, lat));
    }

    /// No coordinate, however wild, passes a check unless it is finite and in the CRS's range.
    #[test]
    fn coordinate_checks_accept_only_finite_values_in_range(
        crs in any_crs(),
        x in prop_oneof![any::<f64>(), -200.0f64..200.0, 0.0f64..1.1e6, 3.9e7f64..4.2e7],
        y in prop_oneof![any::<f64>(), -100.0f64..100.0, 0.0f64..1.1e7],
    ) {
        let accepted = crs.check_coordinate(x, y).is_ok();
        if accepted {
            prop_assert!(x.is_finite() && y.is_finite());
            if crs.is_geographic() {
                prop_assert!((-180.0..=180.0).contains(&x) && (-90.0..=90.0).contains(&y));
            } else {
                prop_assert!((0.0..=1.0e7).contains(&y));
            }
        } else {
            let message = crs.check_coordinate(x, y).unwrap_err().to_string();
            prop_assert!(!message.is_empty());
        }
    }

    /// A latitude-first pair of a place in China is always caught as swapped.
    #[test]
    fn swapped_chinese_coordinates_are_caught(lon in 73.5f64..135.0, lat in 18.0f64..53.5) {
        for crs in [InputCrs::Wgs84, InputCrs::Cgcs2000, InputCrs::Gcj02] {
            prop_assert!(crs.check_coordinate(lon, lat).is_ok());
            let swapped = crs.check_coordinate(lat, lon).unwrap_err().to_string();
            prop_assert!(swapped.contains("swapped"), "{}", swapped);
        }
    }

    /// Every CRS parses back from its own name, in any letter case; other text names the choices.
    #[test]
    fn crs_names_parse_back(crs in any_crs(), upper in any::<bool>(), junk in "\\PC{0,20}") {
        let name = if upper { crs.name().to_uppercase() } else { crs.name().to_lowercase() };
        prop_assert_eq!(name.parse::<InputCrs>().unwrap(), crs);
        if let Err(message) = junk.parse::<InputCrs>() {
            prop_assert!(message.to_string().contains("supported: "));
        }
    }

    /// The lifecycle: only listed moves pass, nothing leaves cancelled, nothing moves to itself,
    /// and every status is reachable from planned.
    #[test]
    fn status_transitions_follow_the_table(from in any_status(), to in any_status()) {
        prop_assert_eq!(from.can_move_to(to), from.allowed_next().contains(&to));
        prop_assert!(!from.can_move_to(from));
        if from == ProjectStatus::Cancelled {
            prop_assert!(!from.can_move_to(to));
        }
        let mut reached = vec![ProjectStatus::Planned];
        let mut i = 0;
        while i < reached.len() {
            for next in reached[i].allowed_next() {
                if !reached.contains(next) {
                    reached.push(*next);
                }
            }
            i += 1;
        }
        prop_assert!(reached.contains(&to));
        prop_assert_eq!(to.as_str().parse::<ProjectStatus>().unwrap(), to);
    }

    /// The CQL2 parser never panics, whatever the text; an error says where.
    #[test]
    fn cql2_parsing_never_panics(text in "\\PC{0,200}") {
        let _ = remediation_tracker::domain::cql2::parse(&text);
    }

    /// Nor on text built from CQL2's own tokens, which reaches deeper into the grammar.
    #[test]
    fn cql2_parsing_of_token_soup_never_panics(
        tokens in prop::collection::vec(prop::sample::select(vec![
            "status", "=", "'done'", "AND", "OR", "NOT", "(", ")", ",", "S_INTERSECTS", "POINT(1 2)",
            "BBOX(0,0,1,1)", "IN", "BETWEEN", "LIKE", "IS", "NULL", "1.5", "-3", "TIMESTAMP('2025-06-30T00:00:00Z')",
            "<", ">=", "<>", "progress", "'it''s'", "A_CONTAINS", "[", "]", "CASEI(", "true",
        ]), 0..40)
    ) {
        let _ = remediation_tracker::domain::cql2::parse(&tokens.join(" "));
    }
}
