//! The import's reader and per-feature checks on arbitrary bytes, for several targets and CRSs:
//! every input ends in rows or named rejections, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use remediation_tracker::domain::{InputCrs, SiteKind};
use remediation_tracker::import::{ImportTarget, Parsed, read_features};

fuzz_target!(|data: &[u8]| {
    let targets = [
        (ImportTarget::Site(SiteKind::River), InputCrs::Wgs84),
        (ImportTarget::Site(SiteKind::KeyZone), InputCrs::Gcj02),
        (ImportTarget::Site(SiteKind::ContaminatedPlot), InputCrs::Cgcs2000Gk40),
        (ImportTarget::AdminArea, InputCrs::Cgcs2000Gk120),
    ];
    for (target, crs) in targets {
        let _ = read_features(data, target, crs, &mut |parsed| {
            if let Parsed::Rejected(rejection) = parsed {
                assert!(!rejection.reason.is_empty(), "a rejection names its reason");
            }
            true
        });
    }
});
