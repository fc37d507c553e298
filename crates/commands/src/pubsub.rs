//! Pub/Sub: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH, their shard variants
//! SSUBSCRIBE, SUNSUBSCRIBE, SPUBLISH, and PUBSUB CHANNELS|NUMSUB|NUMPAT|SHARDCHANNELS|
//! SHARDNUMSUB|HELP.
//!
//! The [`PubSubHub`] maps each channel, pattern and shard channel to its subscribers'
//! mailboxes. A client's mailbox is created on its first subscription: an unbounded channel of
//! encoded frames (a RESP2 array or a RESP3 `>` push, in the subscriber's protocol) that its
//! connection task drains and writes, so a publisher never waits for a subscriber. What a
//! subscriber has not yet written counts in its output buffer, against
//! `client-output-buffer-limit pubsub` (obuf.rs; Redis's defaults 32mb 8mb 60): past it the
//! subscriber is disconnected, so one that never reads cannot grow the server without bound.
//!
//! In RESP2 a subscribed client may only run (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PING, QUIT and
//! RESET (the engine enforces it, see [`refuse_in_subscribed_context`]); RESP3 allows
//! everything. Subscribe and unsubscribe confirmations are pushes: CLIENT REPLY OFF keeps them.
//!
//! Channel permissions (ACL `&pattern`) are enforced in [`check_channels`], the single
//! place every command that subscribes or publishes goes through (unsubscribing needs none).
//!
//! Keyspace notifications (`notify-keyspace-events`) are published through the same hub by
//! [`notify::keyspace_event`], which commands call where Redis calls `notifyKeyspaceEvent`.

pub(crate) mod notify;

use crate::clients::ClientHandle;
use crate::context::{CmdError, CmdResult, Ctx};
use crate::engine::Engine;
use crate::session::{Session, SUBSCRIBED};
use bytes::Bytes;
use redoubt_resp::{Protocol, ReplyBuffer};
use redoubt_store::glob_match;
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::mpsc;

/// What a subscription is to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// SUBSCRIBE: one channel.
    Channel = 0,
    /// PSUBSCRIBE: channels matching a glob pattern.
    Pattern = 1,
    /// SSUBSCRIBE: one shard channel.
    Shard = 2,
}

impl Kind {
    fn subscribe_word(self) -> &'static [u8] {
        match self {
            Kind::Channel => b"subscribe",
            Kind::Pattern => b"psubscribe",
            Kind::Shard => b"ssubscribe",
        }
    }
    fn unsubscribe_word(self) -> &'static [u8] {
        match self {
            Kind::Channel => b"unsubscribe",
            Kind::Pattern => b"punsubscribe",
            Kind::Shard => b"sunsubscribe",
        }
    }
}

/// One client's inbox of published frames, shared by its session and the hub. What it holds
/// counts in the client's output buffer (its handle's `push_pending`).
#[derive(Debug)]
pub(crate) struct Mailbox {
    tx: mpsc::UnboundedSender<Bytes>,
    client: Arc<ClientHandle>,
}

impl Mailbox {
    /// Queues `frame`, or closes the client if that would take its output buffer over its
    /// limits (obuf.rs): the frame is then dropped, so the inbox never holds more than the
    /// hard limit.
    pub(crate) fn deliver(&self, frame: Bytes, now_ms: i64, engine: &Engine) {
        if self.client.is_killed() {
            return;
        }
        let used = self.client.output_pending() + frame.len() as u64;
        if engine.check_output_limits(&self.client, used, now_ms) {
            return;
        }
        self.client.add_push(frame.len() as u64);
        let _ = self.tx.send(frame);
    }
}

/// A client's subscriptions and its inbox, kept in its session.
#[derive(Debug)]
pub(crate) struct PubSubState {
    mailbox: Arc<Mailbox>,
    inbox: mpsc::UnboundedReceiver<Bytes>,
    /// Channels, patterns, shard channels, each with the order it was subscribed in.
    subs: [HashMap<Bytes, u64>; 3],
    next_seq: u64,
}

