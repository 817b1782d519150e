// QuorumPeer: runs one server's ZabCore on a node's Env. It listens on the quorum and election
// ports, dials its peers (one outgoing stream per peer and channel, with reconnect backoff),
// frames messages (zab_codec.h), persists what each Ready asks through the TxnLog, the snapshot
// store and the epoch files BEFORE sending what it says to send, applies committed transactions to
// the StateMachine (pipelined: while a zab-flush fiber fsyncs one batch of appends, the next Readies
// are taken and committed entries applied; see zab_core.h, "Pipelining"), drives ticks from env.clock, takes snapshots every ~snapCount transactions,
// purges old files, and reports cluster events ("leader_elected", "following", "looking", "sync",
// "stepped_down") through env.log.event.
//
// The ZooKeeper server layer builds on the public API: role, leader, epoch, propose on the leader,
// forward / on_forwarded (follower -> leader requests), send_to / on_message (leader -> follower),
// sync, and wait_serving.
//
// Failure handling: a malformed frame closes its connection (logged); a storage error (failed
// write or fsync) is fatal to the current incarnation of the state machine: the peer drops its
// in-memory state, waits, and recovers from disk again, as a restarted ZooKeeper would.
//
// Lifetime: the peer's fibers run in env.group. REQUIRES: the peer, its StateMachine and callbacks
// outlive those fibers, and env's net and fs outlive the peer: destroy it after its node's fibers
// are gone (the node crashed or was stopped) and before its World.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <vector>

#include "core/base/status.h"
#include "core/io/env.h"
#include "core/runtime/sync.h"
#include "core/zk/quorum/quorum_config.h"
#include "core/zk/quorum/zab_codec.h"
#include "core/zk/quorum/zab_core.h"
#include "core/zk/storage/snapshot_store.h"
#include "core/zk/storage/txn_log.h"

namespace kz::zk::quorum {

// What replication drives: transactions are applied in zxid order, exactly once per incarnation.
class StateMachine {
 public:
  virtual ~StateMachine() = default;
  virtual void apply(Zxid zxid, std::span<const uint8_t> txn) = 0;
  // Bracket the apply() calls of one delivery of committed txns: a server may hold the replies
  // they produce and send each client's together at the end.
  virtual void begin_apply_batch() {}
  virtual void end_apply_batch() {}
  // The state after the last applied transaction.
  virtual Bytes snapshot() = 0;
  // Replaces the whole state by a snapshot taken at `zxid` (on this or another server).
  virtual Status restore(std::span<const uint8_t> state, Zxid zxid) = 0;
};

class QuorumPeer {
 public:
  QuorumPeer(io::Env env, QuorumConfig config, StateMachine& state_machine);
  ~QuorumPeer();
  QuorumPeer(const QuorumPeer&) = delete;
  QuorumPeer& operator=(const QuorumPeer&) = delete;

  // Spawns the peer's fibers and returns.
  void start();

  PeerState role() const;
  ServerId leader_sid() const;
  uint32_t epoch() const;
  Zxid last_committed_zxid() const { return applied_zxid_; }
  bool serving() const;
  // Waits until the peer serves (an established leader or a synced follower); false on timeout.
  bool wait_serving(int64_t timeout_ns);

  // Leader: proposes a transaction; the future resolves with its zxid once it is committed and
  // applied here, or fails (kCancelled) if leadership is lost first (the outcome is then unknown:
  // a later leader may still commit it).
  Result<rt::Future<uint64_t>> propose(Bytes txn);
  // Follower: forwards a request to the leader's on_forwarded callback.
  Status forward(Bytes request);
  // Leader: delivers `bytes` to a synced follower's on_message callback.
  Status send_to(ServerId peer, Bytes bytes);
  // Resolves with the last committed zxid once every proposal the leader issued before the sync
  // is applied here (a following local read sees them); fails if leadership changes first.
  rt::Future<uint64_t> sync();

  void set_on_forwarded(std::function<void(ServerId from, const Bytes& request)> fn) { on_forwarded_ = std::move(fn); }
  void set_on_message(std::function<void(const Bytes& bytes)> fn) { on_message_ = std::move(fn); }

  // Inspection (tests, reports).
  uint64_t snapshots_taken() const { return snapshots_taken_; }
  uint64_t storage_failures() const { return storage_failures_; }
  const ZabCore* core() const { return core_.get(); }

 private:
  struct Input {
    enum class Kind : uint8_t { kMessage, kDisconnected } kind = Kind::kMessage;
    Message message;
    ServerId peer = 0;
  };
  struct Link;  // an outgoing stream to one peer on one channel

  // A Ready taken from the core whose appends may still wait for their fsync (pipelining: see
  // zab_core.h). Oldest first in pending_.
  struct Pending {
    Ready ready;
    size_t early = 0;        // how many of ready.messages may leave before its fsync
    size_t sent = 0;         // how many of ready.messages have been sent
    uint64_t flush_seq = 0;  // durable once flushed_seq_ >= flush_seq (0: no storage)
  };
  // The pipeline, oldest first: a ring whose slots are reused with their vectors' capacity, so that
  // taking a Ready (one per batch of inputs, tens of thousands a second on a busy leader) neither
  // allocates nor moves eight vectors around.
  class PendingRing {
   public:
    bool empty() const { return count_ == 0; }
    size_t size() const { return count_; }
    Pending& operator[](size_t i) { return slots_[(head_ + i) & (slots_.size() - 1)]; }
    Pending& front() { return (*this)[0]; }
    // A new slot at the back, its Ready empty (with capacity from earlier use).
    Pending& push_back();
    void pop_front();  // REQUIRES: the front is in the fully sent prefix
    void clear() {
      while (!empty()) pop_front();
    }
    // How many of the oldest Readies have sent all their messages (send_pending_messages starts
    // after them; scanning from the front each time was quadratic: a follower's PROPOSAL Readies
    // carry no message, its ACKs come with advance(), so thousands may wait for one fsync).
    size_t fully_sent = 0;

