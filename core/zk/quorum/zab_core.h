// ZabCore: the pure ZAB state machine of one ZooKeeper-ensemble server (etcd-raft style).
//
// No I/O, no fibers, no clock: inputs are tick(), step(message), propose(bytes) on the leader,
// forward/send_to/sync for the server layer, and advance() once the previous Ready was handled.
// Outputs are collected into a Ready (take_ready()). Phases, as in ZooKeeper's Zab 1.0:
//   election   fast leader election: votes ordered by (peerEpoch, last zxid, server id), tagged
//              with the sender's state and logical clock (election epoch); a quorum of equal votes
//              elects (after one quiet tick, or at once when every voter agrees);
//   discovery  the prospective leader collects FOLLOWERINFO(acceptedEpoch) from a quorum, picks an
//              epoch above all of them and sends NEWEPOCH; a follower persists acceptedEpoch and
//              answers ACKEPOCH(currentEpoch, last zxid). An ACKEPOCH for an epoch equal to the
//              follower's acceptedEpoch does not count toward the quorum (it acked it already);
//   sync       per follower DIFF (missing entries), TRUNC (drop a divergent suffix, then the
//              missing entries) or SNAP (a state-machine snapshot, then entries), then NEWLEADER;
//              the follower persists currentEpoch and acks; the leader commits its whole initial
//              history once a quorum (itself included, after its own persistence) acked, and sends
//              UPTODATE;
//   broadcast  PROPOSAL -> follower persists -> ACK (made by advance(), cumulative) -> a quorum
//              (leader included, after its own fsync) -> COMMIT. zxid = epoch << 32 | counter, strictly increasing.
// Failure detection is by ticks: a follower that hears nothing from its leader for syncLimit ticks
// (initLimit while syncing) goes back to election; a leader that has not heard from a quorum within
// syncLimit ticks steps down. Every learner handshake gets a leader-assigned session id carried by
// every later quorum message, so duplicated, delayed or reordered messages of an older handshake are
// recognised and dropped; a gap in the proposal stream sends the follower back to election.
//
// ===== The Ready contract (the caller MUST follow it, in this order) =====
//   1. apply `ready.storage` in order and make it durable: appends to the txn log (fsync), TRUNC,
//      snapshot installs (also restoring the state machine), acceptedEpoch / currentEpoch writes;
//   2. only then send `ready.messages` (an ACK, ACKEPOCH or NEWLEADER-ACK must never leave before
//      the fsync of what it acknowledges; a NEWEPOCH never before the leader's acceptedEpoch).
//      One exception: an established leader whose storage ops are all appends may send a leading
//      run of PROPOSAL / COMMIT messages before its fsync (they acknowledge nothing of its own; a
//      COMMIT only reflects acks already durable, the leader's own counting from advance());
//   3. apply `ready.committed` to the state machine, in order (each zxid exactly once), before
//      anything else reaches the core (take_ready() counts them as applied);
//   4. deliver `forwarded`, `app_messages`, resolve `syncs_done` / `syncs_failed`, log `events`;
//   5. call advance(): the core then counts its own log entries and epoch as durable.
// The core produces nothing else between take_ready() and advance() that depends on durability.
//
// Pipelining (QuorumPeer): Readies whose storage ops are all appends (ready_only_appends()) may
// overlap. The caller may take the next Ready and step inputs while earlier ones wait for their
// fsync, provided that
//   - advance() is called once per Ready, in the order they were taken, each after its storage is
//     durable (a log fsync covers every append written before it);
//   - messages leave in the order the core produced them (across Readies too): a Ready's messages
//     wait for every earlier Ready's, and its non-early messages for its own fsync;
//   - committed entries are applied in order as soon as their Ready is taken. That is safe before
//     the local fsync: a committed entry is durable on a quorum (acks count only after fsyncs).
// A Ready with any other storage op is handled only after every earlier Ready was advanced.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/zk/quorum/zab_types.h"

