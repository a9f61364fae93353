//! Scans: the transaction that admits a seat (online) or applies an offline gate's scan, and
//! the organizer's undo.
//!
//! A code is parsed and its signature verified before the transaction (no crypto under sled's
//! lock). The transaction then reads the scan id (a retry answers the first answer), the
//! ticket (its status revokes), the seat's admission (already in?) and, if the seat is free,
//! writes the admission, the scan id, the event's feed entry, its counters and the log entry.
//! Refusals write nothing. An offline scan that cannot be applied is stored as a conflict
//! instead of being refused, since the gate has let that person in already.

use sled::transaction::{ConflictableTransactionError, TransactionalTree};

use super::batch::Combiner;
use super::record::{
    self, AdmissionRecord, ConflictRecord, CountsRecord, FeedEntry, ScanAnswer, ScanRecord,
    StoredScan,
};
use super::{
    Admitted, CheckInError, CheckInRequest, CheckIns, Conflict, ConflictReason, GateScan,
    InvalidReason, Names, OfflineScan, RevokedReason, UploadOutcome, check_gate, check_scan_id,
    seat_type,
};
use crate::admission::CodeError;
use crate::auth::Actor;
use crate::context::Context;
use crate::events::{EventStatus, SaleState};
use crate::ids::{EventId, TicketId, UserId};
use crate::limits;
use crate::log::{self, DomainEvent};
use crate::store::{StoreError, abort, codec, finish, read_in_tx};
use crate::tickets::{Ticket, TicketStatus, record as ticket_record};
use crate::time::Timestamp;
use crate::validate::FieldError;

type TxResult<T> = Result<T, ConflictableTransactionError<StoreError>>;

/// A scan whose code was verified, to decide in the transaction.
#[derive(Clone, Copy)]
struct Scan<'a> {
    ticket: TicketId,
    seat: u32,
    scan_id: &'a str,
    /// When it was scanned: now online, the gate's clock offline.
    at: Timestamp,
}

/// What the scans of one gate share.
#[derive(Clone, Copy)]
struct Gate<'a> {
    event: EventId,
    /// Set when the event is cancelled: every code is revoked.
    event_cancelled: bool,
    name: &'a str,
    by: UserId,
    offline: bool,
    now: Timestamp,
}

/// An online scan waiting for its batch ([`ScanBatches`]): its gate and scan, owned.
pub(crate) struct QueuedScan {
    event: EventId,
    event_cancelled: bool,
    gate: String,
    by: UserId,
    now: Timestamp,
    ticket: TicketId,
    seat: u32,
    scan_id: String,
    at: Timestamp,
}

impl QueuedScan {
    fn of(gate: &Gate<'_>, scan: &Scan<'_>) -> Self {
        QueuedScan {
            event: gate.event,
            event_cancelled: gate.event_cancelled,
            gate: gate.name.to_owned(),
            by: gate.by,
            now: gate.now,
            ticket: scan.ticket,
            seat: scan.seat,
            scan_id: scan.scan_id.to_owned(),
            at: scan.at,
        }
    }

    fn gate(&self) -> Gate<'_> {
        Gate {
            event: self.event,
            event_cancelled: self.event_cancelled,
            name: &self.gate,
            by: self.by,
            offline: false,
            now: self.now,
        }
    }

    fn scan(&self) -> Scan<'_> {
        Scan {
            ticket: self.ticket,
            seat: self.seat,
            scan_id: &self.scan_id,
            at: self.at,
        }
    }
}

/// Every gate's online scans, decided in shared transactions (see [`super::batch`]).
pub(crate) type ScanBatches = Combiner<QueuedScan, Result<Decision, CheckInError>>;

/// What the transaction decided for one scan.
pub(crate) enum Decision {
    /// The seat is in (now, or by this scan id before: `replayed`).
    Admitted {
        ticket: Ticket,
        seat: u32,
        gate: String,
        at: Timestamp,
        replayed: bool,
    },
    /// Online: the seat was in already.
    AlreadyAdmitted {
        ticket: Ticket,
        seat: u32,
        first: AdmissionRecord,
    },
    /// Offline: stored as a conflict (now, or by this scan id before).
    Conflict {
        ticket: Ticket,
        id: u64,
        record: ConflictRecord,
        replayed: bool,
    },
    /// Nothing written.
    Refused(CheckInError),
}