   private:
    std::vector<Pending> slots_;  // a power of two in size
    size_t head_ = 0;
    size_t count_ = 0;
  };

  void main_fiber();
  Status run_incarnation();
  Status serve();
  Status recover(DurableState* durable);
  // Takes every Ready the core has: pipelined ones start (appends written, fsync requested), any
  // other waits for the pipeline to drain and is handled whole (handle_ready).
  Status take_readies();
  // Takes the core's (append-only) Ready into the pipeline and starts it.
  Status start_pipelined();
  // Sends what may leave now, in order: each Ready's early messages, all of them once it is durable;
  // a Ready's messages wait for every earlier Ready's.
  void send_pending_messages();
  // Sends what may leave and advances the oldest Readies whose fsync has completed.
  void complete_durable();
  Status drain_pipeline();
  void deliver(Ready& ready);  // steps 3 and 4 of the Ready contract
  void flusher_fiber();
  void stop_flusher();
  Status handle_ready(Ready ready);
  Status persist(const std::vector<StorageOp>& ops);
  // How many of an append-only `ready`'s first messages may leave before its fsync.
  size_t early_messages(const Ready& ready) const;
  void apply_committed(const Entry& entry);
  void report_event(const ZabEvent& e);
  void settle_after_ready();
  Status maybe_snapshot();
  // A snapshot is serialized at once on the main fiber (consistent at applied_zxid_) and written,
  // synced and renamed by its own fiber while the peer keeps replicating: a large tree's write and
  // fsyncs must not stall proposals, ACKs and pings for longer than syncLimit.
  void start_snapshot_write(Zxid zxid, Bytes state);
  void wait_snapshot_write();
  void fail_pending(const Status& why);

  void accept_fiber(Channel channel);
  void reader_fiber(std::unique_ptr<io::Stream> stream, uint64_t generation);
  void writer_fiber(Link* link);
  void ticker_fiber();
  void enqueue(const Message& m);
  void queue_gathered(Link& link);  // link.out to the writer fiber's queue (emptied either way)
  void flush_links();  // writes what enqueue() gathered (flush_links_, at the end of a fiber's run)
  void push_input(Input input);
  // Inline steps. A message or a completed fsync is handled on the fiber that brings it (a quorum
  // reader, the flusher) when the main fiber is idle in serve() and nothing is queued for it: the
  // core is stepped and its append-only Readies started right there, inside a NoBlockSection, so
  // nothing else runs in between. Anything that may block (a Ready with epochs, TRUNC or a
  // snapshot; a snapshot due; a storage error) is left to the main fiber, which is woken for it.
  // Saves two fiber switches per message on a busy ensemble (docs/zab.md, "Inline steps").
  void on_input(Input input);
  bool can_pump_inline() const;
  void pump_inline();
  // Takes (starts) the core's append-only Readies; stops at one that is not (*stopped = true).
  // take_readies() and the inline pump both run on it.
  Status take_pipelined_readies(bool* stopped);
  // Asks the main fiber to take what the core has ready, unless an inline pump is running (its
  // loop takes it).
  void wake_main();

  io::Env env_;
  QuorumConfig config_;
  StateMachine& sm_;
  std::unique_ptr<storage::TxnLog> log_;
  std::unique_ptr<storage::SnapshotStore> snapshots_;
  std::unique_ptr<ZabCore> core_;

  rt::Channel<Input> inbox_;
  rt::Event work_;
  // Who is taking Readies now (take_readies or an inline pump), and whether the main fiber waits
  // in serve() for inputs or work (only then may other fibers step the core).
  enum class Pump : uint8_t { kNone, kMain, kInline };
  Pump pumping_ = Pump::kNone;
  bool main_waiting_ = false;
  Status inline_status_;  // an error met by an inline pump ends the incarnation (on the main fiber)
  PendingRing pending_;
  uint64_t appended_seq_ = 0;  // Readies with appends started this incarnation
  uint64_t flushed_seq_ = 0;   // ... of which a completed fsync covers the first flushed_seq_
  Status flush_status_;        // a failed fsync ends the incarnation
  rt::Event flush_wanted_;
  rt::Event flusher_exited_;  // reset while this incarnation's flusher fiber runs
  bool flusher_stop_ = false;
  rt::Event snapshot_idle_;  // set while no background snapshot write runs
  bool snapshot_writing_ = false;
  rt::Event serving_event_;
  uint64_t ticks_pending_ = 0;
  std::map<std::pair<ServerId, Channel>, std::unique_ptr<Link>> links_;
  std::map<ServerId, uint64_t> incoming_generation_;  // the newest quorum stream from each peer
  uint64_t next_generation_ = 1;

  Zxid applied_zxid_ = 0;
  uint64_t applied_since_snapshot_ = 0;
  uint64_t snapshot_threshold_ = 0;
  uint64_t snapshots_taken_ = 0;
  uint64_t storage_failures_ = 0;
  int64_t last_purge_ns_ = 0;
  uint64_t next_sync_id_ = 1;
  std::map<Zxid, rt::Promise<uint64_t>> proposals_;
  std::map<uint64_t, rt::Promise<uint64_t>> syncs_;
  std::function<void(ServerId, const Bytes&)> on_forwarded_;
  std::function<void(const Bytes&)> on_message_;
  // Links with frames gathered during the current fiber's run, and the deferred call that writes
  // them when the run ends. Last: destroyed (disarmed) before the links.
  std::vector<Link*> dirty_links_;
  rt::Scheduler::Deferred flush_links_;
};

}  // namespace kz::zk::quorum
