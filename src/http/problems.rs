//! The problem responses of the OpenAPI document, each written once: every route names the ones
//! it can give instead of repeating their status, description and media type.

use crate::error::Problem;
use utoipa::IntoResponses;

macro_rules! problem_response {
    ($($(#[$doc:meta])* $name:ident = $status:literal, $description:literal;)+) => {
        $(
            $(#[$doc])*
            #[derive(IntoResponses)]
            #[response(status = $status, description = $description, content_type = "application/problem+json")]
            #[allow(dead_code)]
            pub struct $name(Problem);
        )+
    };
}

problem_response! {
    BadInput = 400, "bad input, named in the problem";
    NotLoggedIn = 401, "not logged in";
    Forbidden = 403, "the caller's role does not allow this";
    NotFound = 404, "not found";
    ReadOnly = 405, "the collection is read-only";
    Conflict = 409, "conflicts with the current state";
    Stale = 412, "the version sent is not the current one: nothing changed; `current` holds the current state";
    VersionRequired = 428, "no version given (If-Match or version)";
}