impl Decision {
    /// Whether deciding it wrote something.
    fn wrote(&self) -> bool {
        matches!(
            self,
            Decision::Admitted {
                replayed: false,
                ..
            } | Decision::Conflict {
                replayed: false,
                ..
            }
        )
    }

    /// Whether it answers from what an earlier scan wrote, which may not be durable yet: a
    /// replayed scan id, or "already admitted" (a gate must not turn someone away for an
    /// admission a crash could still take back).
    fn reads_earlier_write(&self) -> bool {
        matches!(
            self,
            Decision::Admitted { replayed: true, .. }
                | Decision::Conflict { replayed: true, .. }
                | Decision::AlreadyAdmitted { .. }
        )
    }
}

/// The trees a scan touches, inside its transaction.
struct ScanTrees<'t> {
    tickets: &'t TransactionalTree,
    admissions: &'t TransactionalTree,
    scans: &'t TransactionalTree,
    feed: &'t TransactionalTree,
    conflicts: &'t TransactionalTree,
    counts: &'t TransactionalTree,
    log: &'t TransactionalTree,
}

impl ScanTrees<'_> {
    fn ticket(&self, id: TicketId) -> TxResult<Option<Ticket>> {
        match self.tickets.get(id.to_bytes())? {
            Some(bytes) => Ok(Some(ticket_record::decode(&bytes).map_err(abort)?)),
            None => Ok(None),
        }
    }

    fn counts(&self, event: EventId) -> TxResult<CountsRecord> {
        match self.counts.get(event.to_bytes())? {
            Some(bytes) => read_in_tx(&bytes),
            None => Ok(CountsRecord::default()),
        }
    }

    /// Counts seat `seat` of `ticket` in or out of the event's counters.
    fn count(&self, ticket: &Ticket, seat: u32, up: bool) -> TxResult<()> {
        let mut counts = self.counts(ticket.event)?;
        counts.change(seat_type(ticket, seat), up);
        self.counts
            .insert(&ticket.event.to_bytes(), codec::write(&counts))?;
        Ok(())
    }

    fn decide(&self, gate: &Gate<'_>, scan: &Scan<'_>) -> TxResult<Decision> {
        let event = gate.event;
        let scan_key = record::scan_key(event, scan.scan_id);
        if let Some(bytes) = self.scans.get(&scan_key)? {
            let first: ScanRecord = read_in_tx(&bytes)?;
            return self.replay(gate, scan, first);
        }
        let Some(ticket) = self
            .ticket(scan.ticket)?
            .filter(|ticket| ticket.event == event && (1..=ticket.quantity).contains(&scan.seat))
        else {
            // Only a bug or another store's key signs a seat that is not here.
            return Ok(Decision::Refused(CheckInError::CodeInvalid(
                InvalidReason::NoSuchSeat,
            )));
        };
        let this = StoredScan {
            gate: gate.name.to_owned(),
            at: scan.at,
            scan_id: scan.scan_id.to_owned(),
        };
        if let Some(reason) = revoked(&ticket, gate.event_cancelled) {
            if !gate.offline {
                return Ok(Decision::Refused(CheckInError::Revoked {
                    ticket: ticket.id,
                    seat: scan.seat,
                    reason,
                }));
            }
            return self.conflict(gate, ticket, scan, None, this, reason.into());
        }
        let seat_key = record::seat_key(event, ticket.id, scan.seat);
        if let Some(bytes) = self.admissions.get(seat_key)? {
            let first: AdmissionRecord = read_in_tx(&bytes)?;
            if !gate.offline {
                return Ok(Decision::AlreadyAdmitted {
                    ticket,
                    seat: scan.seat,
                    first,
                });
            }
            let recorded = Some(first.gate_scan());
            return self.conflict(
                gate,
                ticket,
                scan,
                recorded,
                this,
                ConflictReason::AlreadyAdmitted,
            );
        }
        let seq = record::next_seq(self.feed)?;
        let admission = AdmissionRecord {
            gate: gate.name.to_owned(),
            at: scan.at,
            recorded_at: gate.now,
            by: gate.by,
            scan_id: scan.scan_id.to_owned(),
            offline: gate.offline,
            seq,
        };
        self.admissions
            .insert(&seat_key[..], codec::write(&admission))?;
        let answer = ScanRecord {
            ticket: ticket.id,
            seat: scan.seat,
            answer: ScanAnswer::Admitted {
                gate: gate.name.to_owned(),
                at: scan.at,
            },
        };
        self.scans.insert(scan_key, codec::write(&answer))?;
        let entry = FeedEntry::Admitted {
            ticket: ticket.id,
            seat: scan.seat,
            gate: gate.name.to_owned(),
            at: scan.at,
        };
        self.feed
            .insert(&record::seq_key(event, seq), codec::write(&entry))?;
        self.count(&ticket, scan.seat, true)?;
        let admitted = DomainEvent::Admitted {
            event,
            ticket: ticket.id,
            seat: scan.seat,
            gate: gate.name.to_owned(),
            by: gate.by,
            scanned_at: scan.at,
            offline: gate.offline,
        };
        log::append(self.log, gate.now, &admitted)?;
        Ok(Decision::Admitted {
            ticket,
            seat: scan.seat,
            gate: gate.name.to_owned(),
            at: scan.at,
            replayed: false,
        })
    }

    /// The first answer to a scan id, for a retry with the same code; another code is refused.
    fn replay(&self, gate: &Gate<'_>, scan: &Scan<'_>, first: ScanRecord) -> TxResult<Decision> {
        if (first.ticket, first.seat) != (scan.ticket, scan.seat) {
            return Ok(Decision::Refused(CheckInError::ScanIdReused));
        }
        let Some(ticket) = self.ticket(first.ticket)? else {
            return Err(abort(StoreError::Corrupt {
                tree: "admission_scans",
                reason: format!("scan of missing ticket {}", first.ticket),
            }));
        };
        match first.answer {
            ScanAnswer::Admitted { gate, at } => Ok(Decision::Admitted {
                ticket,
                seat: first.seat,
                gate,
                at,
                replayed: true,
            }),
            ScanAnswer::Conflict { seq } => {
                let key = record::seq_key(gate.event, seq);
                let Some(bytes) = self.conflicts.get(key)? else {
                    return Err(abort(StoreError::Corrupt {
                        tree: "admission_conflicts",
                        reason: format!("conflict {seq} of a scan is missing"),
                    }));
                };
                Ok(Decision::Conflict {
                    ticket,
                    id: seq,
                    record: read_in_tx(&bytes)?,
                    replayed: true,
                })
            }
        }
    }

    /// Stores an offline scan that could not be applied, and its scan id.
    fn conflict(
        &self,
        gate: &Gate<'_>,
        ticket: Ticket,
        scan: &Scan<'_>,
        first: Option<StoredScan>,
        this: StoredScan,
        reason: ConflictReason,
    ) -> TxResult<Decision> {
        let event = gate.event;
        let seq = record::next_seq(self.conflicts)?;
        let conflict = ConflictRecord {
            ticket: ticket.id,
            seat: scan.seat,
            first,
            this,
            reason: reason.into(),
            by: gate.by,
            recorded_at: gate.now,
        };
        self.conflicts
            .insert(&record::seq_key(event, seq), codec::write(&conflict))?;
        let answer = ScanRecord {
            ticket: ticket.id,
            seat: scan.seat,
            answer: ScanAnswer::Conflict { seq },
        };
        self.scans
            .insert(record::scan_key(event, scan.scan_id), codec::write(&answer))?;
        let logged = DomainEvent::AdmissionConflict {
            event,
            ticket: ticket.id,
            seat: scan.seat,
            gate: gate.name.to_owned(),
            by: gate.by,
            scanned_at: scan.at,
        };
        log::append(self.log, gate.now, &logged)?;
        Ok(Decision::Conflict {
            ticket,
            id: seq,
            record: conflict,
            replayed: false,
        })
    }

    /// Takes seat `seat` of `ticket` out again.
    fn undo(
        &self,
        event: EventId,
        ticket: TicketId,
        seat: u32,
        by: UserId,
        now: Timestamp,
    ) -> TxResult<Result<(), CheckInError>> {
        let seat_key = record::seat_key(event, ticket, seat);
        if self.admissions.remove(&seat_key[..])?.is_none() {
            return Ok(Err(CheckInError::NotAdmitted { ticket, seat }));
        }
        let Some(stored) = self.ticket(ticket)? else {
            return Err(abort(StoreError::Corrupt {
                tree: "admissions",
                reason: format!("admission of missing ticket {ticket}"),
            }));
        };
        self.count(&stored, seat, false)?;
        let seq = record::next_seq(self.feed)?;
        self.feed.insert(
            &record::seq_key(event, seq),
            codec::write(&FeedEntry::Undone { ticket, seat }),
        )?;
        let undone = DomainEvent::AdmissionUndone {
            event,
            ticket,
            seat,
            by,
        };
        log::append(self.log, now, &undone)?;
        Ok(Ok(()))
    }
}

