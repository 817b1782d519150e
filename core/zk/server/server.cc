#include "core/zk/server/server.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/zk/server/connection.h"
#include "core/zk/snapshot.h"

namespace kz::zk {

namespace {

// ZooKeeper derives a session's password from its id and a fixed secret, so any server can check
// it without storing it (and a restarted server still accepts its clients).
constexpr uint64_t kSessionSecret = 0xB3415C00ULL;

uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// The body of a createSession request between servers: the negotiated timeout, big-endian.
int32_t session_timeout_of(std::string_view body, int32_t fallback_ms) {
  if (body.size() != 4) return fallback_ms;
  return static_cast<int32_t>((static_cast<uint32_t>(static_cast<uint8_t>(body[0])) << 24) |
                              (static_cast<uint32_t>(static_cast<uint8_t>(body[1])) << 16) |
                              (static_cast<uint32_t>(static_cast<uint8_t>(body[2])) << 8) |
                              static_cast<uint32_t>(static_cast<uint8_t>(body[3])));
}

Txn make_txn(const Prepared& p, int64_t session_id, int32_t xid, int64_t zxid, int64_t time_ms) {
  Txn txn;
  txn.header.client_id = session_id;
  txn.header.cxid = xid;
  txn.header.zxid = zxid;
  txn.header.time_ms = time_ms;
  txn.header.type = p.type;
  txn.body = p.body;
  return txn;
}

}  // namespace

std::shared_ptr<ZkServer> ZkServer::create(io::Env& env, ServerConfig config) {
  return std::shared_ptr<ZkServer>(new ZkServer(env, std::move(config)));
}

ZkServer::ZkServer(io::Env& env, ServerConfig config)
    : env_(env),
      config_(std::move(config)),
      tree_(DataTreeConfig{.data_bytes_max = config_.jute_max_buffer_bytes, .extended_types_enabled = false, .config_data = {}}),
      commit_ready_(*env.sched),
      stopped_(*env.sched) {
  auth_config_.super_digest = config_.super_digest;
}

// The replication layer's view of the server: committed txns in, snapshots out.
class ZkServer::Replica final : public quorum::StateMachine {
 public:
  explicit Replica(ZkServer& server) : server_(server) {}
  void apply(quorum::Zxid zxid, std::span<const uint8_t> txn) override { server_.apply_replicated(zxid, txn); }
  void begin_apply_batch() override { server_.begin_reply_batch(); }
  void end_apply_batch() override { server_.end_reply_batch(); }
  quorum::Bytes snapshot() override { return server_.snapshot_state(); }
  Status restore(std::span<const uint8_t> state, quorum::Zxid zxid) override {
    return server_.restore_state(state, zxid);
  }

