//! The route table: the single list from which both the router and the OpenAPI document are
//! built. Add a route here (and its handler) and it is served, measured and documented.

use crate::handlers::{
    admin, admission, analytics, auth, check_in, embed, events, feedback, guests, messages, meta,
    notifications, promo_codes, ticket_types, tickets, users, waiting_room, waitlist,
};
use crate::request::{BoxReply, Ctx, handler};

/// A handler: takes the request context, returns the response future.
pub type Handler = fn(Ctx) -> BoxReply;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone.
    Public,
    /// A valid bearer token (role and ownership are then checked by the core).
    Bearer,
    /// Anyone; a bearer token, if sent, must be valid and may show the caller more.
    OptionalBearer,
}

/// One operation of the API.
#[derive(Clone, Copy)]
pub struct Route {
    /// HTTP method in upper case.
    pub method: &'static str,
    /// Path in matchit/OpenAPI template syntax (`/api/v1/events/{id}`).
    pub path: &'static str,
    /// OpenAPI `operationId`, also the route label in metrics.
    pub operation: &'static str,
    /// One-line description.
    pub summary: &'static str,
    /// OpenAPI tag.
    pub tag: &'static str,
    /// Who may call it.
    pub access: Access,
    /// Whether the per-address login/registration rate limit applies.
    pub rate_limited: bool,
    /// Schema name of the JSON request body, if any.
    pub request: Option<&'static str>,
    /// Query parameters accepted.
    pub query: &'static [&'static str],
    /// Extra request headers understood (documented as optional parameters).
    pub headers: &'static [&'static str],
    /// Status on success.
    pub success: u16,
    /// Schema name of the success body, if any.
    pub response: Option<&'static str>,
    /// Media type of the success body.
    pub media_type: &'static str,
    /// Statuses the core's refusals give on this route beyond those every route of its kind can
    /// give (which the OpenAPI document derives from the fields above): e.g. 409 when sold out.
    pub refusals: &'static [u16],
    /// The handler.
    pub handler: Handler,
}

const PAGE_QUERY: &[&str] = &["after", "limit"];

impl Route {
    const fn new(
        method: &'static str,
        path: &'static str,
        handler: Handler,
        operation: &'static str,
        tag: &'static str,
        summary: &'static str,
    ) -> Route {
        Route {
            method,
            path,
            operation,
            summary,
            tag,
            access: Access::Public,
            rate_limited: false,
            request: None,
            query: &[],
            headers: &[],
            success: 200,
            response: None,
            media_type: "application/json",
            refusals: &[],
            handler,
        }
    }
    const fn bearer(mut self) -> Route {
        self.access = Access::Bearer;
        self
    }
    const fn optional_bearer(mut self) -> Route {
        self.access = Access::OptionalBearer;
        self
    }
    const fn rate_limited(mut self) -> Route {
        self.rate_limited = true;
        self
    }
    const fn body(mut self, schema: &'static str) -> Route {
        self.request = Some(schema);
        self
    }
    const fn query(mut self, names: &'static [&'static str]) -> Route {
        self.query = names;
        self
    }
    const fn header(mut self, names: &'static [&'static str]) -> Route {
        self.headers = names;
        self
    }
    const fn refuses(mut self, statuses: &'static [u16]) -> Route {
        self.refusals = statuses;
        self
    }
    const fn media(mut self, media_type: &'static str) -> Route {
        self.media_type = media_type;
        self
    }
    const fn returns(mut self, status: u16, schema: Option<&'static str>) -> Route {
        self.success = status;
        self.response = schema;
        self
    }
}

