//! Route handlers, one module per resource. Each parses the request, makes one core call on the
//! blocking pool and shapes the answer; rules (who may do what) live in the core.

pub mod admin;
pub mod admission;
pub mod analytics;
pub mod auth;
pub mod check_in;
pub mod embed;
pub mod events;
pub mod feedback;
pub mod guests;
pub mod messages;
pub mod meta;
pub mod notifications;
pub mod promo_codes;
pub mod ticket_types;
pub mod tickets;
pub mod users;
pub mod waiting_room;
pub mod waitlist;

use prasang_core::PageRequest;

use crate::problem::{ApiError, RequestError};
use crate::request::Ctx;

/// Reads `after` and `limit` (plus any `extra` names the caller reads itself).
pub(crate) fn page_request(
    cx: &Ctx,
    extra: &[&str],
) -> Result<(PageRequest, std::collections::HashMap<String, String>), ApiError> {
    let mut allowed = vec!["after", "limit"];
    allowed.extend_from_slice(extra);
    let params = cx.query_params(&allowed)?;
    let limit = params
        .get("limit")
        .map(|l| {
            l.parse::<usize>().map_err(|_| {
                RequestError::BadParameter("`limit` must be a whole number from 1 to 100".into())
            })
        })
        .transpose()?;
    let page = PageRequest {
        after: params.get("after").cloned(),
        limit,
    };
    Ok((page, params))
}