/// Why `ticket` does not admit, if it does not.
fn revoked(ticket: &Ticket, event_cancelled: bool) -> Option<RevokedReason> {
    if event_cancelled {
        return Some(RevokedReason::EventCancelled);
    }
    match ticket.status {
        TicketStatus::Booked => None,
        TicketStatus::Pending => Some(RevokedReason::NotPaid),
        TicketStatus::Cancelled => Some(RevokedReason::Cancelled),
        TicketStatus::Expired => Some(RevokedReason::Expired),
    }
}

impl From<RevokedReason> for ConflictReason {
    fn from(reason: RevokedReason) -> Self {
        ConflictReason::Revoked(reason)
    }
}

/// Runs `body` in one transaction over the trees a scan touches.
fn in_scan_tx<T>(
    inner: &Context,
    body: impl Fn(&ScanTrees<'_>) -> TxResult<T>,
) -> Result<T, StoreError> {
    let store = &inner.store;
    finish(store.transaction(
        (
            &store.tickets,
            &store.admissions,
            &store.admission_scans,
            &store.admission_feed,
            &store.admission_conflicts,
            &store.admission_counts,
            &store.log,
        ),
        |(tickets, admissions, scans, feed, conflicts, counts, log)| {
            body(&ScanTrees {
                tickets,
                admissions,
                scans,
                feed,
                conflicts,
                counts,
                log,
            })
        },
    ))
}

/// The ticket and seat of `code`, a genuine code of `event`.
fn verify_code(
    inner: &Context,
    event: EventId,
    code: &str,
) -> Result<(TicketId, u32), CheckInError> {
    // A 100 KB paste is refused before it is looked at.
    if code.len() > limits::ADMISSION_CODE.max as usize {
        return Err(CheckInError::CodeInvalid(InvalidReason::Malformed));
    }
    let parsed = inner.admission_keys.verify(code, event)?.map_err(refusal)?;
    Ok((parsed.ticket, parsed.seat))
}

/// The check-in refusal for a code that does not verify.
fn refusal(error: CodeError) -> CheckInError {
    let reason = match error {
        CodeError::WrongEvent => return CheckInError::WrongEvent,
        CodeError::Empty | CodeError::Malformed => InvalidReason::Malformed,
        CodeError::UnsupportedVersion(_) => InvalidReason::UnsupportedVersion,
        CodeError::UnknownKey(_) => InvalidReason::UnknownKey,
        CodeError::BadSignature => InvalidReason::BadSignature,
    };
    CheckInError::CodeInvalid(reason)
}

impl CheckIns<'_> {
    /// Checks a scanned code in at a gate: the seat is admitted, or the answer says why not
    /// ([`CheckInError::AlreadyAdmitted`] with when and where, [`CheckInError::Revoked`],
    /// [`CheckInError::WrongEvent`], [`CheckInError::CodeInvalid`]). The event's organizer,
    /// admins and its door staff may scan. Returns once the admission is durable; a retry with
    /// the same scan id answers the first answer and admits nothing again.
    pub fn check_in(
        &self,
        actor: &Actor,
        request: CheckInRequest<'_>,
    ) -> Result<Admitted, CheckInError> {
        let gate = check_gate(&request.gate)?;
        check_scan_id(&request.scan_id)?;
        let sale = self.require_scanner(actor, request.event)?;
        let (ticket, seat) = verify_code(self.inner, request.event, request.code)?;
        let now = self.inner.now();
        let scan = Scan {
            ticket,
            seat,
            scan_id: &request.scan_id,
            at: now,
        };
        let gate = self.gate(&sale, request.event, &gate, actor, false, now);
        let decision = self.decide_online(&gate, &scan)?;
        let mut names = Names::new(&self.inner.store, &sale);
        match decision {
            Decision::Admitted {
                ticket,
                seat,
                gate,
                at,
                replayed,
            } => Ok(names.admitted(&ticket, seat, &gate, at, replayed)?),
            Decision::AlreadyAdmitted {
                ticket,
                seat,
                first,
            } => {
                let first = names.admitted(&ticket, seat, &first.gate, first.at, false)?;
                Err(CheckInError::AlreadyAdmitted {
                    first: Box::new(first),
                })
            }
            // A retry online of a scan id an offline gate uploaded: the same refusal.
            Decision::Conflict { ticket, record, .. } => {
                Err(match (record.reason.into(), record.first) {
                    (ConflictReason::Revoked(reason), _) => CheckInError::Revoked {
                        ticket: ticket.id,
                        seat: record.seat,
                        reason,
                    },
                    (ConflictReason::AlreadyAdmitted, first) => {
                        let first = first.unwrap_or(record.this);
                        let first =
                            names.admitted(&ticket, record.seat, &first.gate, first.at, false)?;
                        CheckInError::AlreadyAdmitted {
                            first: Box::new(first),
                        }
                    }
                })
            }
            Decision::Refused(refusal) => Err(refusal),
        }
    }

    /// Applies scans an offline gate made, each as [`CheckIns::check_in`] would with the gate's
    /// own scan times, in one transaction. A scan of a seat another scan admitted, or of a
    /// revoked ticket, is stored as a [`Conflict`] (the gate let that person in); an invalid
    /// code or scan id is refused and stores nothing. Re-uploading a scan id answers the first
    /// answer. Outcomes are in the order of `scans`.
    pub fn upload(
        &self,
        actor: &Actor,
        event: EventId,
        gate: &str,
        scans: &[OfflineScan],
    ) -> Result<Vec<UploadOutcome>, CheckInError> {
        let gate = check_gate(gate)?;
        if !limits::UPLOAD_SCANS.contains(scans.len() as i64) {
            return Err(FieldError::new(
                limits::UPLOAD_SCANS.field,
                format!("upload 1 to {} scans at a time", limits::UPLOAD_SCANS.max),
            )
            .into());
        }
        let sale = self.require_scanner(actor, event)?;
        let mut outcomes: Vec<Option<UploadOutcome>> = Vec::with_capacity(scans.len());
        let mut verified = Vec::with_capacity(scans.len());
        for offline in scans {
            let checked = check_scan_id(&offline.scan_id)
                .map_err(CheckInError::from)
                .and_then(|()| verify_code(self.inner, event, &offline.code));
            match checked {
                Ok((ticket, seat)) => {
                    verified.push(Scan {
                        ticket,
                        seat,
                        scan_id: &offline.scan_id,
                        at: offline.scanned_at,
                    });
                    outcomes.push(None);
                }
                Err(refusal) => outcomes.push(Some(UploadOutcome::Refused(refusal))),
            }
        }
        let now = self.inner.now();
        let gate = self.gate(&sale, event, &gate, actor, true, now);
        let mut decided = self.decide(&gate, &verified)?.into_iter();
        let mut names = Names::new(&self.inner.store, &sale);
        outcomes
            .into_iter()
            .map(|outcome| match outcome {
                Some(refused) => Ok(refused),
                None => {
                    let decision = decided.next().ok_or(StoreError::Conflict)?;
                    Ok(upload_outcome(&mut names, event, decision)?)
                }
            })
            .collect()
    }

    /// Takes an admitted seat out again, so its code admits once more (the event's organizer
    /// and admins; logged as `admission_undone`). Scan ids keep their first answer.
    pub fn undo(
        &self,
        actor: &Actor,
        event: EventId,
        ticket: TicketId,
        seat: u32,
    ) -> Result<(), CheckInError> {
        self.require_organizer(actor, event)?;
        let now = self.inner.now();
        let by = actor.user_id();
        in_scan_tx(self.inner, |trees| trees.undo(event, ticket, seat, by, now))??;
        self.inner.committed_with_log()?;
        Ok(())
    }

    fn gate<'g>(
        &self,
        sale: &SaleState,
        event: EventId,
        name: &'g str,
        actor: &Actor,
        offline: bool,
        now: Timestamp,
    ) -> Gate<'g> {
        Gate {
            event,
            event_cancelled: sale.status == EventStatus::Cancelled,
            name,
            by: actor.user_id(),
            offline,
            now,
        }
    }

    /// Decides `scans` of one gate in order in one transaction, then waits until what they
    /// wrote (or what a replayed first scan wrote) is durable.
    fn decide(&self, gate: &Gate<'_>, scans: &[Scan<'_>]) -> Result<Vec<Decision>, CheckInError> {
        let scans: Vec<(&Gate<'_>, &Scan<'_>)> = scans.iter().map(|scan| (gate, scan)).collect();
        self.decide_each(&scans)
    }

    /// Decides one online scan in the next batch of every gate's online scans (see
    /// [`ScanBatches`]).
    fn decide_online(&self, gate: &Gate<'_>, scan: &Scan<'_>) -> Result<Decision, CheckInError> {
        let queued = QueuedScan::of(gate, scan);
        self.batches.run(queued, |batch| {
            let gates: Vec<Gate<'_>> = batch.iter().map(QueuedScan::gate).collect();
            let scans: Vec<Scan<'_>> = batch.iter().map(QueuedScan::scan).collect();
            let pairs: Vec<(&Gate<'_>, &Scan<'_>)> = gates.iter().zip(&scans).collect();
            match self.decide_each(&pairs) {
                Ok(decisions) => decisions.into_iter().map(Ok).collect(),
                // Nothing of the batch is known to be durable: each gate may retry its scan id.
                Err(error) => {
                    tracing::warn!(
                        ?error,
                        scans = batch.len(),
                        "a batch of online scans failed"
                    );
                    batch
                        .iter()
                        .map(|_| Err(StoreError::Conflict.into()))
                        .collect()
                }
            }
        })
    }

    /// Decides each scan at its gate, in order, in one transaction, then waits until what they
    /// wrote (or what a replayed first scan wrote) is durable.
    fn decide_each(&self, scans: &[(&Gate<'_>, &Scan<'_>)]) -> Result<Vec<Decision>, CheckInError> {
        if scans.is_empty() {
            return Ok(Vec::new());
        }
        let decided = in_scan_tx(self.inner, |trees| {
            scans
                .iter()
                .map(|(gate, scan)| trees.decide(gate, scan))
                .collect::<TxResult<Vec<_>>>()
        })?;
        if decided.iter().any(Decision::wrote) {
            self.inner.committed_with_log()?;
        } else if decided.iter().any(Decision::reads_earlier_write) {
            self.inner.store.durable()?;
        }
        Ok(decided)
    }
}