/// The routes other than the analytics reports over the caller's events and over one event.
const API: &[Route] = &[
    Route::new(
        "GET",
        "/healthz",
        handler!(meta::health),
        "health",
        "meta",
        "Liveness check",
    )
    .returns(200, Some("Health")),
    Route::new(
        "GET",
        "/metrics",
        handler!(meta::metrics),
        "metrics",
        "meta",
        "Prometheus metrics (text format)",
    ),
    Route::new(
        "GET",
        "/.well-known/jwks.json",
        handler!(meta::jwks),
        "jwks",
        "auth",
        "Public keys that verify access tokens (JWKS)",
    )
    .returns(200, Some("Jwks"))
    .media("application/jwk-set+json"),
    Route::new(
        "GET",
        "/.well-known/admission-keys.json",
        handler!(admission::keys),
        "admissionKeysWellKnown",
        "check-in",
        "The public keys that verify admission codes offline (the same as /api/v1/admission-keys)",
    )
    .returns(200, Some("AdmissionKeys")),
    Route::new(
        "GET",
        "/api/v1/admission-keys",
        handler!(admission::keys),
        "admissionKeys",
        "check-in",
        "The public keys that verify admission codes offline, by key id (the current one signs new codes)",
    )
    .returns(200, Some("AdmissionKeys")),
    Route::new(
        "GET",
        "/api/v1/openapi.json",
        handler!(meta::openapi),
        "openapi",
        "meta",
        "This OpenAPI document",
    ),
    Route::new(
        "POST",
        "/api/v1/auth/register",
        handler!(auth::register),
        "register",
        "auth",
        "Create an attendee or organizer account",
    )
    .rate_limited()
    .body("NewUser")
    .returns(201, Some("User"))
    .refuses(&[403, 409]),
    Route::new(
        "POST",
        "/api/v1/auth/login",
        handler!(auth::login),
        "login",
        "auth",
        "Log in with e-mail and password",
    )
    .rate_limited()
    .body("Login")
    .returns(200, Some("Session"))
    .refuses(&[401]),
    Route::new(
        "POST",
        "/api/v1/guest/bookings",
        handler!(guests::book),
        "guestCheckout",
        "guests",
        "Book without an account: the seats go to the guest account of the e-mail address (made if new), whose confirmation carries a sign-in link; repeating a request with the same idempotency key returns the first answer",
    )
    .body("GuestCheckout")
    .header(&["Idempotency-Key"])
    .returns(201, Some("Ticket"))
    .refuses(&[404, 409, 429]),
    Route::new(
        "POST",
        "/api/v1/guest/links",
        handler!(guests::request_link),
        "requestGuestLink",
        "guests",
        "E-mail a new sign-in link to a guest's address; the same answer whether or not the address is known",
    )
    .rate_limited()
    .body("GuestLinkRequest")
    .returns(202, Some("GuestLinkAccepted")),
    Route::new(
        "POST",
        "/api/v1/guest/sessions",
        handler!(guests::sign_in),
        "openGuestSession",
        "guests",
        "Spend a sign-in link (single use, 30 minutes) for a session of its guest account, as a login answers",
    )
    .rate_limited()
    .body("GuestSignIn")
    .returns(200, Some("Session"))
    .refuses(&[401]),
    Route::new(
        "POST",
        "/api/v1/guest/registration",
        handler!(guests::register),
        "registerGuest",
        "guests",
        "Set a password on the caller's guest account: it becomes a normal account with the same id and tickets",
    )
    .bearer()
    .body("GuestRegistration")
    .returns(200, Some("User"))
    .refuses(&[409]),
    Route::new(
        "POST",
        "/api/v1/auth/refresh",
        handler!(auth::refresh),
        "refresh",
        "auth",
        "Trade a refresh token for a new session (each works once)",
    )
    .body("RefreshToken")
    .returns(200, Some("Session"))
    .refuses(&[401]),
    Route::new(
        "POST",
        "/api/v1/auth/logout",
        handler!(auth::logout),
        "logout",
        "auth",
        "End the session of a refresh token",
    )
    .body("RefreshToken")
    .returns(204, None)
    .refuses(&[401]),
    Route::new(
        "GET",
        "/api/v1/me",
        handler!(users::me),
        "getMe",
        "users",
        "The caller's profile",
    )
    .bearer()
    .returns(200, Some("User")),
    Route::new(
        "PATCH",
        "/api/v1/me",
        handler!(users::update_me),
        "updateMe",
        "users",
        "Change the caller's profile",
    )
    .bearer()
    .body("ProfileUpdate")
    .returns(200, Some("User"))
    .refuses(&[409]),
    Route::new(
        "GET",
        "/api/v1/me/tickets",
        handler!(tickets::list_mine),
        "listMyTickets",
        "tickets",
        "The caller's tickets, oldest first",
    )
    .bearer()
    .query(PAGE_QUERY)
    .returns(200, Some("TicketPage")),
    Route::new(
        "GET",
        "/api/v1/me/waitlist",
        handler!(waitlist::mine),
        "listMyWaitlistEntries",
        "waitlist",
        "The caller's waiting list entries of every event: open offers first (with their deadlines), then by joining time",
    )
    .bearer()
    .returns(200, Some("WaitlistEntryList")),
    Route::new(
        "GET",
        "/api/v1/me/events",
        handler!(events::list_mine),
        "listMyEvents",
        "events",
        "Events the caller organizes (any status, oldest first)",
    )
    .bearer()
    .query(PAGE_QUERY)
    .returns(200, Some("EventPage")),
    Route::new(
        "GET",
        "/api/v1/users/{id}",
        handler!(users::get),
        "getUser",
        "users",
        "A user (oneself, or anyone for admins)",
    )
    .bearer()
    .returns(200, Some("User")),
    Route::new(
        "PUT",
        "/api/v1/users/{id}/role",
        handler!(users::set_role),
        "setUserRole",
        "admin",
        "Change a user's role (admins)",
    )
    .bearer()
    .body("RoleChange")
    .returns(200, Some("User")),
    Route::new(
        "GET",
        "/api/v1/users/{id}/embed-origins",
        handler!(embed::for_user),
        "getEmbedOrigins",
        "embed",
        "The web origins that may frame the organizer's booking widgets (the organizer, admins)",
    )
    .bearer()
    .returns(200, Some("EmbedOrigins")),
    Route::new(
        "PUT",
        "/api/v1/users/{id}/embed-origins",
        handler!(embed::set_for_user),
        "setEmbedOrigins",
        "embed",
        "Set the web origins (scheme://host[:port], at most 20) that may frame the organizer's booking widgets; empty: none (the organizer, admins)",
    )
    .bearer()
    .body("EmbedOrigins")
    .returns(200, Some("EmbedOrigins")),
    Route::new(
        "GET",
        "/api/v1/events",
        handler!(events::list),
        "listEvents",
        "events",
        "Upcoming published events by start time, optionally filtered by text and local date",
    )
    .query(&["text", "local_date", "after", "limit"])
    .returns(200, Some("EventPage")),
    Route::new(
        "POST",
        "/api/v1/events",
        handler!(events::create),
        "createEvent",
        "events",
        "Create and publish an event (organizers)",
    )
    .bearer()
    .body("NewEvent")
    .returns(201, Some("Event")),
    Route::new(
        "GET",
        "/api/v1/events/{id}",
        handler!(events::get),
        "getEvent",
        "events",
        "An event",
    )
    .returns(200, Some("Event")),
    Route::new(
        "PATCH",
        "/api/v1/events/{id}",
        handler!(events::update),
        "updateEvent",
        "events",
        "Change an event (its organizer)",
    )
    .bearer()
    .body("EventUpdate")
    .returns(200, Some("Event"))
    .refuses(&[409]),
    Route::new(
        "DELETE",
        "/api/v1/events/{id}",
        handler!(events::delete),
        "deleteEvent",
        "events",
        "Delete an event that never had tickets (its organizer)",
    )
    .bearer()
    .returns(204, None)
    .refuses(&[409]),
    Route::new(
        "POST",
        "/api/v1/events/{id}/cancel",
        handler!(events::cancel),
        "cancelEvent",
        "events",
        "Cancel an event (its organizer)",
    )
    .bearer()
    .returns(200, Some("Event"))
    .refuses(&[409]),
    Route::new(
        "GET",
        "/api/v1/events/{id}/embed-origins",
        handler!(embed::for_event),
        "getEventEmbedOrigins",
        "embed",
        "The web origins that may frame this event's booking widget (its organizer's)",
    )
    .returns(200, Some("EmbedOrigins")),
    Route::new(
        "GET",
        "/api/v1/events/{id}/ticket-types",
        handler!(ticket_types::list),
        "listTicketTypes",
        "ticket-types",
        "An event's ticket types in display order: the listed ones, plus the hidden ones `code` reveals; its organizer and admins see every type",
    )
    .optional_bearer()
    .query(&["code"])
    .returns(200, Some("TicketTypeList"))
    .refuses(&[409]),
    Route::new(
        "POST",
        "/api/v1/events/{id}/ticket-types",
        handler!(ticket_types::add),
        "addTicketType",
        "ticket-types",
        "Add a ticket type to an event (its organizer or an admin)",
    )
    .bearer()
    .body("NewTicketType")
    .returns(201, Some("TicketType"))
    .refuses(&[409]),
    Route::new(
        "PATCH",
        "/api/v1/events/{id}/ticket-types/{type_id}",
        handler!(ticket_types::update),
        "updateTicketType",
        "ticket-types",
        "Change, move, hide, close or reopen a ticket type; a new price applies to later bookings only",
    )
    .bearer()
    .body("TicketTypeUpdate")
    .returns(200, Some("TicketType"))
    .refuses(&[409]),
    Route::new(
        "DELETE",
        "/api/v1/events/{id}/ticket-types/{type_id}",
        handler!(ticket_types::delete),
        "deleteTicketType",
        "ticket-types",
        "Delete a ticket type no ticket was issued with (close it otherwise); an event keeps one",
    )
    .bearer()
    .returns(204, None)
    .refuses(&[409]),
    Route::new(
        "GET",
        "/api/v1/events/{id}/promo-codes",
        handler!(promo_codes::list),
        "listPromoCodes",
        "promo-codes",
        "An event's promo codes in code order, with their uses (its organizer or an admin)",
    )
    .bearer()
    .returns(200, Some("PromoCodeList")),
    Route::new(
        "POST",
        "/api/v1/events/{id}/promo-codes",
        handler!(promo_codes::create),
        "createPromoCode",
        "promo-codes",
        "Create a promo code for an event (its organizer or an admin)",
    )
    .bearer()
    .body("NewPromoCode")
    .returns(201, Some("PromoCode"))
    .refuses(&[409]),
    Route::new(
        "GET",
        "/api/v1/events/{id}/promo-codes/{code}",
        handler!(promo_codes::get),
        "getPromoCode",
        "promo-codes",
        "One promo code of an event, in any case (its organizer or an admin)",
    )
    .bearer()
    .returns(200, Some("PromoCode")),
    Route::new(
        "PATCH",
        "/api/v1/events/{id}/promo-codes/{code}",
        handler!(promo_codes::update),
        "updatePromoCode",
        "promo-codes",
        "Change or deactivate a promo code; tickets already issued keep what they were charged",
    )
    .bearer()
    .body("PromoCodeUpdate")
    .returns(200, Some("PromoCode")),
    Route::new(
        "GET",
        "/api/v1/events/{id}/promo-codes/{code}/uses",
        handler!(promo_codes::uses),
        "listPromoCodeUses",
        "promo-codes",
        "The tickets that used a promo code, oldest first (its organizer or an admin)",
    )
    .bearer()
    .returns(200, Some("PromoUseList")),
    Route::new(
        "GET",
        "/api/v1/events/{id}/tickets",
        handler!(tickets::list_for_event),
        "listEventTickets",
        "tickets",
        "An event's tickets (its organizer)",
    )
    .bearer()
    .query(PAGE_QUERY)
    .returns(200, Some("TicketPage")),
    Route::new(
        "POST",
        "/api/v1/events/{id}/tickets",
        handler!(tickets::book),
        "bookTickets",
        "tickets",
        "Book seats; repeating a request with the same Idempotency-Key returns the first answer; while the event's waiting room is on, with the caller's pass (429 pass-required with the position and Retry-After without one)",
    )
    .bearer()
    .body("Booking")
    .header(&["Idempotency-Key"])
    .returns(201, Some("Ticket"))
    .refuses(&[409, 429]),
    Route::new(
        "POST",
        "/api/v1/events/{id}/quote",
        handler!(tickets::quote),
        "quoteBooking",
        "tickets",
        "What a booking would cost the caller now, line by line with the promo code's discount; refused as the booking would be, and nothing is held",
    )
    .bearer()
    .body("Booking")
    .returns(200, Some("Quote"))
    .refuses(&[409]),
    Route::new(
        "GET",
        "/api/v1/tickets/{id}",
        handler!(tickets::get),
        "getTicket",
        "tickets",
        "A ticket (its holder or the event's organizer)",
    )
    .bearer()
    .returns(200, Some("Ticket")),
    Route::new(
        "GET",
        "/api/v1/tickets/{id}/admissions",
        handler!(admission::ticket_codes),
        "listTicketAdmissions",
        "check-in",
        "A booked ticket's admission code per seat (its holder, the event's organizer, admins)",
    )
    .bearer()
    .returns(200, Some("SeatCodes"))
    .refuses(&[409]),
    Route::new(
        "POST",
        "/api/v1/tickets/{id}/cancel",
        handler!(tickets::cancel),
        "cancelTicket",
        "tickets",
        "Cancel a ticket and free its seats",
    )
    .bearer()
    .returns(200, Some("Ticket"))
    .refuses(&[409]),
    Route::new(
        "PUT",
        "/api/v1/tickets/{id}/attendee-names",
        handler!(tickets::set_attendee_names),
        "setAttendeeNames",
        "tickets",
        "Change the attendee names of a ticket's seats until the event starts (its holder)",
    )
    .bearer()
    .body("AttendeeNamesChange")
    .returns(200, Some("Ticket"))
    .refuses(&[409]),
    Route::new(
        "POST",
        "/api/v1/tickets/{id}/confirm-payment",
        handler!(tickets::confirm_payment),
        "confirmPayment",
        "tickets",
        "Confirm payment of a pending ticket (the event's organizer)",
    )
    .bearer()
    .returns(200, Some("Ticket"))
    .refuses(&[409]),
    Route::new(
        "GET",
        "/api/v1/notification-channels",
        handler!(notifications::channels),
        "listNotificationChannels",
        "notifications",
        "The installed notification channels (channel plugins)",
    )
    .bearer()
    .returns(200, Some("NotificationChannels")),
    Route::new(
        "GET",
        "/api/v1/me/notification-preferences",
        handler!(notifications::my_preferences),
        "getMyNotificationPreferences",
        "notifications",
        "The channels the caller is told through (the defaults until they choose)",
    )
    .bearer()
    .returns(200, Some("NotificationPreferences")),
    Route::new(
        "PUT",
        "/api/v1/me/notification-preferences",
        handler!(notifications::set_my_preferences),
        "setMyNotificationPreferences",
        "notifications",
        "Choose the caller's channels (installed ones; an empty list turns notifications off)",
    )
    .bearer()
    .body("NotificationPreferences")
    .returns(200, Some("NotificationPreferences")),
    Route::new(
        "GET",
        "/api/v1/me/deliveries",
        handler!(notifications::my_deliveries),
        "listMyDeliveries",
        "notifications",
        "Notifications sent (or being sent) to the caller, oldest first",
    )
    .bearer()
    .query(PAGE_QUERY)
    .returns(200, Some("DeliveryPage")),
    Route::new(
        "GET",
        "/api/v1/events/{id}/notification-settings",
        handler!(notifications::event_settings),
        "getEventNotificationSettings",
        "notifications",
        "Which notifications an event's holders get (its organizer or an admin)",
    )
    .bearer()
    .returns(200, Some("EventNotificationSettings")),
    Route::new(
        "PUT",
        "/api/v1/events/{id}/notification-settings",
        handler!(notifications::set_event_settings),
        "setEventNotificationSettings",
        "notifications",
        "Turn kinds of notification off and add channels that get a copy (its organizer or an admin)",
    )
    .bearer()
    .body("EventNotificationSettings")
    .returns(200, Some("EventNotificationSettings")),
    Route::new(
        "GET",
        "/api/v1/events/{id}/deliveries",
        handler!(notifications::event_deliveries),
        "listEventDeliveries",
        "notifications",
        "Notifications about an event and what became of them (its organizer or an admin)",
    )
    .bearer()
    .query(PAGE_QUERY)
    .returns(200, Some("DeliveryPage")),
    Route::new(
        "GET",
        "/api/v1/events/{id}/waitlist",
        handler!(waitlist::status),
        "getWaitlist",
        "waitlist",
        "An event's waiting list settings and numbers: entries and seats waiting and on offer, no names",
    )
    .returns(200, Some("WaitlistStatus")),
    Route::new(
        "PUT",
        "/api/v1/events/{id}/waitlist/settings",
        handler!(waitlist::configure),
        "setWaitlistSettings",
        "waitlist",
        "Open, close or pause the waiting list, set the offer window and whether partial offers are made (its organizer or an admin); seats free now are offered at once",
    )
    .bearer()
    .body("WaitlistSettings")
    .returns(200, Some("WaitlistStatus")),
    Route::new(
        "POST",
        "/api/v1/events/{id}/waitlist",
        handler!(waitlist::join),
        "joinWaitlist",
        "waitlist",
        "Join the waiting list for seats that cannot be booked now (one entry per person and ticket type); the answer gives the position",
    )
    .bearer()
    .body("WaitlistJoin")
    .returns(201, Some("WaitlistEntry"))
    .refuses(&[409]),
    Route::new(
        "GET",
        "/api/v1/events/{id}/waitlist/mine",
        handler!(waitlist::mine_for),
        "listMyWaitlistEntriesForEvent",
        "waitlist",
        "The caller's entries in this event's waiting list, with positions and offers",
    )
    .bearer()
    .returns(200, Some("WaitlistEntryList")),
    Route::new(
        "GET",
        "/api/v1/events/{id}/waitlist/entries",
        handler!(waitlist::list),
        "listWaitlistEntries",
        "waitlist",
        "The waiting list in joining order with names, seats, joining time and offers (its organizer or an admin)",
    )
    .bearer()
    .query(PAGE_QUERY)
    .returns(200, Some("WaitlistMemberPage")),
    Route::new(
        "DELETE",
        "/api/v1/events/{id}/waitlist/{entry}",
        handler!(waitlist::leave),
        "leaveWaitlist",
        "waitlist",
        "Take an entry off the waiting list: its user leaving, or the event's organizer or an admin removing it; seats on offer to it go to the next in line",
    )
    .bearer()
    .returns(204, None),
    Route::new(
        "POST",
        "/api/v1/events/{id}/waitlist/{entry}/accept",
        handler!(waitlist::accept),
        "acceptWaitlistOffer",
        "waitlist",
        "Accept an entry's open offer (its user): the seats are booked as a booking is (pending payment for paid tickets); repeating it answers the same ticket",
    )
    .bearer()
    .returns(201, Some("Ticket"))
    .refuses(&[409]),
    Route::new(
        "POST",
        "/api/v1/events/{id}/waitlist/{entry}/decline",
        handler!(waitlist::decline),
        "declineWaitlistOffer",
        "waitlist",
        "Decline an entry's open offer (its user): the seats go to the next in line and the entry leaves the list",
    )
    .bearer()
    .returns(204, None)
    .refuses(&[409]),
    Route::new(
        "GET",
        "/api/v1/events/{id}/waiting-room/settings",
        handler!(waiting_room::public),
        "getWaitingRoomSettings",
        "waiting-room",
        "Whether the event's waiting room is on (then booking needs a pass: join the room first) and when the sale opens",
    )
    .returns(200, Some("PublicRoom")),
    Route::new(
        "PUT",
        "/api/v1/events/{id}/waiting-room",
        handler!(waiting_room::configure),
        "setWaitingRoom",
        "waiting-room",
        "Turn the waiting room on or off, set the on-sale time, the admission rate and the pass lifetime (its organizer or an admin); answers the numbers",
    )
    .bearer()
    .body("RoomSettings")
    .returns(200, Some("RoomNumbers")),
    Route::new(
        "GET",
        "/api/v1/events/{id}/waiting-room",
        handler!(waiting_room::numbers),
        "getWaitingRoom",
        "waiting-room",
        "The waiting room's settings and live numbers: queue length, admitted, spent, abandoned, passes out, the lottery, the wait (its organizer or an admin); 404 room-not-open if it never had one",
    )
    .bearer()
    .returns(200, Some("RoomNumbers")),
    Route::new(
        "POST",
        "/api/v1/events/{id}/waiting-room/join",
        handler!(waiting_room::join),
        "joinWaitingRoom",
        "waiting-room",
        "Take a place in the event's waiting room (one per account: joining again answers the same place); Retry-After says when to ask again",
    )
    .bearer()
    .returns(200, Some("QueueStatus")),
    Route::new(
        "GET",
        "/api/v1/events/{id}/waiting-room/me",
        handler!(waiting_room::mine),
        "getMyWaitingRoomPlace",
        "waiting-room",
        "The caller's place: in the lottery, waiting (position, estimate), admitted (the pass to book with), spent or expired; while waiting, Retry-After says when to ask again",
    )
    .bearer()
    .returns(200, Some("QueueStatus")),
    Route::new(
        "POST",
        "/api/v1/events/{id}/check-ins",
        handler!(check_in::check_in),
        "checkIn",
        "check-in",
        "Check a scanned admission code in at a gate (its organizer, admins, its door staff); a retried scan_id answers the first answer",
    )
    .bearer()
    .body("CheckIn")
    .returns(200, Some("Admitted"))
    .refuses(&[409]),
    Route::new(
        "GET",
        "/api/v1/events/{id}/check-ins",
        handler!(check_in::recent),
        "listCheckIns",
        "check-in",
        "The last admissions, newest first (its organizer, admins, its door staff)",
    )
    .bearer()
    .query(&["limit"])
    .returns(200, Some("RecentAdmissionList")),
    Route::new(
        "GET",
        "/api/v1/events/{id}/check-ins/summary",
        handler!(check_in::summary),
        "checkInSummary",
        "check-in",
        "Seats admitted and expected, in all and per ticket type (its organizer, admins, its door staff)",
    )
    .bearer()
    .returns(200, Some("CheckInSummary")),
    Route::new(
        "DELETE",
        "/api/v1/events/{id}/check-ins/{ticket}/{seat}",
        handler!(check_in::undo),
        "undoCheckIn",
        "check-in",
        "Undo a wrong admission: the seat may come in again (its organizer, admins; logged)",
    )
    .bearer()
    .returns(204, None)
    .refuses(&[409]),
    Route::new(
        "GET",
        "/api/v1/events/{id}/door-staff",
        handler!(check_in::staff),
        "listDoorStaff",
        "check-in",
        "The users who may scan at this event's door (its organizer, admins)",
    )
    .bearer()
    .returns(200, Some("DoorStaffList")),
    Route::new(
        "PUT",
        "/api/v1/events/{id}/door-staff/{user}",
        handler!(check_in::add_staff),
        "addDoorStaff",
        "check-in",
        "Let an existing user scan at this event's door, and nothing else (its organizer, admins)",
    )
    .bearer()
    .returns(200, Some("DoorStaffMember")),
    Route::new(
        "DELETE",
        "/api/v1/events/{id}/door-staff/{user}",
        handler!(check_in::remove_staff),
        "removeDoorStaff",
        "check-in",
        "Take a user off this event's door staff (its organizer, admins)",
    )
    .bearer()
    .returns(204, None),
    Route::new(
        "GET",
        "/api/v1/events/{id}/check-in-sync",
        handler!(check_in::sync),
        "checkInSync",
        "check-in",
        "What an offline gate needs since its cursor: keys, revoked tickets, admissions and undos (its organizer, admins, its door staff)",
    )
    .bearer()
    .query(&["cursor"])
    .returns(200, Some("CheckInSync")),
    Route::new(
        "POST",
        "/api/v1/events/{id}/check-in-uploads",
        handler!(check_in::upload),
        "uploadCheckIns",
        "check-in",
        "Upload the scans an offline gate made (1 to 1,000): one outcome per scan, a seat admitted twice is a conflict (its organizer, admins, its door staff)",
    )
    .bearer()
    .body("CheckInUpload")
    .returns(200, Some("CheckInUploadResult")),
    Route::new(
        "GET",
        "/api/v1/events/{id}/check-in-conflicts",
        handler!(check_in::conflicts),
        "listCheckInConflicts",
        "check-in",
        "Offline scans that conflicted, oldest first (its organizer, admins)",
    )
    .bearer()
    .query(PAGE_QUERY)
    .returns(200, Some("CheckInConflictPage")),
    Route::new(
        "POST",
        "/api/v1/events/{id}/messages/preview",
        handler!(messages::preview),
        "previewMessage",
        "messages",
        "How many people a message to this segment would reach now (its organizer, admins)",
    )
    .bearer()
    .body("MessagePreviewRequest")
    .returns(200, Some("MessagePreview")),
    Route::new(
        "POST",
        "/api/v1/events/{id}/messages",
        handler!(messages::send),
        "sendMessage",
        "messages",
        "Write to a segment of the event's people through their channels, at most 5 messages a day (its organizer, admins; logged)",
    )
    .bearer()
    .body("MessageDraft")
    .returns(201, Some("Message"))
    .refuses(&[409]),
    Route::new(
        "GET",
        "/api/v1/events/{id}/messages",
        handler!(messages::list),
        "listMessages",
        "messages",
        "The event's messages, newest first (its organizer, admins)",
    )
    .bearer()
    .query(PAGE_QUERY)
    .returns(200, Some("MessagePage")),
    Route::new(
        "GET",
        "/api/v1/events/{id}/messages/{message}",
        handler!(messages::report),
        "getMessage",
        "messages",
        "One message and its deliveries per channel: sent, failed, pending, skipped (its organizer, admins)",
    )
    .bearer()
    .returns(200, Some("MessageReport")),
    Route::new(
        "GET",
        "/api/v1/admin/integrity",
        handler!(admin::integrity),
        "verifyIntegrity",
        "admin",
        "Recompute every counter and index and report disagreements (admins)",
    )
    .bearer()
    .returns(200, Some("IntegrityReport")),
    Route::new(
        "GET",
        "/api/v1/admin/log",
        handler!(admin::log),
        "readLog",
        "admin",
        "Read the domain event log (admins)",
    )
    .bearer()
    .query(&["from", "limit"])
    .returns(200, Some("LogPage")),
    Route::new(
        "POST",
        "/api/v1/admin/snapshot",
        handler!(admin::snapshot),
        "takeSnapshot",
        "admin",
        "Copy the live store into snapshots/NAME of the data folder, consistently, while it keeps serving (admins)",
    )
    .bearer()
    .body("SnapshotRequest")
    .returns(201, Some("Snapshot")),
    Route::new(
        "POST",
        "/api/v1/events/{id}/feedback",
        handler!(feedback::give),
        "giveFeedback",
        "feedback",
        "Rate an event you hold a booked ticket for, once it has started",
    )
    .bearer()
    .body("FeedbackInput")
    .returns(201, Some("Feedback"))
    .refuses(&[409]),
    Route::new(
        "GET",
        "/api/v1/events/{id}/feedback",
        handler!(feedback::list),
        "listFeedback",
        "feedback",
        "All feedback on an event (its organizer and admins)",
    )
    .bearer()
    .query(PAGE_QUERY)
    .returns(200, Some("FeedbackPage")),
    Route::new(
        "GET",
        "/api/v1/events/{id}/feedback/mine",
        handler!(feedback::mine),
        "getMyFeedback",
        "feedback",
        "The caller's feedback on an event",
    )
    .bearer()
    .returns(200, Some("Feedback")),
    Route::new(
        "PUT",
        "/api/v1/events/{id}/feedback/mine",
        handler!(feedback::edit),
        "editMyFeedback",
        "feedback",
        "Change the caller's rating and comment",
    )
    .bearer()
    .body("FeedbackInput")
    .returns(200, Some("Feedback")),
    Route::new(
        "DELETE",
        "/api/v1/events/{id}/feedback/mine",
        handler!(feedback::delete),
        "deleteMyFeedback",
        "feedback",
        "Withdraw the caller's feedback",
    )
    .bearer()
    .returns(204, None),
    Route::new(
        "PUT",
        "/api/v1/events/{id}/feedback/{user}/reply",
        handler!(feedback::reply),
        "replyToFeedback",
        "feedback",
        "Reply to a user's feedback, or change the reply (organizer); the attendee is notified",
    )
    .bearer()
    .body("ReplyInput")
    .returns(200, Some("Feedback")),
    Route::new(
        "GET",
        "/api/v1/analytics/top-events",
        handler!(analytics::top_events),
        "analyticsTopEvents",
        "analytics",
        "Top 10 events by bookings, mean rating or revenue (caller's events; admins: all)",
    )
    .bearer()
    .query(&["format", "organizer", "by", "min_ratings"])
    .returns(200, Some("TopEvents")),
    Route::new(
        "GET",
        "/api/v1/events/{id}/analytics/by-ticket-type",
        handler!(analytics::by_ticket_type),
        "eventAnalyticsByTicketType",
        "analytics",
        "Tickets, seats, revenue, refunds and discounts per ticket type of one event (its organizer and admins)",
    )
    .bearer()
    .query(&["format"])
    .returns(200, Some("ByTicketType")),
    Route::new(
        "GET",
        "/api/v1/events/{id}/analytics/by-promo-code",
        handler!(analytics::by_promo_code),
        "eventAnalyticsByPromoCode",
        "analytics",
        "Tickets, seats, revenue, refunds and discounts per promo code of one event (its organizer and admins)",
    )
    .bearer()
    .query(&["format"])
    .returns(200, Some("ByPromoCode")),
    Route::new(
        "GET",
        "/api/v1/events/{id}/analytics/attendance-by-ticket-type",
        handler!(analytics::attendance_by_ticket_type),
        "eventAnalyticsAttendanceByTicketType",
        "analytics",
        "Seats booked, checked in and no-shows per ticket type of one event (its organizer and admins)",
    )
    .bearer()
    .query(&["format"])
    .returns(200, Some("AttendanceByTicketType")),
    Route::new(
        "GET",
        "/api/v1/events/{id}/analytics/arrivals",
        handler!(analytics::arrivals),
        "eventAnalyticsArrivals",
        "analytics",
        "Check-ins per quarter hour on the event's local clock (its organizer and admins)",
    )
    .bearer()
    .query(&["format"])
    .returns(200, Some("Arrivals")),
    Route::new(
        "GET",
        "/api/v1/events/{id}/analytics/waitlist-length",
        handler!(analytics::waitlist_length),
        "eventAnalyticsWaitlistLength",
        "analytics",
        "The waiting list per hour on the event's local clock: entries and seats waiting, open offers, joins and offers (its organizer and admins)",
    )
    .bearer()
    .query(&["format"])
    .returns(200, Some("WaitlistLength")),
    Route::new(
        "GET",
        "/api/v1/events/{id}/analytics/waiting-room",
        handler!(analytics::waiting_room),
        "eventAnalyticsWaitingRoom",
        "analytics",
        "The waiting room per minute on the event's local clock: joins, admissions and the queue's length (its organizer and admins)",
    )
    .bearer()
    .query(&["format"])
    .returns(200, Some("QueueOverTime")),
];

