//! Rules an embedder meets when calling the core directly: the same refusals the HTTP API gives,
//! each with the kind every front end maps.

mod common;

use common::{World, booking};
use prasang_core::users::Role;
use prasang_core::{DomainError, ErrorKind, TicketId};

#[test]
fn only_admins_check_integrity_or_read_the_log() {
    let world = World::new();
    let (organizer, ada, _event) = world.organizer_attendee_event(5, 0, 1);
    for who in [&organizer, &ada] {
        let refused = world.prasang.verify_integrity(who).unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::Forbidden);
        let refused = world.prasang.log().read(who, 0, 10).unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::Forbidden);
    }
    let root = world
        .prasang
        .users()
        .create_admin(common::new_user("Root", Role::Admin))
        .expect("admin");
    let admin = world.prasang.auth().trusted_actor(root.id).expect("actor");
    assert!(
        world
            .prasang
            .verify_integrity(&admin)
            .expect("admin checks")
            .is_ok()
    );
    assert!(
        !world
            .prasang
            .log()
            .read(&admin, 0, 10)
            .expect("admin reads")
            .is_empty()
    );
}

#[test]
fn a_trusted_actor_carries_the_role_the_account_has_now() {
    let world = World::new();
    let ada = world.register("Ada", Role::Attendee);
    let system = world.prasang.auth().system_actor();
    world
        .prasang
        .users()
        .set_role(&system, ada.id, Role::Organizer)
        .expect("promote");
    let actor = world.prasang.auth().trusted_actor(ada.id).expect("actor");
    assert_eq!(actor.role(), Role::Organizer);
    assert!(actor.can_organize() && actor.can_manage(ada.id) && !actor.is_admin());
    let unknown = world
        .prasang
        .auth()
        .trusted_actor(prasang_core::UserId::SYSTEM);
    assert_eq!(unknown.unwrap_err().kind(), ErrorKind::NotFound);
}

#[test]
fn every_refusal_has_the_kind_front_ends_map() {
    let world = World::new();
    let (organizer, ada, bob, event) = world.organizer_two_attendees_event(1, 0, 1);
    let tickets = world.prasang.tickets();

    let bad_quantity = tickets.book(&ada, &booking(event.id, 0)).unwrap_err();
    assert_eq!(bad_quantity.kind(), ErrorKind::InvalidInput);
    assert_eq!(bad_quantity.field().map(|f| f.field), Some("quantity"));

    let ticket = tickets
        .book(&ada, &booking(event.id, 1))
        .expect("book")
        .ticket;
    let sold_out = tickets.book(&bob, &booking(event.id, 1)).unwrap_err();
    assert_eq!(
        (sold_out.kind(), sold_out.info().code),
        (ErrorKind::Conflict, "sold-out")
    );

    let hidden = tickets.get(&bob, ticket.id).unwrap_err();
    let missing = tickets
        .get(
            &bob,
            "01ARZ3NDEKTSV4RRFFQ69G5FAV".parse::<TicketId>().unwrap(),
        )
        .unwrap_err();
    assert_eq!(
        hidden.info(),
        missing.info(),
        "someone else's ticket looks like no ticket"
    );
    assert_eq!(hidden.kind(), ErrorKind::NotFound);

    let not_theirs = world.prasang.events().cancel(&bob, event.id).unwrap_err();
    assert_eq!(not_theirs.kind(), ErrorKind::Forbidden);
    assert!(world.prasang.events().cancel(&organizer, event.id).is_ok());

    let login = world
        .prasang
        .auth()
        .login(&common::email_of("Ada"), "wrong password")
        .unwrap_err();
    assert_eq!(login.kind(), ErrorKind::Unauthorized);
    let token = world.prasang.auth().verify("not.a.token").unwrap_err();
    assert_eq!(token.kind(), ErrorKind::Unauthorized);
}

#[test]
fn opening_with_an_unusable_default_channel_is_a_settings_error_not_a_storage_one() {
    use prasang_core::notify::DeliveryPolicy;
    use prasang_core::{Config, OpenError, Prasang};

    let config = Config::temporary().delivery_policy(DeliveryPolicy {
        default_channels: vec!["Not A Channel!".into()],
        ..DeliveryPolicy::default()
    });
    let refused = Prasang::open(config).err().expect("refused");
    assert_matches!(refused, OpenError::Channels(_));
    assert_eq!(refused.kind(), ErrorKind::InvalidInput);
}

#[test]
fn admins_search_accounts_by_name_or_e_mail_and_others_may_not() {
    let world = World::new();
    let admin = world.prasang.auth().system_actor();
    let ada = world.user("Ada Lovelace", Role::Attendee);
    world.user("Bob", Role::Organizer);
    world.user("Adam", Role::Attendee);
    let names = |text: &str, limit: usize| {
        let page = world
            .prasang
            .users()
            .search(
                &admin,
                text,
                &prasang_core::PageRequest {
                    after: None,
                    limit: Some(limit),
                },
            )
            .expect("admins may search");
        let names: Vec<String> = page.items.into_iter().map(|user| user.name).collect();
        (names, page.next.is_some())
    };
    assert_eq!(
        names("ada", 10),
        (vec!["Ada Lovelace".to_owned(), "Adam".to_owned()], false),
        "case-insensitive, in account order"
    );
    assert_eq!(names("BOB@EXAMPLE", 10), (vec!["Bob".to_owned()], false));
    assert_eq!(names("", 2).0.len(), 2);
    assert!(names("", 2).1, "a third account is on the next page");
    let refused = world
        .prasang
        .users()
        .search(&ada, "", &prasang_core::PageRequest::default());
    assert!(
        matches!(&refused, Err(e) if e.kind() == ErrorKind::Forbidden),
        "{refused:?}"
    );
}
