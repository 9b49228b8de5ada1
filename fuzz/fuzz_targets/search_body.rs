//! The body of POST /api/sites/search and /api/projects/search on arbitrary bytes, in every
//! input CRS: a WKB polygon or a message, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use remediation_tracker::domain::InputCrs;
use remediation_tracker::import::search_area_wkb;

fuzz_target!(|data: &[u8]| {
    for crs in InputCrs::ALL {
        if let Err(message) = search_area_wkb(data, crs) {
            assert!(!message.is_empty());
        }
    }
});
