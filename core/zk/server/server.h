// ZkServer: kz's ZooKeeper server on one node's Env. It owns the data tree, the watch manager, the
// sessions, the transaction log and snapshots, and the client listener; each client connection is a
// Connection (connection.h) with its own fibers.
//
// Write path (standalone): a connection's write request is prepared against the tree and the
// pending changes (prepare.h) into a txn with the next zxid, appended to the txn log and queued for
// the committer. The committer fiber flushes everything queued with ONE fsync (group commit), then
// applies each txn in zxid order: the tree changes, watches fire (notifications are queued on their
// connections at once), and the originating connection gets its reply. A reply is never sent
// before its txn is durable.
//
// Ordering per client: replies leave in request order; a read waits behind the writes its
// connection issued before it, so a client always reads its own writes; a notification is queued
// when its txn is applied, before any later reply, so a client sees the watch event before the new
// data.
//
// Lifetime: the server is shared (std::shared_ptr) by every fiber it starts, so a node crash may
// unwind those fibers in any order without leaving one of them with a dangling server.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/io/env.h"
#include "core/runtime/sync.h"
#include "core/zk/auth.h"
#include "core/zk/data_tree.h"
#include "core/zk/prepare.h"
#include "core/zk/quorum/quorum_peer.h"
#include "core/zk/server/config.h"
#include "core/zk/storage/snapshot_store.h"
#include "core/zk/storage/txn_log.h"
#include "core/zk/txn.h"
#include "core/zk/watch_manager.h"

namespace kz::zk {

class Connection;

struct SessionInfo {
  int64_t id = 0;
  int32_t timeout_ms = 0;
  int64_t deadline_ns = 0;  // on the node's monotonic clock
  Connection* connection = nullptr;  // the connection that holds it now (null: none)
  bool closing = false;     // a closeSession txn is on its way
};

struct ServerStats {
  uint64_t packets_received = 0;
  uint64_t packets_sent = 0;
  uint64_t reply_writes = 0;  // stream writes that carried frames to clients (several frames each when corked)
  uint64_t txns_committed = 0;
  uint64_t log_flushes = 0;
  uint64_t connections_accepted = 0;
  uint64_t sessions_expired = 0;
  int64_t latency_ns_total = 0;
  int64_t latency_ns_max = 0;
  uint64_t latency_samples = 0;
};

class ZkServer : public std::enable_shared_from_this<ZkServer> {
 public:
  static std::shared_ptr<ZkServer> create(io::Env& env, ServerConfig config);
  ~ZkServer();

  // Recovers the tree from the latest snapshot and the txn log, then starts listening and the
  // server's fibers. Errors (a corrupt log, a port in use) name the file or address.
  Status start();
  // Blocks the calling fiber until the server stops (never, unless stop() or a fatal disk error).
  void wait_stopped();
  void stop();

  const ServerConfig& config() const { return config_; }
  const DataTree& tree() const { return tree_; }
  io::Env& env() { return env_; }
  const std::string& state() const { return state_; }  // "standalone", "leader", "follower", "looking"
  int64_t last_zxid() const { return tree_.last_zxid(); }
  const ServerStats& stats() const { return stats_; }
  const std::unordered_map<int64_t, SessionInfo>& sessions() const { return sessions_; }
  const io::Address& client_address() const { return client_address_; }
  size_t connection_count() const { return connections_.size(); }
  size_t outstanding_requests() const { return commit_queue_.size(); }
  const WatchManager& watches() const { return watches_; }

