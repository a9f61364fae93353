//! Reading events: one by id, the public listing, an organizer's own list.

use super::record::{self, EventRecord, SaleState};
use super::{Event, EventError, EventQuery, EventStatus, Events, NO_SUCH_EVENT};
use crate::auth::Actor;
use crate::error::CommonError;
use crate::ids::{EventId, UserId};
use crate::paging::{self, Page, PageRequest};
use crate::store::{StoreError, codec, keys};
use crate::validate::FieldError;
use crate::zone::{LocalDate, Zone};
use crate::{limits, validate};

impl Events<'_> {
    /// An event by id; counts a page view for analytics (in memory, batched into the log).
    pub fn get(&self, id: EventId) -> Result<Event, EventError> {
        let event = self.peek(id)?;
        self.inner.visits.record(id);
        Ok(event)
    }

    /// An event by id without counting a view.
    pub fn peek(&self, id: EventId) -> Result<Event, EventError> {
        Ok(self.load(id)?.ok_or(NO_SUCH_EVENT)?)
    }

    /// Upcoming published events ordered by start, optionally filtered by text and by the
    /// local date they start on (each in its own time zone).
    pub fn list(&self, query: &EventQuery) -> Result<Page<Event>, EventError> {
        let needle = query
            .text
            .as_deref()
            .map(|t| validate::text(&limits::SEARCH_TEXT, t, false))
            .transpose()?
            .filter(|t| !t.is_empty())
            .map(|t| t.to_lowercase());
        let local_date = query
            .local_date
            .as_deref()
            .map(|text| {
                LocalDate::parse(text.trim()).ok_or_else(|| {
                    FieldError::new("local_date", "must be a date such as 2026-12-05")
                })
            })
            .transpose()?;
        let mut start = self.inner.now();
        let mut end = None;
        if let Some(date) = local_date {
            // That local day, in the zones furthest ahead of and behind UTC, bounds the scan.
            let (earliest, latest) = Zone::widest_day_bounds(date)
                .ok_or_else(|| FieldError::new("local_date", "is out of range"))?;
            start = start.max(earliest);
            end = Some(keys::timestamp(latest));
        }
        let start = keys::timestamp(start);
        let page = paging::scan_until(
            &self.inner.store.events_by_start,
            &[],
            &start,
            end.as_ref().map(|key| key.as_slice()),
            &query.page,
            |key| {
                let Some(id) = keys::event_from_start_key(key) else {
                    return Ok(None);
                };
                let Some(event) = self.load(id)? else {
                    return Ok(None);
                };
                let matches = event.status == EventStatus::Published
                    && local_date.is_none_or(|date| starts_on(&event, date))
                    && needle.as_deref().is_none_or(|n| {
                        event.title.to_lowercase().contains(n)
                            || event.location.to_lowercase().contains(n)
                            || event.description.to_lowercase().contains(n)
                    });
                Ok(matches.then_some(event))
            },
        )?;
        Ok(page)
    }

    /// All events of one organizer (any status, past ones too), oldest first. Visible to that
    /// organizer and to admins.
    pub fn list_by_organizer(
        &self,
        actor: &Actor,
        organizer: UserId,
        page: &PageRequest,
    ) -> Result<Page<Event>, EventError> {
        if !actor.can_access_account(organizer) {
            return Err(CommonError::Forbidden("only the organizer can list their events").into());
        }
        let prefix = organizer.to_bytes();
        let page = paging::scan(
            &self.inner.store.events_by_organizer,
            &prefix,
            &prefix,
            page,
            |key| match key.get(16..).and_then(EventId::from_key_prefix) {
                Some(id) => self.load(id),
                None => Ok(None),
            },
        )?;
        Ok(page)
    }

    /// The event as the API shows it: its record with the seat counters of its sale state and
    /// the ratings of the analytics aggregates.
    pub(crate) fn load(&self, id: EventId) -> Result<Option<Event>, StoreError> {
        let Some(event) = codec::get::<EventRecord>(&self.inner.store.events, &id.to_bytes())?
        else {
            return Ok(None);
        };
        let (seats, names) = self
            .sale_state(id)?
            .map(|sale| (sale.seats, sale.attendee_names))
            .unwrap_or_default();
        let mut event = event.into_api(seats, names);
        event.rating = crate::analytics::event_rating(self.inner, id)?;
        Ok(Some(event))
    }

    pub(crate) fn sale_state(&self, id: EventId) -> Result<Option<SaleState>, StoreError> {
        record::sale_state(&self.inner.store, id)
    }

    /// An event for someone who runs it (its organizer or an admin), e.g. to show it in an edit
    /// form; anyone else is refused as changing it would be. Counts no view.
    pub fn get_managed(&self, actor: &Actor, id: EventId) -> Result<Event, EventError> {
        record::require_run_by(
            &self.inner.store,
            actor,
            id,
            "only the event's organizer can manage it",
        )?;
        self.peek(id)
    }
}

/// Whether `event` starts on local calendar day `date` in its own zone.
fn starts_on(event: &Event, date: LocalDate) -> bool {
    Zone::stored(&event.time_zone)
        .day_bounds(date)
        .is_some_and(|(from, to)| from <= event.starts_at && event.starts_at < to)
}