impl PubSubState {
    /// Channel plus pattern subscriptions: what (P)SUBSCRIBE replies count.
    fn count(&self, kind: Kind) -> usize {
        match kind {
            Kind::Channel | Kind::Pattern => self.subs[0].len() + self.subs[1].len(),
            Kind::Shard => self.subs[2].len(),
        }
    }
}

type Subscribers = HashMap<Bytes, HashMap<u64, Arc<Mailbox>>>;

/// Every subscription of every client: channel, pattern and shard channel to mailboxes; and
/// every client's mailbox by client id, for the pushes that are not publications (client-side
/// caching's invalidations, tracking.rs).
#[derive(Debug, Default)]
pub struct PubSubHub {
    subs: Mutex<[Subscribers; 3]>,
    mailboxes: Mutex<HashMap<u64, Arc<Mailbox>>>,
}

impl PubSubHub {
    fn lock(&self) -> MutexGuard<'_, [Subscribers; 3]> {
        self.subs.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn mailboxes(&self) -> MutexGuard<'_, HashMap<u64, Arc<Mailbox>>> {
        self.mailboxes.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The mailbox of client `id`, if it has one (it subscribed, or speaks RESP3).
    pub(crate) fn mailbox_of(&self, id: u64) -> Option<Arc<Mailbox>> {
        self.mailboxes().get(&id).cloned()
    }

    /// Every subscription of the given clients: (client id, channel or pattern, is a
    /// pattern); shard channels count as channels. The gate closes the subscribers whose
    /// channel permissions were revoked with it (`Engine::subscriptions_of`).
    pub(crate) fn subscriptions_of(&self, clients: &std::collections::HashSet<u64>) -> Vec<(u64, Bytes, bool)> {
        let subs = self.lock();
        let mut out = Vec::new();
        for (kind, map) in subs.iter().enumerate() {
            for (name, subscribers) in map {
                for id in subscribers.keys().filter(|id| clients.contains(id)) {
                    out.push((*id, name.clone(), kind == Kind::Pattern as usize));
                }
            }
        }
        out
    }

    /// Number of channels (or shard channels) with subscribers, and of patterns.
    pub fn counts(&self) -> (usize, usize, usize) {
        let subs = self.lock();
        (subs[0].len(), subs[1].len(), subs[2].len())
    }
}

/// A message frame encoded at most once per protocol.
#[derive(Default)]
struct Frames([Option<Bytes>; 2]);

impl Frames {
    fn get(&mut self, resp3: bool, encode: impl Fn(&mut ReplyBuffer)) -> Bytes {
        self.0[resp3 as usize]
            .get_or_insert_with(|| {
                let mut out = ReplyBuffer::new(if resp3 { Protocol::Resp3 } else { Protocol::Resp2 });
                encode(&mut out);
                out.take().freeze()
            })
            .clone()
    }
}

/// The one place channel permissions are checked here (ACL `&pattern` rules, through the
/// session's identity, `crate::gate`): every command that subscribes or publishes passes its
/// channels or patterns here before anything happens. The engine's permission check before
/// dispatch refuses (and logs) them first; this is the second line. Unsubscribing needs no
/// permission, as in Redis.
fn check_channels(session: &Session, names: &[Bytes], are_patterns: bool) -> CmdResult {
    if session.channels_allowed(names, are_patterns) {
        Ok(())
    } else {
        Err(CmdError::raw("NOPERM this user has no permissions to access one of the channels used as arguments"))
    }
}

/// The session's pub/sub state, created (with its mailbox) by [`open_mailbox`].
fn state(session: &mut Session) -> &mut PubSubState {
    let handle = session.handle.clone();
    session.pubsub.get_or_insert_with(|| {
        let (tx, inbox) = mpsc::unbounded_channel();
        let mailbox = Arc::new(Mailbox { tx, client: handle });
        Box::new(PubSubState { mailbox, inbox, subs: Default::default(), next_seq: 0 })
    })
}

