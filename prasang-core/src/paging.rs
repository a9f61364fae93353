//! Cursor paging over ordered key ranges.

use serde::{Deserialize, Serialize};

use crate::limits::PAGE_SIZE;
use crate::store::{StoreError, keys};
use crate::validate::{self, FieldError};

/// Default page size when the caller does not say.
pub const DEFAULT_PAGE_SIZE: usize = 20;
/// Largest page a caller may ask for.
pub const MAX_PAGE_SIZE: usize = PAGE_SIZE.max as usize;

/// Which page to fetch.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PageRequest {
    /// The `next` cursor of the previous page; `None` for the first page.
    pub after: Option<String>,
    /// Items per page, 1–100 (default 20).
    pub limit: Option<usize>,
}

/// One page of results in key order.
#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Cursor for the following page, when there may be one.
    pub next: Option<String>,
}

impl PageRequest {
    /// The first page of `limit` items.
    pub fn first(limit: usize) -> Self {
        PageRequest {
            after: None,
            limit: Some(limit),
        }
    }

    pub(crate) fn limit(&self) -> Result<usize, FieldError> {
        match self.limit {
            None => Ok(DEFAULT_PAGE_SIZE),
            Some(n) => validate::in_range(&PAGE_SIZE, i64::try_from(n).unwrap_or(i64::MAX)),
        }
    }
}

/// Error of a paged scan: a bad cursor or a storage failure.
#[derive(Debug)]
pub(crate) enum ScanError {
    Invalid(FieldError),
    Store(StoreError),
}

impl From<StoreError> for ScanError {
    fn from(error: StoreError) -> Self {
        ScanError::Store(error)
    }
}

/// Walks `tree` from `start` (or just past the request's cursor) over keys beginning with
/// `prefix`, turning each key into an item with `item` (which may skip it with `None`).
pub(crate) fn scan<T>(
    tree: &sled::Tree,
    prefix: &[u8],
    start: &[u8],
    request: &PageRequest,
    item: impl FnMut(&[u8]) -> Result<Option<T>, StoreError>,
) -> Result<Page<T>, ScanError> {
    scan_until(tree, prefix, start, None, request, item)
}

/// [`scan`] that stops before the first key at or past `end` (when given).
pub(crate) fn scan_until<T>(
    tree: &sled::Tree,
    prefix: &[u8],
    start: &[u8],
    end: Option<&[u8]>,
    request: &PageRequest,
    mut item: impl FnMut(&[u8]) -> Result<Option<T>, StoreError>,
) -> Result<Page<T>, ScanError> {
    let limit = request.limit().map_err(ScanError::Invalid)?;
    let begin = match &request.after {
        Some(cursor) => {
            let bad = || FieldError::new("after", "is not a cursor from a previous page");
            let mut key = keys::cursor_bytes(cursor).ok_or_else(|| ScanError::Invalid(bad()))?;
            if !key.starts_with(prefix) {
                return Err(ScanError::Invalid(bad()));
            }
            key.push(0); // the smallest key after the cursor
            key.max(start.to_vec())
        }
        None => start.to_vec(),
    };
    let mut items = Vec::new();
    let mut last_key = None;
    for entry in tree.range(begin..) {
        let (key, _) = entry.map_err(StoreError::from)?;
        if !key.starts_with(prefix) || end.is_some_and(|end| key.as_ref() >= end) {
            break;
        }
        if let Some(found) = item(&key)? {
            items.push(found);
            if items.len() == limit {
                last_key = Some(key);
                break;
            }
        }
    }
    Ok(Page {
        items,
        next: last_key.map(|key| keys::cursor_text(&key)),
    })
}