namespace kz::zk::quorum {

struct ZabOptions {
  ServerId my_id = 0;
  std::vector<ServerId> voters;  // every server of the ensemble, my_id included
  uint32_t init_limit_ticks = 10;   // zoo.cfg initLimit: discovery + sync must finish within this
  uint32_t sync_limit_ticks = 5;    // zoo.cfg syncLimit: silence tolerated in broadcast
  uint32_t election_resend_ticks = 1;
  size_t diff_entries_max = 500;    // committed entries kept in memory for DIFF (else SNAP)
  size_t proposals_outstanding_max = 1000;
  size_t syncs_pending_max = 1000;
};

// What a server recovered from its disk.
struct DurableState {
  uint32_t accepted_epoch = 0;
  uint32_t current_epoch = 0;
  Zxid snapshot_zxid = 0;  // the state machine was restored to this zxid
  std::vector<Entry> log;  // txn log records after snapshot_zxid, ascending
};

struct StateSnapshot {
  Zxid zxid = 0;
  Bytes state;
};
// Returns the state machine's current state; its zxid must be the last entry applied.
using SnapshotFn = std::function<StateSnapshot()>;

struct StorageOp {
  enum class Kind : uint8_t { kAppend, kTruncate, kInstallSnapshot, kAcceptedEpoch, kCurrentEpoch };
  Kind kind = Kind::kAppend;
  Entry entry;            // kAppend: the record; kInstallSnapshot: zxid + state bytes
  Zxid zxid = 0;          // kTruncate: keep records <= zxid
  uint32_t epoch = 0;     // kAcceptedEpoch / kCurrentEpoch
};

struct ZabEvent {
  std::string kind;  // "leader_elected", "following", "looking", "sync", "stepped_down"
  uint32_t epoch = 0;
  ServerId leader = 0;
  ServerId peer = 0;
  std::string mode;  // sync: DIFF / TRUNC / SNAP
};

struct Forwarded {
  ServerId from = 0;
  Bytes data;
};

struct Ready {
  std::vector<StorageOp> storage;
  std::vector<Message> messages;
  std::vector<Entry> committed;
  std::vector<Forwarded> forwarded;   // leader: requests forwarded by followers
  std::vector<Bytes> app_messages;    // follower: messages from the leader's server layer
  std::vector<uint64_t> syncs_done;
  std::vector<uint64_t> syncs_failed;
  std::vector<ZabEvent> events;
  bool empty() const {
    return storage.empty() && messages.empty() && committed.empty() && forwarded.empty() && app_messages.empty() &&
           syncs_done.empty() && syncs_failed.empty() && events.empty();
  }
  // Member-wise (std::swap's three moves of eight vectors cost more than the swap itself).
  friend void swap(Ready& a, Ready& b) noexcept {
    a.storage.swap(b.storage);
    a.messages.swap(b.messages);
    a.committed.swap(b.committed);
    a.forwarded.swap(b.forwarded);
    a.app_messages.swap(b.app_messages);
    a.syncs_done.swap(b.syncs_done);
    a.syncs_failed.swap(b.syncs_failed);
    a.events.swap(b.events);
  }
};

class ZabCore {
 public:
  // REQUIRES: options.voters contains options.my_id; durable.log ascending and > snapshot_zxid.
  ZabCore(ZabOptions options, DurableState durable, SnapshotFn snapshot_fn);

  // ---- Inputs
  void tick();
  // A message from a peer. Messages not addressed to this server or from unknown servers are dropped.
  void step(const Message& message);
  // The connection to `peer` broke: a follower loses its leader, a leader its learner.
  void peer_disconnected(ServerId peer);
  // Leader only, once serving. Returns the zxid; kBusy/kUnsupported-free errors are values.
  Result<Zxid> propose(Bytes data);
  // Follower: forward a request to the leader (ZooKeeper's REQUEST).
  Status forward(Bytes data);
  // Leader: send an application message to a synced follower.
  Status send_to(ServerId peer, Bytes data);
  // Completes (ready.syncs_done) once every proposal the leader issued before the sync reached it
  // is committed and applied here. Fails (ready.syncs_failed) if leadership is lost first.
  void sync(uint64_t id);

  // ---- Outputs
  bool has_ready() const { return !ready_.empty(); }
  // True if every storage op of the Ready being built is an append (it may be pipelined).
  bool ready_only_appends() const;
  Ready take_ready();
  // The same, into `*out`, which must be empty: its vectors (and their capacity) are swapped in
  // for the next Ready to be built in. A caller that keeps its emptied Readies allocates nothing.
  void take_ready(Ready* out);
  void advance();
  // Readies taken and not yet advanced.
  size_t readies_in_flight() const { return handed_.size(); }

  // ---- Queries
  PeerState state() const { return state_; }
  bool serving() const;  // leader established, or follower up to date
  ServerId leader() const { return leader_; }
  uint32_t epoch() const;  // the epoch being led/followed; currentEpoch when looking
  uint32_t accepted_epoch() const { return accepted_epoch_; }
  uint32_t current_epoch() const { return current_epoch_; }
  Zxid last_zxid() const { return log_.empty() ? log_base_ : log_.back().zxid; }
  Zxid commit_zxid() const { return commit_; }
  uint64_t election_epoch() const { return logical_clock_; }
  // Protocol violations seen from peers (each one sent this server back to election).
  uint64_t violations() const { return violations_; }
  ServerId my_id() const { return opts_.my_id; }

 private:
  struct Notification {
    Vote vote;
    uint64_t election_epoch = 0;
    PeerState state = PeerState::kLooking;
  };
  enum class LearnerStage : uint8_t { kDiscovery, kSyncing, kSynced };
  struct Learner {
    uint64_t session = 0;
    uint64_t attempt = 0;
    LearnerStage stage = LearnerStage::kDiscovery;
    bool acked_epoch = false;
    Zxid last_zxid = 0;   // from ACKEPOCH
    Zxid acked = 0;       // durable at the learner, this session
    Zxid newleader_zxid = 0;
    uint32_t silent_ticks = 0;
    uint64_t send_seq = 1;  // next seq to send on this session
    uint64_t recv_seq = 1;  // next seq expected from the learner
  };
  enum class FollowerStage : uint8_t { kDiscovery, kSyncing, kBroadcast };
  struct PendingSync {
    ServerId from = 0;  // my_id: a local sync
    uint64_t session = 0;
    uint64_t id = 0;
    Zxid wait_for = 0;
  };