 private:
  ZkServer& server_;
};

ZkServer::~ZkServer() = default;

std::string ZkServer::session_password(int64_t session_id) const {
  uint64_t a = mix64(static_cast<uint64_t>(session_id) ^ kSessionSecret);
  uint64_t b = mix64(a + kSessionSecret);
  std::string out(16, '\0');
  for (int i = 0; i < 8; i++) {
    out[static_cast<size_t>(i)] = static_cast<char>(a >> (8 * i));
    out[static_cast<size_t>(8 + i)] = static_cast<char>(b >> (8 * i));
  }
  return out;
}

Status ZkServer::recover() {
  snapshots_ = std::make_unique<storage::SnapshotStore>(env_, config_.data_dir + "/version-2");
  KZ_RETURN_IF_ERROR(snapshots_->init());
  Result<std::optional<storage::Snapshot>> latest = snapshots_->load_latest();
  if (!latest.is_ok()) return latest.status();
  if (const std::optional<storage::Snapshot>& snap = *latest; snap.has_value()) {
    std::string_view bytes(reinterpret_cast<const char*>(snap->state.data()), snap->state.size());
    KZ_ASSIGN_OR_RETURN(RestoredSnapshot restored, decode_snapshot(bytes, tree_.config()));
    tree_ = std::move(restored.tree);
    env_.log.info("zk", "loaded snapshot at zxid 0x{:x} ({} nodes)", snap->zxid, tree_.node_count());
  }
  storage::TxnLogOptions log_options;
  log_options.dir = config_.data_log_dir + "/version-2";
  log_options.force_sync = config_.force_sync;
  log_options.prealloc_bytes = config_.txn_log_prealloc_bytes();
  KZ_ASSIGN_OR_RETURN(log_, storage::TxnLog::open(env_, log_options));
  KZ_ASSIGN_OR_RETURN(std::vector<storage::TxnRecord> records,
                      log_->read_after(static_cast<uint64_t>(tree_.last_zxid())));
  for (const storage::TxnRecord& r : records) {
    std::string_view bytes(reinterpret_cast<const char*>(r.payload.data()), r.payload.size());
    Result<Txn> txn = decode_txn(bytes);
    if (!txn.is_ok()) {
      return txn.status().with_context(fmt::format("txn log record zxid 0x{:x}", r.zxid));
    }
    if (txn->header.zxid <= tree_.last_zxid()) continue;
    tree_.apply(txn->header, txn->body);
  }
  zxid_counter_ = tree_.last_zxid();
  if (!records.empty()) env_.log.info("zk", "replayed {} txns from the log", records.size());
  // Sessions restored from disk get a fresh deadline (their clients may reconnect).
  int64_t now = env_.clock->now_ns();
  for (auto& [id, timeout_ms] : tree_.sessions()) {
    sessions_[id] = SessionInfo{.id = id, .timeout_ms = timeout_ms, .deadline_ns = now + ms_to_ns(timeout_ms)};
  }
  // Session ids: ZooKeeper's initializeNextSessionId (server id in the top byte, time below).
  uint64_t time_part = (static_cast<uint64_t>(env_.clock->wall_ms()) << 24) >> 8;
  next_session_id_ = static_cast<int64_t>((static_cast<uint64_t>(config_.my_id) << 56) | time_part);
  return Status::ok();
}

Status ZkServer::listen() {
  io::Address addr{config_.client_port_address, config_.client_port};
  KZ_ASSIGN_OR_RETURN(listener_, env_.net->listen(addr));
  client_address_ = listener_->address();
  return Status::ok();
}

Status ZkServer::start_ensemble() {
  quorum::QuorumConfig qc;
  qc.tick_time_ms = config_.tick_time_ms;
  qc.init_limit = static_cast<uint32_t>(config_.init_limit_ticks);
  qc.sync_limit = static_cast<uint32_t>(config_.sync_limit_ticks);
  qc.data_dir = config_.data_dir;
  qc.data_log_dir = config_.data_log_dir;
  for (const ServerAddress& a : config_.servers) {
    qc.servers.push_back(quorum::QuorumServer{static_cast<quorum::ServerId>(a.id), a.host, a.quorum_port,
                                              a.election_port});
  }
  qc.my_id = static_cast<quorum::ServerId>(config_.my_id);
  qc.snap_count = static_cast<uint64_t>(config_.snap_count);
  qc.diff_entries_max = static_cast<size_t>(config_.commit_log_count);
  qc.force_sync = config_.force_sync;
  qc.log_prealloc_bytes = config_.txn_log_prealloc_bytes();
  qc.autopurge_snap_retain_count = static_cast<uint32_t>(config_.autopurge_snap_retain_count);
  qc.autopurge_purge_interval_ms = static_cast<int64_t>(config_.autopurge_purge_interval_hours) * 3600 * 1000;
  replica_ = std::make_unique<Replica>(*this);
  peer_ = std::make_unique<quorum::QuorumPeer>(env_, qc, *replica_);
  peer_->set_on_forwarded([this](quorum::ServerId, const quorum::Bytes& bytes) { handle_forwarded(bytes); });
  peer_->start();
  state_ = "looking";
  uint64_t time_part = (static_cast<uint64_t>(env_.clock->wall_ms()) << 24) >> 8;
  next_session_id_ = static_cast<int64_t>((static_cast<uint64_t>(config_.my_id) << 56) | time_part);
  return Status::ok();
}

Status ZkServer::start() {
  if (config_.servers.size() > 1) {
    KZ_RETURN_IF_ERROR(start_ensemble());
    KZ_RETURN_IF_ERROR(listen().with_context(fmt::format("listening on {}:{}", config_.client_port_address,
                                                         config_.client_port)));
    auto self = shared_from_this();
    env_.spawn("zk-sessions", [self] { self->session_loop(); });
    env_.spawn("zk-accept", [self] { self->accept_loop(); });
    env_.log.info("zk", "server {} of {} listening for clients on {}", config_.my_id, config_.servers.size(),
                  client_address_.to_string());
    return Status::ok();
  }
  KZ_RETURN_IF_ERROR(recover().with_context("recovering " + config_.data_dir));
  KZ_RETURN_IF_ERROR(listen().with_context(fmt::format("listening on {}:{}", config_.client_port_address,
                                                       config_.client_port)));
  auto self = shared_from_this();
  env_.spawn("zk-commit", [self] { self->commit_loop(); });
  env_.spawn("zk-sessions", [self] { self->session_loop(); });
  env_.spawn("zk-accept", [self] { self->accept_loop(); });
  env_.log.info("zk", "serving clients on {} (standalone, last zxid 0x{:x}, {} sessions)",
                client_address_.to_string(), tree_.last_zxid(), sessions_.size());
  env_.log.event("zk_serving", {Field("role", "standalone"), Field("zxid", tree_.last_zxid())});
  return Status::ok();
}

void ZkServer::wait_stopped() { stopped_.wait(); }

void ZkServer::stop() {
  if (listener_) listener_->close();
  std::vector<Connection*> conns;
  for (auto& [n, c] : connections_) conns.push_back(c);
  for (Connection* c : conns) c->close("server stopping");
  stopped_.set();
}

void ZkServer::fail(const Status& status) {
  if (failed_) return;
  failed_ = true;
  env_.log.error("zk", "fatal: {}; the server stops serving", status.to_string());
  stop();
}

void ZkServer::accept_loop() {
  auto self = shared_from_this();
  for (;;) {
    Result<std::unique_ptr<io::Stream>> s = listener_->accept();
    if (!s.is_ok()) {
      if (!failed_ && !stopped_.is_set()) env_.log.warn("zk", "accept failed: {}", s.status().to_string());
      return;
    }
    if (config_.max_client_cnxns > 0) {
      std::string ip = (*s)->peer().host;
      int same = 0;
      for (auto& [n, c] : connections_) same += c->peer().host == ip ? 1 : 0;
      if (same >= config_.max_client_cnxns) {
        env_.log.warn("zk", "too many connections from {} (maxClientCnxns={}): refused", ip, config_.max_client_cnxns);
        (*s)->close();
        continue;
      }
    }
    if (!serving()) {
      // Like ZooKeeper, a server without a quorum does not serve clients: they try another one.
      (*s)->close();
      continue;
    }
    stats_.connections_accepted++;
    auto conn = std::make_shared<Connection>(self, std::move(*s), next_connection_number_++);
    connections_[conn->number()] = conn.get();
    env_.spawn("zk-conn", [conn] { conn->run(); });
  }
}

void ZkServer::detach(Connection& conn) {
  connections_.erase(conn.number());
  if (conn.session_id() != 0) {
    auto it = sessions_.find(conn.session_id());
    if (it != sessions_.end() && it->second.connection == &conn) it->second.connection = nullptr;
    // The client re-arms its watches with setWatches when it reconnects.
    watches_.remove_watcher(conn.session_id());
  }
}

void ZkServer::touch(int64_t session_id) {
  auto it = sessions_.find(session_id);
  if (it == sessions_.end()) return;
  it->second.deadline_ns = env_.clock->now_ns() + ms_to_ns(it->second.timeout_ms);
}

bool ZkServer::attach_session(Connection& conn, int64_t session_id, const std::string& passwd) {
  auto it = sessions_.find(session_id);
  if (it == sessions_.end() || it->second.closing) return false;
  if (passwd != session_password(session_id)) return false;
  if (it->second.connection != nullptr && it->second.connection != &conn) {
    // The client moved to a new connection: the old one must not serve this session any more.
    Connection* old = it->second.connection;
    it->second.connection = nullptr;
    old->close("session moved to a new connection");
    env_.probe("zk.session.moved");
  }
  it->second.connection = &conn;
  touch(session_id);
  return true;
}

void ZkServer::enqueue_txn(Txn txn) {
  std::string bytes = encode_txn(txn);
  Status st = log_->append(static_cast<uint64_t>(txn.header.zxid),
                           std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  if (!st.is_ok()) {
    fail(st.with_context("appending to the txn log"));
    return;
  }
  commit_queue_.push_back(std::move(txn));
  commit_ready_.set();
}

void ZkServer::submit_write(Connection& conn, int32_t xid, int32_t opcode, std::string_view body) {
  if (failed_ || !serving()) {
    conn.write_failed(xid, ErrorCode::kConnectionLoss);
    return;
  }
  if (peer_ != nullptr && peer_->role() != quorum::PeerState::kLeading) {
    forward_request(conn.session_id(), conn.auth(), xid, opcode, body);
    return;
  }
  commit_txn(prepare_write(conn.session_id(), conn.auth(), xid, opcode, body));
}

Txn ZkServer::prepare_write(int64_t session_id, const AuthIds& auth, int32_t xid, int32_t opcode,
                            std::string_view body) {
  int64_t zxid = next_zxid();
  PrepareContext ctx{.session_id = session_id, .auth = &auth, .zxid = zxid};
  Preparer prep(tree_, pending_);
  Prepared p;
  int32_t length_max = config_.jute_max_buffer_bytes + kJuteExtraBufferBytes;
  auto bad = [&](const Status& st) {
    env_.log.warn("zk", "session 0x{:x}: malformed {} request: {}", session_id, op_code_name(opcode), st.to_string());
    Prepared e;
    e.type = op(OpCode::kError);
    e.body = ErrorTxn{static_cast<int32_t>(ErrorCode::kMarshallingError)};
    e.err = ErrorCode::kMarshallingError;
    return e;
  };
  switch (static_cast<OpCode>(opcode)) {
    case OpCode::kCreate:
    case OpCode::kCreate2:
    case OpCode::kCreateContainer: {
      auto r = jute_decode<CreateRequest>(body, length_max);
      p = r.is_ok() ? prep.create(ctx, opcode, *r) : bad(r.status());
      break;
    }
    case OpCode::kCreateTtl: {
      auto r = jute_decode<CreateTTLRequest>(body, length_max);
      p = r.is_ok() ? prep.create_ttl(ctx, *r) : bad(r.status());
      break;
    }
    case OpCode::kDelete: {
      auto r = jute_decode<DeleteRequest>(body, length_max);
      p = r.is_ok() ? prep.remove(ctx, *r) : bad(r.status());
      break;
    }
    case OpCode::kSetData: {
      auto r = jute_decode<SetDataRequest>(body, length_max);
      p = r.is_ok() ? prep.set_data(ctx, *r) : bad(r.status());
      break;
    }
    case OpCode::kSetAcl: {
      auto r = jute_decode<SetACLRequest>(body, length_max);
      p = r.is_ok() ? prep.set_acl(ctx, *r) : bad(r.status());
      break;
    }
    case OpCode::kCheck: {
      auto r = jute_decode<CheckVersionRequest>(body, length_max);
      p = r.is_ok() ? prep.check(ctx, *r) : bad(r.status());
      break;
    }
    case OpCode::kMulti: {
      auto r = jute_decode<MultiRequest>(body, length_max);
      p = r.is_ok() ? prep.multi(ctx, *r) : bad(r.status());
      break;
    }
    case OpCode::kCreateSession: {
      int32_t timeout_ms = session_timeout_of(body, config_.max_session_timeout());
      p = prep.create_session(ctx, timeout_ms);
      break;
    }
    case OpCode::kCloseSession:
      p = prep.close_session(ctx);
      break;
    default: {
      Prepared e;
      e.type = op(OpCode::kError);
      e.body = ErrorTxn{static_cast<int32_t>(ErrorCode::kUnimplemented)};
      e.err = ErrorCode::kUnimplemented;
      p = e;
      break;
    }
  }
  return make_txn(p, session_id, xid, zxid, env_.clock->wall_ms());
}

void ZkServer::commit_txn(Txn txn) {
  if (peer_ == nullptr) {
    enqueue_txn(std::move(txn));
    return;
  }
  std::string bytes = encode_txn(txn);
  Result<rt::Future<uint64_t>> f = peer_->propose(quorum::Bytes(bytes.begin(), bytes.end()));
  if (!f.is_ok()) {
    env_.log.warn("zk", "cannot propose txn of session 0x{:x}: {}", txn.header.client_id, f.status().to_string());
    if (Connection* c = local_connection(txn.header.client_id)) c->write_failed(txn.header.cxid, ErrorCode::kConnectionLoss);
  }
}

Connection* ZkServer::local_connection(int64_t session_id) {
  auto it = sessions_.find(session_id);
  return it == sessions_.end() ? nullptr : it->second.connection;
}

// Forwarded messages (follower -> leader): [int kind][...]. kind 1: a client request
// (session, xid, opcode, body, the connection's auth ids); kind 2: session touches (ids).
void ZkServer::forward_request(int64_t session_id, const AuthIds& auth, int32_t xid, int32_t opcode,
                               std::string_view body) {
  JuteWriter w;
  w.write_int(1);
  w.write_long(session_id);
  w.write_int(xid);
  w.write_int(opcode);
  w.write_bytes(body);
  jute_write(w, auth);
  std::string bytes = w.take();
  env_.probe("zk.request.forwarded");
  Status st = peer_->forward(quorum::Bytes(bytes.begin(), bytes.end()));
  if (!st.is_ok()) {
    if (Connection* c = local_connection(session_id)) c->write_failed(xid, ErrorCode::kConnectionLoss);
  }
}

void ZkServer::handle_forwarded(const quorum::Bytes& bytes) {
  if (peer_ == nullptr || peer_->role() != quorum::PeerState::kLeading) return;
  JuteReader r(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
               config_.jute_max_buffer_bytes + kJuteExtraBufferBytes);
  int32_t kind = 0;
  if (!r.read_int(&kind).is_ok()) return;
  if (kind == 2) {
    int32_t count = 0;
    if (!r.read_count(&count, 8).is_ok()) return;
    for (int32_t i = 0; i < count; i++) {
      int64_t id = 0;
      if (!r.read_long(&id).is_ok()) return;
      touch(id);
    }
    return;
  }
  int64_t session_id = 0;
  int32_t xid = 0, opcode = 0;
  Buffer body;
  AuthIds auth;
  Status st = r.read_long(&session_id);
  if (st.is_ok()) st = r.read_int(&xid);
  if (st.is_ok()) st = r.read_int(&opcode);
  if (st.is_ok()) st = r.read_buffer(&body);
  if (st.is_ok()) st = jute_read(r, auth);
  if (!st.is_ok()) {
    env_.log.warn("zk", "malformed forwarded request: {}", st.to_string());
    return;
  }
  if (opcode == op(OpCode::kCreateSession)) {
    auto it = sessions_.find(session_id);
    if (it == sessions_.end()) {
      int32_t timeout_ms = session_timeout_of(body.value_or(""), config_.max_session_timeout());
      sessions_[session_id] = SessionInfo{.id = session_id, .timeout_ms = timeout_ms,
                                          .deadline_ns = env_.clock->now_ns() + ms_to_ns(timeout_ms)};
    }
  } else if (opcode == op(OpCode::kCloseSession)) {
    auto it = sessions_.find(session_id);
    if (it == sessions_.end() || it->second.closing) return;
    it->second.closing = true;
  }
  commit_txn(prepare_write(session_id, auth, xid, opcode, body.value_or("")));
}

int64_t ZkServer::submit_create_session(Connection& conn, int32_t timeout_ms) {
  int64_t session_id = ++next_session_id_;
  // The session exists (for attach and expiry) from now; the txn makes it durable and replicated.
  sessions_[session_id] = SessionInfo{.id = session_id,
                                      .timeout_ms = timeout_ms,
                                      .deadline_ns = env_.clock->now_ns() + ms_to_ns(timeout_ms),
                                      .connection = &conn};
  std::string body(4, '\0');
  for (int i = 0; i < 4; i++) body[static_cast<size_t>(i)] = static_cast<char>(timeout_ms >> (24 - 8 * i));
  if (peer_ != nullptr && peer_->role() != quorum::PeerState::kLeading) {
    forward_request(session_id, conn.auth(), 0, op(OpCode::kCreateSession), body);
  } else {
    commit_txn(prepare_write(session_id, conn.auth(), 0, op(OpCode::kCreateSession), body));
  }
  return session_id;
}

void ZkServer::submit_close_session(int64_t session_id, int32_t xid) {
  auto it = sessions_.find(session_id);
  if (it == sessions_.end() || it->second.closing) return;
  it->second.closing = true;
  AuthIds none;
  if (peer_ != nullptr && peer_->role() != quorum::PeerState::kLeading) {
    forward_request(session_id, none, xid, op(OpCode::kCloseSession), "");
  } else {
    commit_txn(prepare_write(session_id, none, xid, op(OpCode::kCloseSession), ""));
  }
}

void ZkServer::commit_loop() {
  auto self = shared_from_this();
  while (!failed_) {
    while (commit_queue_.empty() || flushing_.size() >= kMaxFlushingBatches) {
      commit_ready_.reset();
      commit_ready_.wait();
      if (failed_) return;
    }
    // Everything queued now goes out with one flush; what arrives meanwhile goes to the next batch,
    // whose fsync may start before this one's ends (TxnLog overlaps them). Applied in order.
    auto batch = std::make_shared<CommitBatch>();
    batch->txns.swap(commit_queue_);
    flushing_.push_back(batch);
    env_.spawn("zk-flush", [self, batch] {
      batch->status = self->log_->flush();
      batch->done = true;
      self->apply_flushed();
    });
  }
}

void ZkServer::apply_flushed() {
  while (!failed_ && !flushing_.empty() && flushing_.front()->done) {
    std::shared_ptr<CommitBatch> batch = std::move(flushing_.front());
    flushing_.pop_front();
    stats_.log_flushes++;
    if (!batch->status.is_ok()) {
      fail(batch->status.with_context("flushing the txn log"));
      break;
    }
    const bool several = batch->txns.size() > 1;  // a lone txn's reply goes out at once anyway
    if (several) begin_reply_batch();
    for (const Txn& txn : batch->txns) apply(txn, txn.header.zxid);
    if (several) end_reply_batch();
    snapshot_if_due();
  }
  commit_ready_.set();  // a pipeline slot is free (or the server failed)
}

void ZkServer::begin_reply_batch() { reply_batch_depth_++; }

void ZkServer::join_reply_batch(Connection& conn) {
  KZ_ASSERT(reply_batch_depth_ > 0);
  if (conn.in_reply_batch) return;
  conn.in_reply_batch = true;
  conn.cork();
  reply_batch_.push_back(conn.shared_from_this());
}

void ZkServer::end_reply_batch() {
  KZ_ASSERT(reply_batch_depth_ > 0);
  if (--reply_batch_depth_ > 0) return;
  std::vector<std::shared_ptr<Connection>> batch;
  batch.swap(reply_batch_);
  for (const std::shared_ptr<Connection>& conn : batch) {
    conn->in_reply_batch = false;
    conn->uncork();
  }
}

void ZkServer::apply(const Txn& txn, int64_t pending_tag) {
  KZ_ASSERT_MSG(txn.header.zxid > tree_.last_zxid(),
                fmt::format("zxid 0x{:x} applied after 0x{:x}", txn.header.zxid, tree_.last_zxid()));
  ApplyResult result = tree_.apply(txn.header, txn.body);
  pending_.forget_through(pending_tag);
  stats_.txns_committed++;
  txns_since_snapshot_++;
  for (const WatchEvent& e : watches_.trigger_all(result.triggers, txn.header.zxid)) {
    auto it = sessions_.find(e.watcher);
    if (it != sessions_.end() && it->second.connection != nullptr) it->second.connection->notify(e.event, e.zxid);
  }
  int64_t session_id = txn.header.client_id;
  auto it = sessions_.find(session_id);
  Connection* conn = it == sessions_.end() ? nullptr : it->second.connection;
  if (txn.header.type == op(OpCode::kCreateSession)) {
    if (it == sessions_.end()) {
      // A session created through another server: known here too (for reconnects and expiry).
      int32_t timeout_ms = std::get<CreateSessionTxn>(txn.body).timeout_ms;
      it = sessions_.emplace(session_id, SessionInfo{.id = session_id, .timeout_ms = timeout_ms,
                                                     .deadline_ns = env_.clock->now_ns() + ms_to_ns(timeout_ms)})
               .first;
    }
    env_.log.info("zk", "session 0x{:x} established", session_id);
    if (conn != nullptr) conn->session_created(session_id, it->second.timeout_ms, txn.header.zxid);
    return;
  }
  if (txn.header.type == op(OpCode::kCloseSession)) {
    env_.log.event("session_closed", {Field("session", fmt::format("0x{:x}", session_id)),
                                      Field("zxid", txn.header.zxid)});
    if (it != sessions_.end()) {
      sessions_.erase(it);
      if (conn != nullptr) {
        conn->write_applied(txn.header.cxid, txn.header.zxid, result);
        conn->session_closed();
      }
    }
    return;
  }
  if (conn != nullptr) conn->write_applied(txn.header.cxid, txn.header.zxid, result);
}

void ZkServer::session_loop() {
  auto self = shared_from_this();
  int64_t tick_ns = ms_to_ns(std::max(1, config_.tick_time_ms / 2));
  for (;;) {
    env_.clock->sleep_for(tick_ns);
    if (env_.buggify("zk.session.slow_tick")) env_.clock->sleep_for(tick_ns);
    if (peer_ != nullptr) {
      watch_role();
      if (peer_->role() != quorum::PeerState::kLeading) {
        // Followers report their clients' sessions to the leader, which alone expires sessions.
        JuteWriter w;
        w.write_int(2);
        std::vector<int64_t> ids;
        for (auto& [id, sess] : sessions_) {
          if (sess.connection != nullptr) ids.push_back(id);
        }
        std::sort(ids.begin(), ids.end());
        w.write_int(static_cast<int32_t>(ids.size()));
        for (int64_t id : ids) w.write_long(id);
        std::string bytes = w.take();
        if (peer_->role() == quorum::PeerState::kFollowing) {
          (void)peer_->forward(quorum::Bytes(bytes.begin(), bytes.end()));
        }
        continue;
      }
    }
    int64_t now = env_.clock->now_ns();
    std::vector<int64_t> expired;
    for (auto& [id, s] : sessions_) {
      if (!s.closing && s.deadline_ns < now) expired.push_back(id);
    }
    std::sort(expired.begin(), expired.end());  // expire in id order, whatever the hash order
    for (int64_t id : expired) {
      env_.log.info("zk", "session 0x{:x} expired (timeout {} ms)", id, sessions_[id].timeout_ms);
      env_.log.event("session_expired", {Field("session", fmt::format("0x{:x}", id))});
      stats_.sessions_expired++;
      env_.probe("zk.session.expired");
      submit_close_session(id, 0);
    }
  }
}

void ZkServer::watch_role() {
  quorum::PeerState role = peer_->role();
  if (role == last_role_) return;
  quorum::PeerState old = last_role_;
  last_role_ = role;
  state_ = role == quorum::PeerState::kLeading ? "leader" : role == quorum::PeerState::kFollowing ? "follower"
                                                                                                 : "looking";
  env_.log.info("zk", "role {} -> {} (epoch {})", quorum::peer_state_name(old), quorum::peer_state_name(role),
                peer_->epoch());
  pending_.clear();
  zxid_counter_ = std::max<int64_t>(zxid_counter_, tree_.last_zxid());
  if (role == quorum::PeerState::kLeading) {
    // The new leader tracks every live session, giving each a full timeout to report in.
    int64_t now = env_.clock->now_ns();
    for (auto& [id, timeout_ms] : tree_.sessions()) {
      auto [it, inserted] = sessions_.emplace(id, SessionInfo{.id = id, .timeout_ms = timeout_ms});
      it->second.deadline_ns = now + ms_to_ns(timeout_ms);
    }
  }
  if (old != quorum::PeerState::kLooking) {
    // Writes in flight may never complete under the new regime: clients reconnect and retry.
    std::vector<Connection*> conns;
    for (auto& [n, c] : connections_) conns.push_back(c);
    for (Connection* c : conns) c->close("server changed role");
  }
}

void ZkServer::apply_replicated(uint64_t zxid, std::span<const uint8_t> bytes) {
  Result<Txn> txn = decode_txn(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  KZ_ASSERT_MSG(txn.is_ok(), "a committed txn does not decode: " + txn.status().to_string());
  int64_t tag = txn->header.zxid;
  txn->header.zxid = static_cast<int64_t>(zxid);
  apply(*txn, tag);
}

quorum::Bytes ZkServer::snapshot_state() {
  std::string bytes = encode_snapshot(tree_);
  return quorum::Bytes(bytes.begin(), bytes.end());
}

Status ZkServer::restore_state(std::span<const uint8_t> state, uint64_t zxid) {
  if (state.empty()) {
    // No snapshot yet: the initial state, a fresh tree.
    tree_ = DataTree(tree_.config());
    pending_.clear();
    return Status::ok();
  }
  KZ_ASSIGN_OR_RETURN(RestoredSnapshot restored,
                      decode_snapshot(std::string_view(reinterpret_cast<const char*>(state.data()), state.size()),
                                      tree_.config()));
  tree_ = std::move(restored.tree);
  pending_.clear();
  int64_t now = env_.clock->now_ns();
  for (auto& [id, timeout_ms] : tree_.sessions()) {
    auto [it, inserted] = sessions_.emplace(id, SessionInfo{.id = id, .timeout_ms = timeout_ms});
    if (inserted) it->second.deadline_ns = now + ms_to_ns(timeout_ms);
  }
  env_.log.info("zk", "state restored from a snapshot at zxid 0x{:x} ({} nodes)", zxid, tree_.node_count());
  env_.probe("zk.snapshot.restored");
  return Status::ok();
}

void ZkServer::snapshot_if_due() {
  if (snapshot_in_progress_ || txns_since_snapshot_ < static_cast<uint64_t>(config_.snap_count)) return;
  txns_since_snapshot_ = 0;
  snapshot_in_progress_ = true;
  // The tree is serialized at once (a consistent snapshot), then written by its own fiber while
  // requests go on.
  std::string bytes = encode_snapshot(tree_);
  uint64_t zxid = static_cast<uint64_t>(tree_.last_zxid());
  auto self = shared_from_this();
  env_.spawn("zk-snapshot", [self, bytes = std::move(bytes), zxid] {
    Status st = self->snapshots_->write(
        zxid, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
    if (!st.is_ok()) {
      self->env_.log.warn("zk", "snapshot at 0x{:x} failed: {}", zxid, st.to_string());
    } else {
      self->env_.log.info("zk", "snapshot written at zxid 0x{:x}", zxid);
      self->env_.probe("zk.snapshot.taken");
      if (self->config_.autopurge_purge_interval_hours > 0) {  // autopurge: after each snapshot
        Status p = self->snapshots_->purge(static_cast<size_t>(self->config_.autopurge_snap_retain_count),
                                           self->log_.get());
        if (!p.is_ok()) self->env_.log.warn("zk", "purge failed: {}", p.to_string());
      }
    }
    self->snapshot_in_progress_ = false;
  });
}

void ZkServer::count_latency(int64_t latency_ns) {
  stats_.latency_ns_total += latency_ns;
  stats_.latency_samples++;
  stats_.latency_ns_max = std::max(stats_.latency_ns_max, latency_ns);
}

bool ZkServer::four_letter_word_allowed(const std::string& word) const {
  return config_.four_letter_words.count("*") > 0 || config_.four_letter_words.count(word) > 0;
}

}  // namespace kz::zk
