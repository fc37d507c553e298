//! A connection's state as the commands see it: selected database, name, reply mode,
//! and the flags commands set for the door to act on (close after this reply). Also the
//! state of the engine-level features a connection may use (a transaction, watched keys,
//! pub/sub subscriptions, a blocking command that waits), behind one `features` byte so a
//! connection that uses none of them pays one check per command.

use crate::blocking::BlockRequest;
use crate::clients::ClientHandle;
use crate::pubsub::PubSubState;
use crate::transactions::MultiState;
use bytes::Bytes;
use std::sync::Arc;

/// `Session::features` bit: inside MULTI.
pub(crate) const IN_MULTI: u8 = 1;
/// `Session::features` bit: some keys are WATCHed.
pub(crate) const WATCHING: u8 = 2;
/// `Session::features` bit: subscribed to at least one channel, pattern or shard channel.
pub(crate) const SUBSCRIBED: u8 = 4;

/// CLIENT REPLY modes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ReplyMode {
    /// Replies are sent.
    #[default]
    On,
    /// No replies until CLIENT REPLY ON.
    Off,
    /// The next command's reply is dropped.
    Skip,
    /// Set by CLIENT REPLY SKIP: this command's reply goes, the next one is dropped.
    SkipNext,
}

/// Per-connection state owned by the connection's task and lent to each command.
#[derive(Debug)]
pub struct Session {
    /// The client's entry in the registry (CLIENT LIST/KILL see it).
    pub handle: Arc<ClientHandle>,
    /// Selected database.
    pub db: usize,
    /// CLIENT REPLY mode.
    pub reply_mode: ReplyMode,
    /// CLIENT NO-EVICT.
    pub no_evict: bool,
    /// CLIENT NO-TOUCH: reads do not update the access clock.
    pub no_touch: bool,
    /// The door closes the connection once the replies so far are written (QUIT, CLIENT KILL of self).
    pub close_after_reply: bool,
    /// The authenticated user's name.
    pub user: String,
    /// Who the session is, as the gate sees it (`crate::gate`); `None` without a gate (unit
    /// tests of commands), when every command is allowed.
    pub identity: Option<Arc<dyn crate::gate::SessionUser>>,
    /// Whether the session authenticated (or needed not: `default` was `nopass` when it
    /// connected, as Redis decides at connection time).
    pub authenticated: bool,
    /// The subject CN of the client's TLS certificate, verified against the CA by the door;
    /// `None` without TLS or without a certificate. With `tls-auth-clients-user CN` it names
    /// the user the client is logged in as.
    pub tls_client_cn: Option<String>,
    /// Which of `IN_MULTI`, `WATCHING`, `SUBSCRIBED` apply.
    pub(crate) features: u8,
    /// The transaction being queued (MULTI).
    pub(crate) multi: Option<Box<MultiState>>,
    /// Keys WATCHed, with their database.
    pub(crate) watched: Vec<(usize, Bytes)>,
    /// Subscriptions and the inbox of published messages, once the client subscribed.
    pub(crate) pubsub: Option<Box<PubSubState>>,
    /// EXEC is running this session's queued commands: blocking commands must not block.
    pub(crate) in_exec: bool,
    /// Set by a blocking command that found nothing to serve: the engine parks the client.
    pub(crate) block: Option<Box<BlockRequest>>,
    /// The reply holds push frames (subscribe confirmations) that CLIENT REPLY OFF keeps.
    pub(crate) pushed: bool,
    /// What the append-only file logs for the running command instead of its arguments
    /// (`Ctx::propagate_as`); `Some(empty)` logs nothing.
    pub(crate) propagate: Option<Vec<Vec<Bytes>>>,
    /// EXEC logged MULTI before the transaction's first write: EXEC must follow.
    pub(crate) aof_multi_open: bool,
    /// The port a replica said it listens on (REPLCONF listening-port).
    pub(crate) replica_port: u16,
    /// Set by SYNC/PSYNC: the door turns this connection into a replica's link.
    pub replica_attach: Option<Box<crate::replication::ReplicaAttach>>,
    /// The session applies the primary's stream: no read-only or memory refusals.
    pub from_primary: bool,
}

impl Session {
    /// A fresh session for a registered client.
    pub fn new(handle: Arc<ClientHandle>) -> Session {
        Session {
            handle,
            db: 0,
            reply_mode: ReplyMode::On,
            no_evict: false,
            no_touch: false,
            close_after_reply: false,
            user: "default".to_string(),
            identity: None,
            authenticated: true,
            tls_client_cn: None,
            features: 0,
            multi: None,
            watched: Vec::new(),
            pubsub: None,
            in_exec: false,
            block: None,
            pushed: false,
            propagate: None,
            aof_multi_open: false,
            replica_port: 0,
            replica_attach: None,
            from_primary: false,
        }
    }

    /// The client's id.
    pub fn id(&self) -> u64 {
        self.handle.id
    }

    /// Whether the session is inside MULTI.
    pub fn in_multi(&self) -> bool {
        self.features & IN_MULTI != 0
    }

    /// Whether the session has Pub/Sub subscriptions.
    pub fn is_subscribed(&self) -> bool {
        self.features & SUBSCRIBED != 0
    }
}