/// Gives the session its mailbox if it has none yet, and makes it reachable by client id:
/// on the first subscription, and when the client switches to RESP3 (which can receive
/// pushes in the same connection: client-side caching's invalidations).
pub(crate) fn open_mailbox(engine: &Engine, session: &mut Session) {
    if session.pubsub.is_none() {
        let mailbox = state(session).mailbox.clone();
        engine.pubsub.mailboxes().insert(session.id(), mailbox);
    }
}

/// Refreshes the session's feature bit and CLIENT LIST counters after (un)subscribing.
fn update_flags(session: &mut Session) {
    let counts =
        session.pubsub.as_ref().map(|p| [p.subs[0].len(), p.subs[1].len(), p.subs[2].len()]).unwrap_or_default();
    for (slot, n) in session.handle.subscriptions.iter().zip(counts) {
        slot.store(n as u32, Ordering::Relaxed);
    }
    if counts.iter().sum::<usize>() > 0 {
        session.features |= SUBSCRIBED;
    } else {
        session.features &= !SUBSCRIBED;
    }
}

fn subscribe_cmd(ctx: &mut Ctx<'_>, kind: Kind) -> CmdResult {
    if kind == Kind::Shard && ctx.session.in_exec {
        return Err(CmdError::raw("ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client"));
    }
    check_channels(ctx.session, &ctx.args[1..], kind == Kind::Pattern)?;
    open_mailbox(ctx.engine, ctx.session);
    let hub = &ctx.engine.pubsub;
    for name in &ctx.args[1..] {
        let st = state(ctx.session);
        if !st.subs[kind as usize].contains_key(name) {
            st.next_seq += 1;
            st.subs[kind as usize].insert(name.clone(), st.next_seq);
            let mailbox = st.mailbox.clone();
            hub.lock()[kind as usize].entry(name.clone()).or_default().insert(ctx.session.id(), mailbox);
        }
        let count = state(ctx.session).count(kind);
        ctx.out.push(3);
        ctx.out.bulk(kind.subscribe_word());
        ctx.out.bulk(name);
        ctx.out.int(count as i64);
    }
    update_flags(ctx.session);
    ctx.session.pushed = true;
    Ok(())
}

/// Removes one subscription of the session; false if it had none by that name.
fn remove_one(engine: &Engine, session: &mut Session, kind: Kind, name: &[u8]) -> bool {
    let id = session.id();
    let Some(st) = session.pubsub.as_deref_mut() else {
        return false;
    };
    if st.subs[kind as usize].remove(name).is_none() {
        return false;
    }
    let mut subs = engine.pubsub.lock();
    let map = &mut subs[kind as usize];
    if let Some(clients) = map.get_mut(name) {
        clients.remove(&id);
        if clients.is_empty() {
            map.remove(name);
        }
    }
    true
}

/// The session's subscriptions of `kind`, in the order they were made.
fn subscribed(session: &Session, kind: Kind) -> Vec<Bytes> {
    let Some(st) = session.pubsub.as_deref() else {
        return Vec::new();
    };
    let mut names: Vec<(&Bytes, u64)> = st.subs[kind as usize].iter().map(|(n, s)| (n, *s)).collect();
    names.sort_unstable_by_key(|(_, s)| *s);
    names.into_iter().map(|(n, _)| n.clone()).collect()
}

fn unsubscribe_cmd(ctx: &mut Ctx<'_>, kind: Kind) -> CmdResult {
    let names = if ctx.args.len() > 1 { ctx.args[1..].to_vec() } else { subscribed(ctx.session, kind) };
    let reply_one = |ctx: &mut Ctx<'_>, name: Option<&[u8]>| {
        let count = ctx.session.pubsub.as_ref().map_or(0, |st| st.count(kind));
        ctx.out.push(3);
        ctx.out.bulk(kind.unsubscribe_word());
        match name {
            Some(n) => ctx.out.bulk(n),
            None => ctx.out.null(),
        }
        ctx.out.int(count as i64);
    };
    if names.is_empty() {
        reply_one(ctx, None);
    }
    for name in &names {
        remove_one(ctx.engine, ctx.session, kind, name);
        reply_one(ctx, Some(name));
    }
    update_flags(ctx.session);
    ctx.session.pushed = true;
    Ok(())
}