  // Election
  void start_looking(std::string_view why);
  Vote self_vote() const;
  void broadcast_notification();
  void send_notification(ServerId to);
  void on_notification(const Message& m);
  bool quorum_agrees(const std::map<ServerId, Notification>& votes, const Vote& vote, bool count_self) const;
  bool check_leader(const std::map<ServerId, Notification>& votes, ServerId leader, uint64_t election_epoch) const;
  void adopt(const Vote& vote);
  void election_tick();

  // Leader
  void become_leader();
  void leader_step(const Message& m);
  void leader_tick();
  void maybe_choose_epoch();
  void maybe_finish_discovery();
  void start_sync(ServerId peer, Learner& learner);
  void maybe_establish();
  void maybe_commit();
  void leader_send(ServerId peer, Learner& learner, Message m);
  void leader_broadcast(const Message& m);  // to every syncing/synced learner
  void answer_syncs();
  void step_down(std::string_view why);

  // Follower
  void become_follower(ServerId leader);
  void follower_step(const Message& m);
  void follower_tick();
  void send_to_leader(Message m);
  void follower_append(const Message& m);
  // Something a correct leader never sends within one ordered session: counted, then re-election.
  void violation(std::string_view what);

  // Shared
  bool is_voter(ServerId id) const;
  size_t quorum_size() const { return opts_.voters.size() / 2 + 1; }
  void append_entry(Entry entry);
  void commit_through(Zxid zxid);
  void truncate_after(Zxid zxid);
  void fail_syncs();
  void emit(ZabEvent event) { ready_.events.push_back(std::move(event)); }
  void consider_decision();
  size_t outstanding() const;
  void send(Message m);
  void persist_accepted_epoch(uint32_t epoch);
  void persist_current_epoch(uint32_t epoch);
  void trim_log();
  void follower_ack_durable();  // advance(): ACK the proposals that became durable
  void clamp_durable(Zxid zxid);  // TRUNC / SNAP: nothing beyond zxid is (or will be) durable

  ZabOptions opts_;
  SnapshotFn snapshot_fn_;
  Ready ready_;

  // A Ready handed out by take_ready() and not yet advanced: what advance() will count durable.
  struct Handed {
    Zxid durable = 0;            // the log's end when it was taken
    uint32_t current_epoch = 0;  // a currentEpoch write it carries (0: none)
  };

  // Durable state (as requested; `*_durable_` once advance() confirmed it).
  uint32_t accepted_epoch_ = 0;
  uint32_t current_epoch_ = 0;
  bool current_epoch_durable_ = true;
  std::deque<Entry> log_;  // entries after log_base_
  Zxid log_base_ = 0;      // entries <= base are only in the state machine (and its snapshots)
  Zxid durable_ = 0;       // last entry known durable locally
  std::deque<Handed> handed_;  // oldest first
  Zxid commit_ = 0;
  Zxid applied_ = 0;       // the caller applies a Ready's committed entries as soon as it takes it

  PeerState state_ = PeerState::kLooking;
  ServerId leader_ = 0;
  uint64_t violations_ = 0;

  // Election
  uint64_t logical_clock_ = 0;
  Vote proposed_;
  Vote current_vote_;
  std::map<ServerId, Notification> recv_set_;
  std::map<ServerId, Notification> out_of_election_;
  uint32_t resend_ticks_ = 0;
  bool decide_pending_ = false;

  // Leader
  std::map<ServerId, Learner> learners_;
  std::vector<Zxid> ack_scratch_;  // maybe_commit's working set, kept to avoid an allocation per ACK
  std::map<ServerId, uint32_t> epoch_infos_;  // FOLLOWERINFO acceptedEpochs (self included)
  uint32_t new_epoch_ = 0;                     // 0 while collecting
  std::set<ServerId> epoch_acks_;
  bool discovery_done_ = false;
  std::set<ServerId> newleader_acks_;
  Zxid newleader_zxid_ = 0;
  bool established_ = false;
  uint32_t next_counter_ = 1;
  uint64_t next_session_ = 1;
  uint32_t leader_ticks_ = 0;
  uint32_t initial_current_epoch_ = 0;  // currentEpoch when this leadership began
  std::deque<PendingSync> syncs_;

  // Follower
  FollowerStage fstage_ = FollowerStage::kDiscovery;
  uint64_t attempt_ = 0;
  uint64_t session_ = 0;
  uint32_t leader_epoch_ = 0;
  bool newleader_seen_ = false;
  Zxid ack_through_ = 0;  // the last PROPOSAL appended since NEWLEADER (this session)
  Zxid acked_sent_ = 0;   // the highest zxid ACKed to the leader (this session)
  uint32_t silent_ticks_ = 0;
  uint64_t send_seq_ = 1;
  uint64_t recv_seq_ = 1;
  std::set<uint64_t> local_syncs_;  // follower: ids sent to the leader, not yet answered
};

}  // namespace kz::zk::quorum