/// The outcome of one uploaded scan.
fn upload_outcome(
    names: &mut Names<'_>,
    event: EventId,
    decision: Decision,
) -> Result<UploadOutcome, StoreError> {
    Ok(match decision {
        Decision::Admitted {
            ticket,
            seat,
            gate,
            at,
            replayed,
        } => UploadOutcome::Admitted(names.admitted(&ticket, seat, &gate, at, replayed)?),
        Decision::Conflict {
            ticket,
            id,
            record,
            replayed,
        } => UploadOutcome::Conflict(conflict(names, event, &ticket, id, record, replayed)?),
        // (Offline scans of admitted seats are decided as conflicts; answered as online.)
        Decision::AlreadyAdmitted {
            ticket,
            seat,
            first,
        } => {
            let first = names.admitted(&ticket, seat, &first.gate, first.at, false)?;
            UploadOutcome::Refused(CheckInError::AlreadyAdmitted {
                first: Box::new(first),
            })
        }
        Decision::Refused(refusal) => UploadOutcome::Refused(refusal),
    })
}

/// A stored conflict as the API shows it.
pub(super) fn conflict(
    names: &mut Names<'_>,
    event: EventId,
    ticket: &Ticket,
    id: u64,
    record: ConflictRecord,
    replayed: bool,
) -> Result<Conflict, StoreError> {
    let shown = names.admitted(
        ticket,
        record.seat,
        &record.this.gate,
        record.this.at,
        replayed,
    )?;
    Ok(Conflict {
        id,
        event,
        ticket: ticket.id,
        seat: record.seat,
        of: ticket.quantity,
        name: shown.name,
        attendee_name: shown.attendee_name,
        ticket_type_name: shown.ticket_type_name,
        reason: record.reason.into(),
        first: record.first.map(GateScan::from),
        this: record.this.into(),
        recorded_at: record.recorded_at,
        replayed,
    })
}