/// Drops every subscription without replying (RESET, disconnection).
pub(crate) fn reset(engine: &Engine, session: &mut Session) {
    for kind in [Kind::Channel, Kind::Pattern, Kind::Shard] {
        for name in subscribed(session, kind) {
            remove_one(engine, session, kind, &name);
        }
    }
    update_flags(session);
    if session.pubsub.take().is_some() {
        engine.pubsub.mailboxes().remove(&session.id());
    }
    session.handle.release_inbox();
}

/// Moves published frames already waiting into `out` (at the start of a batch, so they go
/// out before the replies of commands that ran after them).
pub(crate) fn drain_inbox(session: &mut Session, out: &mut ReplyBuffer) {
    while let Some(frame) = session.try_push() {
        out.raw(&frame);
        session.push_written(frame.len());
    }
}

/// In RESP2, a subscribed client may only (un)subscribe, PING, QUIT and RESET: refuses
/// anything else with Redis's error; answers PING with the subscribed-context reply.
/// `None` lets the command run.
pub(crate) fn refuse_in_subscribed_context(
    name: &str,
    fullname: impl FnOnce() -> String,
    args: &[Bytes],
    out: &mut ReplyBuffer,
) -> Option<CmdResult> {
    const ALLOWED: [&str; 8] =
        ["subscribe", "ssubscribe", "unsubscribe", "sunsubscribe", "psubscribe", "punsubscribe", "quit", "reset"];
    if ALLOWED.contains(&name) {
        return None;
    }
    if name == "ping" {
        if args.len() > 2 {
            return Some(Err(CmdError::arity("ping")));
        }
        out.array(2);
        out.bulk(b"pong");
        out.bulk(args.get(1).map_or(&b""[..], |a| &a[..]));
        return Some(Ok(()));
    }
    Some(Err(CmdError::err(format!(
        "Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
        fullname()
    ))))
}

impl Session {
    /// Waits for the next published frame for this client; never resolves for a client
    /// that has not subscribed.
    pub async fn next_push(&mut self) -> Bytes {
        match self.pubsub.as_deref_mut() {
            Some(st) => match st.inbox.recv().await {
                Some(frame) => frame,
                None => std::future::pending().await,
            },
            None => std::future::pending().await,
        }
    }

    /// A published frame already waiting, if any.
    pub fn try_push(&mut self) -> Option<Bytes> {
        self.pubsub.as_deref_mut().and_then(|st| st.inbox.try_recv().ok())
    }

    /// Marks `n` bytes of published frames as taken from the inbox (written to the socket, or
    /// moved into the reply buffer, which counts them from then on).
    pub fn push_written(&self, n: usize) {
        if self.pubsub.is_some() {
            self.handle.sub_push(n as u64);
        }
    }

    /// Whether the client has subscribed at some point (its inbox exists).
    pub fn has_inbox(&self) -> bool {
        self.pubsub.is_some()
    }
}

/// SUBSCRIBE channel [channel ...]
pub(crate) fn subscribe(ctx: &mut Ctx<'_>) -> CmdResult {
    subscribe_cmd(ctx, Kind::Channel)
}

/// UNSUBSCRIBE [channel ...]
pub(crate) fn unsubscribe(ctx: &mut Ctx<'_>) -> CmdResult {
    unsubscribe_cmd(ctx, Kind::Channel)
}

/// PSUBSCRIBE pattern [pattern ...]
pub(crate) fn psubscribe(ctx: &mut Ctx<'_>) -> CmdResult {
    subscribe_cmd(ctx, Kind::Pattern)
}

