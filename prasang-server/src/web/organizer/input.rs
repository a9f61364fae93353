//! Reading the organizer forms (event, ticket type, promo code): typed values out of the text
//! entered, with an error beside each field that is not even of the right kind, and the core's
//! refusal of a field shown beside it in the form's words. The rules themselves are the core's.

use maud::{Markup, html};
use prasang_core::zone::EventTime;

use crate::web::error::WebError;
use crate::web::format;
use crate::web::layout::capitalised;

/// What went wrong with a form: field name → message.
pub(crate) type FieldErrors = Vec<(&'static str, String)>;

/// The message beside `name`, if any.
pub(crate) fn error_of<'a>(errors: &'a FieldErrors, name: &str) -> Option<&'a str> {
    errors
        .iter()
        .find(|(field, _)| *field == name)
        .map(|(_, message)| message.as_str())
}

/// The line above a form shown again: how many fields to correct.
pub(crate) fn error_summary(errors: &FieldErrors) -> Markup {
    html! {
        @if !errors.is_empty() {
            p.form-error role="alert" { "Please correct the marked field" @if errors.len() > 1 { "s" } "." }
        }
    }
}

/// Reads the typed values of one form, keeping what did not read.
#[derive(Default)]
pub(crate) struct Entry {
    pub(crate) errors: FieldErrors,
}

impl Entry {
    fn refuse<T>(&mut self, name: &'static str, message: &str) -> Option<T> {
        self.errors.push((name, message.into()));
        None
    }

    /// A whole number.
    pub(crate) fn number(&mut self, name: &'static str, text: &str) -> Option<i64> {
        match text.trim().parse() {
            Ok(number) => Some(number),
            Err(_) => self.refuse(name, "Enter a whole number."),
        }
    }

    /// A whole number, or nothing when left empty (`None` when it does not read).
    pub(crate) fn optional_number(
        &mut self,
        name: &'static str,
        text: &str,
    ) -> Option<Option<i64>> {
        if text.trim().is_empty() {
            return Some(None);
        }
        match text.trim().parse() {
            Ok(number) => Some(Some(number)),
            Err(_) => self.refuse(name, "Enter a whole number, or leave it empty."),
        }
    }

    /// An amount in major units ("12", "12.50") as minor units; empty is 0.
    pub(crate) fn money(&mut self, name: &'static str, text: &str) -> Option<i64> {
        format::parse_money_input(text)
            .or_else(|| self.refuse(name, "Enter an amount such as 12 or 12.50."))
    }

    /// A date and time in the event's zone.
    pub(crate) fn time(&mut self, name: &'static str, text: &str) -> Option<EventTime> {
        format::parse_event_time_input(text).or_else(|| self.refuse(name, "Enter a date and time."))
    }

    /// A date and time, or nothing when left empty.
    pub(crate) fn optional_time(
        &mut self,
        name: &'static str,
        text: &str,
    ) -> Option<Option<EventTime>> {
        if text.trim().is_empty() {
            return Some(None);
        }
        self.time(name, text).map(Some)
    }

    /// `value` when every field read, else the errors.
    pub(crate) fn finish<T>(self, value: Option<T>) -> Result<T, FieldErrors> {
        match value {
            Some(value) if self.errors.is_empty() => Ok(value),
            _ => Err(self.errors),
        }
    }
}

/// The form's name for a field the core named.
fn form_field(core_field: &'static str) -> &'static str {
    match core_field {
        "price_minor" => "price",
        "amount_minor" => "amount",
        other => other,
    }
}

/// A core message in the form's words (it names other fields by their API names).
fn humane(message: &str) -> String {
    let mut text = message.to_owned();
    for (api, label) in [
        ("starts_at", "the start"),
        ("ends_at", "the end"),
        ("price_minor", "the price"),
        ("per_user_limit", "seats per person"),
        ("sales_open_at", "the sale's opening"),
        ("sales_close_at", "the sale's close"),
        ("min_per_order", "the fewest seats per booking"),
        ("max_per_order", "the most seats per booking"),
    ] {
        text = text.replace(api, label);
    }
    capitalised(&text)
}

/// The core's refusal of one field as a form error; anything else stays an error.
pub(crate) fn refused_field(error: WebError) -> Result<FieldErrors, WebError> {
    match error.field() {
        Some(field) => Ok(vec![(form_field(field.field), humane(&field.message))]),
        None => Err(error),
    }
}