/// A report over the caller's events and the same report over one event: the two differ only in
/// path, operation id, whom they cover and the `organizer` parameter.
macro_rules! report_routes {
    ($($name:literal, $operation:literal, $caller:path, $event:path, $schema:literal,
        $what:literal, [$($query:literal),*];)*) => {
        &[$(
            Route::new(
                "GET",
                concat!("/api/v1/analytics/", $name),
                handler!($caller),
                concat!("analytics", $operation),
                "analytics",
                concat!($what, " of the caller's events (admins: all events, or one organizer's)"),
            )
            .bearer()
            .query(&["format", "organizer" $(, $query)*])
            .returns(200, Some($schema)),
            Route::new(
                "GET",
                concat!("/api/v1/events/{id}/analytics/", $name),
                handler!($event),
                concat!("eventAnalytics", $operation),
                "analytics",
                concat!($what, " of one event (its organizer and admins)"),
            )
            .bearer()
            .query(&["format" $(, $query)*])
            .returns(200, Some($schema)),
        )*]
    };
}

/// The analytics reports, each over the caller's events (admins: everyone's, or one
/// organizer's) and over one event.
const REPORTS: &[Route] = report_routes! {
    "popularity", "Popularity", analytics::popularity, analytics::event_popularity, "Popularity",
        "Visits, bookings, cancellations, expiries, conversion and rating", [];
    "demographics", "Demographics", analytics::demographics, analytics::event_demographics,
        "Demographics", "Ticket holders by gender and age group", [];
    "ratings-by-group", "RatingsByGroup", analytics::ratings_by_group,
        analytics::event_ratings_by_group, "RatingsByGroup",
        "Mean rating by gender and age group", [];
    "trends", "Trends", analytics::trends, analytics::event_trends, "Trends",
        "Bookings, cancellations and revenue by day, ISO week or month",
        ["from", "to", "group_by", "time_zone"];
    "funnel", "Funnel", analytics::funnel, analytics::event_funnel, "Funnel",
        "Visits, holds, bookings, cancellations and expiries", [];
    "revenue", "Revenue", analytics::revenue, analytics::event_revenue, "Revenue",
        "Revenue (confirmed payments less refunds) and seat utilisation", [];
    "attendance", "Attendance", analytics::attendance, analytics::event_attendance, "Attendance",
        "Seats booked, checked in and no-shows", [];
    "attendance-by-group", "AttendanceByGroup", analytics::attendance_by_group,
        analytics::event_attendance_by_group, "AttendanceByGroup",
        "Seats booked, checked in and no-shows by the holders' gender and age group", [];
    "waitlist-totals", "WaitlistTotals", analytics::waitlist_totals,
        analytics::event_waitlist_totals, "WaitlistTotals",
        "Waiting list: joins, offers made, accepted, declined and expired, seats recovered", [];
};