/// PUNSUBSCRIBE [pattern ...]
pub(crate) fn punsubscribe(ctx: &mut Ctx<'_>) -> CmdResult {
    unsubscribe_cmd(ctx, Kind::Pattern)
}

/// SSUBSCRIBE shardchannel [shardchannel ...]
pub(crate) fn ssubscribe(ctx: &mut Ctx<'_>) -> CmdResult {
    subscribe_cmd(ctx, Kind::Shard)
}

/// SUNSUBSCRIBE [shardchannel ...]
pub(crate) fn sunsubscribe(ctx: &mut Ctx<'_>) -> CmdResult {
    unsubscribe_cmd(ctx, Kind::Shard)
}

/// Delivers `message` on `channel` (a shard channel if `shard`) to every subscriber, and for
/// plain channels to every matching pattern subscription; returns how many received it. A
/// frame for the publishing client itself goes straight into its reply, as Redis writes it
/// into the publisher's output buffer before the reply.
fn deliver_all(ctx: &mut Ctx<'_>, shard: bool, channel: &[u8], message: &[u8]) -> usize {
    let me = Some((ctx.session.id(), &mut *ctx.out));
    deliver(ctx.engine, me, ctx.now_ms, shard, channel, message)
}

/// [`deliver_all`] from anywhere: `me` is the publishing client (its id and reply buffer),
/// if any (the cron's active expiry has none).
pub(crate) fn deliver(
    engine: &Engine,
    mut me: Option<(u64, &mut ReplyBuffer)>,
    now_ms: i64,
    shard: bool,
    channel: &[u8],
    message: &[u8],
) -> usize {
    let subs = engine.pubsub.lock();
    let mut receivers = 0;
    let kind = if shard { Kind::Shard } else { Kind::Channel };
    if let Some(clients) = subs[kind as usize].get(channel) {
        let word: &[u8] = if shard { b"smessage" } else { b"message" };
        let mut frames = Frames::default();
        for mailbox in clients.values() {
            receivers += 1;
            send(engine, &mut me, now_ms, mailbox, &mut frames, |out| {
                out.push(3);
                out.bulk(word);
                out.bulk(channel);
                out.bulk(message);
            });
        }
    }
    if !shard {
        for (pattern, clients) in &subs[Kind::Pattern as usize] {
            if !glob_match(pattern, channel, false) {
                continue;
            }
            let mut frames = Frames::default();
            for mailbox in clients.values() {
                receivers += 1;
                send(engine, &mut me, now_ms, mailbox, &mut frames, |out| {
                    out.push(4);
                    out.bulk(b"pmessage");
                    out.bulk(pattern);
                    out.bulk(channel);
                    out.bulk(message);
                });
            }
        }
    }
    receivers
}

/// Sends one frame to one subscriber: into the reply if it is the publisher itself, else
/// into its mailbox, encoded in its protocol (once per protocol per publish).
fn send(
    engine: &Engine,
    me: &mut Option<(u64, &mut ReplyBuffer)>,
    now_ms: i64,
    mailbox: &Mailbox,
    frames: &mut Frames,
    encode: impl Fn(&mut ReplyBuffer),
) {
    if let Some((id, out)) = me {
        if mailbox.client.id == *id {
            encode(out);
            return;
        }
    }
    let resp3 = mailbox.client.resp.load(Ordering::Relaxed) == 3;
    let frame = frames.get(resp3, encode);
    mailbox.deliver(frame, now_ms, engine);
}

fn publish_cmd(ctx: &mut Ctx<'_>, shard: bool) -> CmdResult {
    check_channels(ctx.session, &ctx.args[1..2], false)?;
    let args = ctx.args;
    let n = deliver_all(ctx, shard, &args[1], &args[2]);
    ctx.out.int(n as i64);
    Ok(())
}

/// PUBLISH channel message
pub(crate) fn publish(ctx: &mut Ctx<'_>) -> CmdResult {
    publish_cmd(ctx, false)
}