  // ---- used by Connection ----
  // Prepares a write of `opcode` for the session and queues its txn; the reply comes through
  // Connection::write_applied when the txn is applied.
  void submit_write(Connection& conn, int32_t xid, int32_t opcode, std::string_view body);
  // Registers a new session held by `conn` and queues its createSession txn; returns its id.
  int64_t submit_create_session(Connection& conn, int32_t timeout_ms);
  void submit_close_session(int64_t session_id, int32_t xid);
  // Attaches a reconnecting client to its session; false if the session is gone or the
  // password does not match.
  bool attach_session(Connection& conn, int64_t session_id, const std::string& passwd);
  void detach(Connection& conn);
  void touch(int64_t session_id);
  std::string session_password(int64_t session_id) const;
  WatchManager& mutable_watches() { return watches_; }
  const AuthConfig& auth_config() const { return auth_config_; }
  void count_latency(int64_t latency_ns);
  ServerStats& mutable_stats() { return stats_; }
  // Replies made between begin_reply_batch() and end_reply_batch() (applying a batch of txns) are
  // held per connection and written with one write per connection at the end.
  void begin_reply_batch();
  void end_reply_batch();
  bool batching_replies() const { return reply_batch_depth_ > 0; }
  // A connection that sends during the batch: corked until end_reply_batch().
  void join_reply_batch(Connection& conn);
  bool four_letter_word_allowed(const std::string& word) const;
  // Ensemble mode (several server.N lines): replication through QuorumPeer.
  bool ensemble() const { return peer_ != nullptr; }
  bool serving() const { return peer_ == nullptr || peer_->serving(); }
  // Resolves once this server has applied everything the leader proposed before the call.
  rt::Future<uint64_t> quorum_sync() { return peer_->sync(); }
  // Called by the replication layer (through the StateMachine adapter).
  void apply_replicated(uint64_t zxid, std::span<const uint8_t> bytes);
  quorum::Bytes snapshot_state();
  Status restore_state(std::span<const uint8_t> state, uint64_t zxid);
  std::string four_letter_word(const std::string& word);

 private:
  ZkServer(io::Env& env, ServerConfig config);
  class Replica;
  Status recover();
  Status start_ensemble();
  // Prepares a write (or session txn) for `session_id` against the tree and pending changes.
  Txn prepare_write(int64_t session_id, const AuthIds& auth, int32_t xid, int32_t opcode, std::string_view body);
  // Standalone: log + group commit; ensemble leader: propose. Followers never call it.
  void commit_txn(Txn txn);
  // Follower: send a client request to the leader.
  void forward_request(int64_t session_id, const AuthIds& auth, int32_t xid, int32_t opcode, std::string_view body);
  void handle_forwarded(const quorum::Bytes& bytes);
  void watch_role();
  Connection* local_connection(int64_t session_id);
  Status listen();
  void accept_loop();
  void commit_loop();
  void apply_flushed();  // applies the flushed batches at the head of flushing_, in order
  void session_loop();
  void snapshot_if_due();
  void enqueue_txn(Txn txn);
  // Applies a committed txn. `pending_tag` is the zxid prepare tagged its pending changes with.
  void apply(const Txn& txn, int64_t pending_tag);
  int64_t next_zxid() { return ++zxid_counter_; }
  void fail(const Status& status);

  io::Env& env_;
  ServerConfig config_;
  AuthConfig auth_config_;
  std::string state_ = "standalone";
  DataTree tree_;
  PendingChanges pending_;
  WatchManager watches_;
  std::unique_ptr<storage::TxnLog> log_;
  std::unique_ptr<storage::SnapshotStore> snapshots_;
  std::unique_ptr<io::Listener> listener_;
  io::Address client_address_;
  int64_t zxid_counter_ = 0;
  int64_t next_session_id_ = 0;
  // Looked up on every request and applied txn: a hash map (a std::map's cold nodes cost ~3% of a
  // busy simulation). Never iterated for a decision without sorting the ids first (determinism).
  std::unordered_map<int64_t, SessionInfo> sessions_;
  std::map<uint64_t, Connection*> connections_;  // by connection number (ordered: deterministic)
  int reply_batch_depth_ = 0;
  std::vector<std::shared_ptr<Connection>> reply_batch_;  // joined the batch, in order of first reply
  uint64_t next_connection_number_ = 1;
  std::deque<Txn> commit_queue_;
  rt::Event commit_ready_;
  // Standalone commit pipeline: each batch is flushed by its own fiber (its fsync may overlap the
  // next batch's), and batches are applied strictly in order once flushed.
  struct CommitBatch {
    std::deque<Txn> txns;
    Status status;
    bool done = false;
  };
  static constexpr size_t kMaxFlushingBatches = 4;
  std::deque<std::shared_ptr<CommitBatch>> flushing_;  // oldest first
  rt::Event stopped_;
  uint64_t txns_since_snapshot_ = 0;
  bool snapshot_in_progress_ = false;
  bool failed_ = false;
  ServerStats stats_;
  std::unique_ptr<Replica> replica_;
  std::unique_ptr<quorum::QuorumPeer> peer_;
  quorum::PeerState last_role_ = quorum::PeerState::kLooking;
  friend class Connection;
};

}  // namespace kz::zk