/// Any other name where a report's is refused (422 naming the `report` field) rather than
/// answered as an unknown path. Served but not documented: the named routes document every
/// report, and a parameterised path beside each would only say the same again.
const UNKNOWN_REPORTS: &[Route] = &[
    Route::new(
        "GET",
        "/api/v1/analytics/{report}",
        handler!(analytics::unknown),
        "analyticsUnknown",
        "analytics",
        "Any other report name is refused, naming the `report` field",
    )
    .bearer()
    .refuses(&[422]),
    Route::new(
        "GET",
        "/api/v1/events/{id}/analytics/{report}",
        handler!(analytics::unknown),
        "eventAnalyticsUnknown",
        "analytics",
        "Any other report name is refused, naming the `report` field",
    )
    .bearer()
    .refuses(&[422]),
];

/// Every documented route the server answers: [`API`], then the reports.
pub static ROUTES: &[Route] = &concat::<{ API.len() + REPORTS.len() }>(API, REPORTS);

/// Every route the server answers: the documented ones, then those that only refuse what the
/// documented ones do not name ([`UNKNOWN_REPORTS`]).
pub fn served() -> impl Iterator<Item = &'static Route> {
    ROUTES.iter().chain(UNKNOWN_REPORTS)
}

/// `first` then `second` in one array, built at compile time so [`ROUTES`] stays a plain slice.
const fn concat<const N: usize>(first: &[Route], second: &[Route]) -> [Route; N] {
    let mut all = [first[0]; N];
    let mut i = 0;
    while i < N {
        all[i] = if i < first.len() {
            first[i]
        } else {
            second[i - first.len()]
        };
        i += 1;
    }
    all
}