/// SPUBLISH shardchannel message
pub(crate) fn spublish(ctx: &mut Ctx<'_>) -> CmdResult {
    publish_cmd(ctx, true)
}

fn channel_list(ctx: &mut Ctx<'_>, kind: Kind) -> CmdResult {
    let pattern = ctx.args.get(2).cloned();
    let names: Vec<Bytes> = ctx.engine.pubsub.lock()[kind as usize]
        .keys()
        .filter(|c| pattern.as_ref().is_none_or(|p| glob_match(p, c, false)))
        .cloned()
        .collect();
    ctx.out.array(names.len());
    for n in &names {
        ctx.out.bulk(n);
    }
    Ok(())
}

fn numsub(ctx: &mut Ctx<'_>, kind: Kind) -> CmdResult {
    let counts: Vec<usize> = {
        let subs = ctx.engine.pubsub.lock();
        ctx.args[2..].iter().map(|c| subs[kind as usize].get(c).map_or(0, HashMap::len)).collect()
    };
    ctx.out.array(counts.len() * 2);
    for (c, n) in ctx.args[2..].iter().zip(counts) {
        ctx.out.bulk(c);
        ctx.out.int(n as i64);
    }
    Ok(())
}

/// PUBSUB CHANNELS [pattern]
pub(crate) fn pubsub_channels(ctx: &mut Ctx<'_>) -> CmdResult {
    channel_list(ctx, Kind::Channel)
}

/// PUBSUB NUMSUB [channel ...]
pub(crate) fn pubsub_numsub(ctx: &mut Ctx<'_>) -> CmdResult {
    numsub(ctx, Kind::Channel)
}

/// PUBSUB NUMPAT
pub(crate) fn pubsub_numpat(ctx: &mut Ctx<'_>) -> CmdResult {
    let n = ctx.engine.pubsub.counts().1;
    ctx.out.int(n as i64);
    Ok(())
}

/// PUBSUB SHARDCHANNELS [pattern]
pub(crate) fn pubsub_shardchannels(ctx: &mut Ctx<'_>) -> CmdResult {
    channel_list(ctx, Kind::Shard)
}

/// PUBSUB SHARDNUMSUB [shardchannel ...]
pub(crate) fn pubsub_shardnumsub(ctx: &mut Ctx<'_>) -> CmdResult {
    numsub(ctx, Kind::Shard)
}

/// PUBSUB HELP
pub(crate) fn pubsub_help(ctx: &mut Ctx<'_>) -> CmdResult {
    crate::server::help_reply(
        ctx,
        "PUBSUB",
        &[
            "CHANNELS [<pattern>]",
            "    Return the currently active channels matching a <pattern> (default: '*').",
            "NUMPAT",
            "    Return number of subscriptions to patterns.",
            "NUMSUB [<channel> ...]",
            "    Return the number of subscribers for the specified channels, excluding",
            "    pattern subscriptions(default: no channels).",
            "SHARDCHANNELS [<pattern>]",
            "    Return the currently active shard level channels matching a <pattern> (default: '*').",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Return the number of subscribers for the specified shard level channel(s)",
        ],
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscribed_context_allows_only_pubsub_commands() {
        let mut out = ReplyBuffer::new(Protocol::Resp2);
        let name = |n: &str| n.to_string();
        assert!(refuse_in_subscribed_context("subscribe", || name("subscribe"), &[], &mut out).is_none());
        let args = [Bytes::from_static(b"ping")];
        assert_eq!(refuse_in_subscribed_context("ping", || name("ping"), &args, &mut out), Some(Ok(())));
        assert_eq!(out.as_bytes(), b"*2\r\n$4\r\npong\r\n$0\r\n\r\n");
        let err = refuse_in_subscribed_context("get", || name("get"), &args, &mut out).unwrap().unwrap_err();
        assert_eq!(
            err.message(),
            "ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
        );
    }
}
