//! The waiting rooms' part of [`crate::Prasang::verify_integrity`]: the queue and the members
//! name each other (every place in `room_queue` is its member's current place, and every
//! member's place is in the queue), and every member belongs to a room.

use std::collections::BTreeSet;

use super::record::{MemberRecord, RoomRecord, Spot, room_key, spot_of};
use crate::ids::{EventId, UserId};
use crate::store::{Store, StoreError, codec};

/// Checks the rooms of `store`, adding what disagrees to `problems`.
pub(crate) fn verify(store: &Store, problems: &mut Vec<String>) -> Result<(), StoreError> {
    let mut places = BTreeSet::new();
    for entry in store.room_members.iter() {
        let (key, value) = entry?;
        let member: MemberRecord = codec::read(&value)?;
        let (Some(event), Some(user)) = (
            id_at(&key, 0).map(EventId::from_bytes),
            id_at(&key, 16).map(UserId::from_bytes),
        ) else {
            problems.push("room_members: a key that is not event ++ user".into());
            continue;
        };
        let room: Option<RoomRecord> = codec::get(&store.waiting_rooms, &room_key(event))?;
        match room {
            None => problems.push(format!("waiting room of {event}: a member but no room")),
            Some(room) if member.ordinal > room.early + room.late => problems.push(format!(
                "waiting room of {event}: member {user} has ordinal {} of {} given",
                member.ordinal,
                room.early + room.late
            )),
            Some(_) => {}
        }
        places.insert((event, member.place, user));
    }
    let mut queued = 0;
    for entry in store.room_queue.iter() {
        let (key, _) = entry?;
        let (Some(event), Some(Spot { place, user })) =
            (id_at(&key, 0).map(EventId::from_bytes), spot_of(&key))
        else {
            problems.push("room_queue: a key that is not event ++ place ++ user".into());
            continue;
        };
        queued += 1;
        if !places.contains(&(event, place, user)) {
            problems.push(format!(
                "waiting room of {event}: place {place} of {user} is queued but not theirs"
            ));
        }
    }
    if queued != places.len() {
        problems.push(format!(
            "waiting rooms: {} members but {queued} places queued",
            places.len()
        ));
    }
    Ok(())
}

/// The 16-byte id at `offset` of `key`.
fn id_at(key: &[u8], offset: usize) -> Option<[u8; 16]> {
    key.get(offset..offset + 16)?.try_into().ok()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::testing::{free_event, register};
    use crate::users::Role;
    use crate::waiting_room::record::{member_key, queue_key};
    use crate::waiting_room::{AdmissionRate, RoomSettings};
    use crate::{Config, Prasang};

    fn problems(prasang: &Prasang) -> Vec<String> {
        let mut problems = Vec::new();
        verify(&prasang.inner.ctx.store, &mut problems).expect("verify");
        problems
    }

    /// A room with three people in it checks out; a queued place without its member, or a
    /// member whose place is not queued, is reported.
    #[test]
    fn the_queue_and_the_members_must_name_each_other() {
        let prasang = Prasang::open(Config::temporary().background_tasks(false)).expect("open");
        let olga = register(&prasang, "olga", Role::Organizer);
        let starts_at = prasang.now().plus(Duration::from_secs(86_400));
        let event = prasang
            .events()
            .create(&olga, free_event(starts_at, 10))
            .expect("event")
            .id;
        let room = RoomSettings {
            enabled: true,
            on_sale_at: prasang.now(),
            admission: AdmissionRate::PerMinute(60),
            pass_minutes: 10,
        };
        prasang
            .waiting_room()
            .configure(&olga, event, room)
            .expect("room on");
        let fans: Vec<_> = ["ada", "bob", "cy"]
            .iter()
            .map(|name| register(&prasang, name, Role::Attendee))
            .collect();
        for fan in &fans {
            prasang.waiting_room().join(fan, event).expect("join");
        }
        assert_eq!(problems(&prasang), Vec::<String>::new());

        let store = &prasang.inner.ctx.store;
        let ada = fans[0].user_id();
        let bytes = store
            .room_members
            .get(member_key(event, ada))
            .expect("read")
            .expect("ada's place");
        let member: MemberRecord = codec::read(&bytes).expect("member");
        let queued = queue_key(
            event,
            Spot {
                place: member.place,
                user: ada,
            },
        );
        store.room_queue.remove(queued).expect("tamper");
        let found = problems(&prasang);
        assert!(
            found.len() == 1 && found[0].contains("3 members but 2 places"),
            "{found:#?}"
        );
        store.room_queue.insert(queued, &[][..]).expect("restore");
        store
            .room_members
            .remove(member_key(event, ada))
            .expect("tamper");
        let found = problems(&prasang);
        assert!(
            found
                .iter()
                .any(|problem| problem.contains("queued but not theirs")),
            "{found:#?}"
        );
    }
}
