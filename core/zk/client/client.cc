// Connection management of the ZooKeeper client: the session fiber (connect, handshake, reconnect,
// expiry), the reader (frames -> replies and notifications) and the writer (requests, pings).
// The operations themselves are in client_ops.cc.
#include "core/zk/client/client.h"

#include <fmt/format.h>

#include <utility>

namespace kz::zk::client {

namespace {

// ZooKeeper splits SetWatches so that no packet carries more than this many bytes of paths.
constexpr size_t kSetWatchesPathBytesMax = 128 * 1024;
// The writer coalesces at most this much into one write.
constexpr size_t kWriteBatchBytesMax = 256 * 1024;

}  // namespace

// Something a fiber waits for, described by a predicate over the client's state.
class Client::Cond final : public rt::Waitable {
 public:
  Cond(rt::WaitList& list, std::function<bool()> pred) : list_(list), pred_(std::move(pred)) {}
  bool ready() const override { return pred_(); }
  rt::WaitList& waiters() override { return list_; }

 private:
  rt::WaitList& list_;
  std::function<bool()> pred_;
};

std::string_view state_name(State state) {
  switch (state) {
    case State::kConnecting:
      return "connecting";
    case State::kConnected:
      return "connected";
    case State::kExpired:
      return "expired";
    case State::kClosed:
      return "closed";
  }
  return "unknown";
}

Result<std::vector<io::Address>> parse_servers(std::string_view connect_string) {
  if (connect_string.find('/') != std::string_view::npos) {
    return Status(Code::kInvalidArgument,
                  fmt::format("'{}': a chroot suffix is not supported by kz's client", connect_string));
  }
  std::vector<io::Address> out;
  size_t start = 0;
  while (start <= connect_string.size()) {
    size_t comma = connect_string.find(',', start);
    if (comma == std::string_view::npos) comma = connect_string.size();
    std::string_view part = connect_string.substr(start, comma - start);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    if (part.empty()) {
      return Status(Code::kInvalidArgument, fmt::format("'{}': empty server in the list", connect_string));
    }
    std::string text(part);
    if (text.find(':') == std::string::npos) text += ":2181";  // ZooKeeper's default client port
    Result<io::Address> addr = io::Address::parse(text);
    if (!addr.is_ok()) return addr.status().with_context(fmt::format("server '{}'", part));
    out.push_back(*addr);
    start = comma + 1;
  }
  return out;
}

std::shared_ptr<Client> Client::connect(io::Env& env, ClientOptions options) {
  KZ_ASSERT_MSG(!options.servers.empty(), "a ZooKeeper client needs at least one server");
  std::shared_ptr<Client> client(new Client(env, std::move(options)));
  client->start();
  return client;
}

Client::Client(io::Env& env, ClientOptions options)
    : env_(env), options_(std::move(options)) {
  KZ_ASSERT(options_.session_timeout_ms > 0);
  KZ_ASSERT(options_.frame_bytes_max > 0);
  KZ_ASSERT(options_.requests_outstanding_max > 0);
  if (options_.event_channel_capacity > 0) {
    events_ = std::make_unique<rt::Channel<WatchedEvent>>(*env_.sched, options_.event_channel_capacity);
  }
  order_ = options_.servers;
  // A seeded Fisher-Yates shuffle: clients spread over the ensemble, reproducibly.
  for (size_t i = order_.size(); i > 1; i--) {
    size_t j = static_cast<size_t>(env_.rng->below(i));
    std::swap(order_[i - 1], order_[j]);
  }
}

Client::~Client() = default;

void Client::start() {
  auto self = shared_from_this();
  env_.spawn("zk-client-session", [self] { self->session_loop(); });
}

std::optional<io::Address> Client::server() const { return server_; }

bool Client::wait_connected(int64_t timeout_ns) {
  Cond settled(state_waiters_, [this] { return state_ != State::kConnecting; });
  rt::wait_for(*env_.sched, settled, timeout_ns);
  return state_ == State::kConnected;
}

bool Client::wait_state(State state, int64_t timeout_ns) {
  Cond reached(state_waiters_, [this, state] { return state_ == state; });
  return rt::wait_for(*env_.sched, reached, timeout_ns);
}

void Client::set_state(State state) {
  if (state_ == state) return;
  KZ_ASSERT_MSG(state_ != State::kClosed, "a closed client changes state no more");
  KZ_ASSERT(!(state_ == State::kExpired && state != State::kClosed));
  env_.log.info(options_.log_component, "session 0x{:x}: {} -> {}", session_id_, state_name(state_),
                state_name(state));
  state_ = state;
  state_waiters_.wake_all(*env_.sched);
  if (options_.on_state) options_.on_state(state);
}

void Client::deliver(const WatchedEvent& event) {
  if (options_.on_event) options_.on_event(event);
  if (events_ != nullptr) (void)events_->send(event);  // a closed channel drops it
}

void Client::deliver_state_event(KeeperState keeper_state) {
  deliver(WatchedEvent{EventType::kNone, keeper_state, "", -1});
}

void Client::wake_writer() { writer_waiters_.wake_all(*env_.sched); }

int32_t Client::next_xid() {
  // Positive and increasing; negative xids are reserved (ping, auth, setWatches, notifications).
  last_xid_ = last_xid_ == INT32_MAX ? 1 : last_xid_ + 1;
  return last_xid_;
}

int64_t Client::resolve_timeout(int64_t timeout_ns) const {
  return timeout_ns == kDefaultCallTimeout ? options_.request_timeout_ns : timeout_ns;
}

// ---- the session fiber ----

void Client::session_loop() {
  uint64_t attempts = 0;
  while (!closing_ && state_ != State::kExpired && state_ != State::kClosed) {
    if (attempts > 0 && options_.reconnect_delay_ns_max > 0) {
      int64_t delay_ns = env_.rng->between(0, options_.reconnect_delay_ns_max);
      Cond stop(state_waiters_, [this] { return closing_; });
      rt::wait_for(*env_.sched, stop, delay_ns);
      if (closing_) break;
    }
    attempts++;
    const io::Address addr = order_[next_server_ % order_.size()];
    next_server_++;
    // ZooKeeper's connect timeout: the session timeout shared among the servers to try.
    int32_t timeout_ms = negotiated_timeout_ms_ > 0 ? negotiated_timeout_ms_ : options_.session_timeout_ms;
    int64_t connect_timeout_ns = ms_to_ns(timeout_ms) / static_cast<int64_t>(order_.size());
    Result<std::unique_ptr<io::Stream>> stream = env_.net->connect(addr, connect_timeout_ns);
    if (!stream.is_ok()) {
      env_.log.debug(options_.log_component, "connect to {}: {}", addr.to_string(), stream.status().to_string());
      continue;
    }
    if (closing_) {
      (*stream)->close();
      break;
    }
    FrameReader reader(options_.frame_bytes_max);
    if (!handshake(**stream, reader, connect_timeout_ns)) {
      (*stream)->close();
      continue;
    }
    if (closing_) {
      (*stream)->close();
      break;
    }
    server_ = addr;
    run_connection(std::move(*stream), reader);
    server_.reset();
  }
}

bool Client::handshake(io::Stream& stream, FrameReader& reader, int64_t timeout_ns) {
  ConnectRequest req;
  req.protocol_version = 0;
  req.last_zxid_seen = last_zxid_seen_;
  req.timeout_ms = options_.session_timeout_ms;
  req.session_id = session_id_;
  req.passwd = session_password_.empty() ? std::string(16, '\0') : session_password_;
  req.read_only = false;
  std::string frame = frame_bytes(jute_encode(req));
  Status st = stream.write_all(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(frame.data()), frame.size()));
  if (!st.is_ok()) {
    env_.log.debug(options_.log_component, "handshake with {}: {}", stream.peer().to_string(), st.to_string());
    return false;
  }
  Result<std::string_view> reply = reader.next(stream, timeout_ns);
  if (!reply.is_ok()) {
    env_.log.debug(options_.log_component, "handshake with {}: {}", stream.peer().to_string(),
                   reply.status().to_string());
    return false;
  }
  Result<ConnectResponse> resp = jute_decode<ConnectResponse>(*reply);
  if (!resp.is_ok()) {
    env_.log.warn(options_.log_component, "malformed ConnectResponse from {}: {}", stream.peer().to_string(),
                  resp.status().to_string());
    return false;
  }
  if (resp->timeout_ms <= 0) {
    env_.log.info(options_.log_component, "session 0x{:x} expired (told by {})", session_id_,
                  stream.peer().to_string());
    expire();
    return false;
  }
  if (session_id_ != 0 && resp->session_id != session_id_) {
    env_.log.warn(options_.log_component, "{} answered session 0x{:x} with session 0x{:x}: dropping it",
                  stream.peer().to_string(), session_id_, resp->session_id);
    return false;
  }
  if (session_id_ == 0) {
    env_.log.info(options_.log_component, "session 0x{:x} established with {} (timeout {} ms)", resp->session_id,
                  stream.peer().to_string(), resp->timeout_ms);
  } else {
    env_.log.info(options_.log_component, "session 0x{:x} reconnected to {}", session_id_, stream.peer().to_string());
  }
  session_id_ = resp->session_id;
  session_password_ = resp->passwd.value_or("");
  negotiated_timeout_ms_ = resp->timeout_ms;
  return true;
}

void Client::expire() {
  if (closing_ || state_ == State::kClosed) return;  // close() already ended everything
  set_state(State::kExpired);
  fail_all(ErrorCode::kSessionExpired);
  watches_.clear();
  auth_.clear();
  deliver_state_event(KeeperState::kExpired);
  if (events_ != nullptr) events_->close();
}

void Client::queue_reconnect_packets() {
  // Auth first, so the re-armed watches are registered by an authenticated session; then the
  // watches; then whatever callers queued while the client was disconnected.
  std::vector<Request> packets;
  for (const AuthPacket& a : auth_) {
    Request r;
    r.seq = ++last_request_seq_;
    r.xid = kAuthXid;
    r.opcode = op(OpCode::kAuth);
    r.frame = encode_request(kAuthXid, r.opcode, a);
    packets.push_back(std::move(r));
  }
  for (const SetWatches2& sw : watches_.set_watches(last_zxid_seen_, kSetWatchesPathBytesMax)) {
    Request r;
    r.seq = ++last_request_seq_;
    r.xid = kSetWatchesXid;
    r.opcode = op(OpCode::kSetWatches2);
    r.frame = encode_request(kSetWatchesXid, r.opcode, sw);
    packets.push_back(std::move(r));
  }
  for (auto it = packets.rbegin(); it != packets.rend(); ++it) outgoing_.push_front(std::move(*it));
}

void Client::run_connection(std::unique_ptr<io::Stream> stream, FrameReader& reader) {
  KZ_ASSERT(conn_ == nullptr);
  KZ_ASSERT(in_flight_.empty());
  auto conn = std::make_shared<Connection>(*env_.sched);
  conn->stream = std::move(stream);
  conn->number = next_connection_number_++;
  conn->last_send_ns = env_.clock->now_ns();
  conn_ = conn;
  connections_established_++;
  if (connections_established_ > 1) env_.probe("zk.client.reconnect");
  queue_reconnect_packets();
  set_state(State::kConnected);
  deliver_state_event(KeeperState::kSyncConnected);
  auto self = shared_from_this();
  env_.spawn("zk-client-writer", [self, conn] { self->writer_loop(conn); });

  // Nothing heard for two thirds of the session timeout: the server is taken for dead (pings
  // go out after one third of idleness, so a live server always answers in time). Each read
  // would time out idle_timeout_ns after it began waiting; rather than a timer per read (one per
  // reply), one timer per connection checks the waiting read's deadline and re-arms itself for
  // it, so it fires about once per idle period (see on_idle_timer).
  conn->idle_timeout_ns = ms_to_ns(negotiated_timeout_ms_) * 2 / 3;
  conn->reader = &reader;
  reader.track_waits(env_.clock, conn->idle_timeout_ns);
  struct IdleGuard {
    rt::Scheduler& sched;
    Connection* c;
    ~IdleGuard() {
      sched.cancel_timer(c->idle_timer);
      c->reader->track_waits(nullptr, kNoTimeout);
      c->reader = nullptr;
    }
  } idle_guard{*env_.sched, conn.get()};
  std::string reason = "connection dropped";
  while (!conn->broken) {
    // Not armed (it fired while no read waited): the next read's deadline is idle_timeout_ns
    // from now.
    if (!env_.sched->timer_pending(conn->idle_timer)) {
      arm_idle_timer(conn.get(), env_.clock->deadline_after_ns(conn->idle_timeout_ns));
    }
    Result<std::string_view> frame = reader.next(*conn->stream, kNoTimeout);
    if (!frame.is_ok()) {
      reason = conn->idle_expired
                   ? fmt::format("nothing heard for {} ms", ns_to_ms(conn->idle_timeout_ns))
                   : frame.status().to_string();
      break;
    }
    Status st = handle_frame(*frame, conn->number);
    if (!st.is_ok()) {
      reason = "malformed packet: " + st.to_string();
      env_.log.warn(options_.log_component, "session 0x{:x}: {} from {}", session_id_, reason,
                    conn->stream->peer().to_string());
      break;
    }
  }
  if (!closing_) {
    env_.log.info(options_.log_component, "session 0x{:x}: lost {}: {}", session_id_,
                  conn->stream->peer().to_string(), reason);
  }
  conn->broken = true;
  conn->stream->close();
  wake_writer();
  conn->writer_done.wait();
  conn_.reset();
  fail_all(ErrorCode::kConnectionLoss);
  if (!closing_ && state_ == State::kConnected) {
    set_state(State::kConnecting);
    deliver_state_event(KeeperState::kDisconnected);
  }
}

void Client::arm_idle_timer(Connection* c, int64_t deadline_ns) {
  // The guard in run_connection cancels it before `c` or the client can go away; the owner is the
  // client's group, whoever's fiber arms it.
  c->idle_timer = env_.sched->add_timer(deadline_ns, [this, c] { on_idle_timer(c); }, env_.group);
}

void Client::on_idle_timer(Connection* c) {
  if (c->broken) return;
  const int64_t wait_deadline_ns = c->reader->wait_deadline_ns();
  if (wait_deadline_ns == kNever) return;  // no read waits: the reader re-arms before its next read
  if (wait_deadline_ns <= env_.sched->now_ns()) {
    // The read waiting now has waited its idle timeout: end it as its own timeout would have.
    c->idle_expired = true;
    c->broken = true;
    c->stream->close();  // wakes the reader, which cleans up
    return;
  }
  arm_idle_timer(c, wait_deadline_ns);  // a later read waits: check again at its deadline
}

void Client::writer_loop(std::shared_ptr<Connection> conn) {
  struct Done {
    Connection* c;
    ~Done() { c->writer_done.set(); }
  } done{conn.get()};
  const int64_t ping_interval_ns = ms_to_ns(negotiated_timeout_ms_) / 3;
  Connection* c = conn.get();
  std::string batch;
  while (!c->broken) {
    batch.clear();
    if (c->writing) {  // a caller is writing through: wait for it (it wakes us when done)
      Cond idle(writer_waiters_, [c] { return !c->writing || c->broken; });
      c->writer_waits_idle = true;
      rt::wait_for(*env_.sched, idle, kNoTimeout);
      c->writer_waits_idle = false;
      continue;
    }
    if (outgoing_.empty()) {
      int64_t idle_ns = env_.clock->now_ns() - c->last_send_ns;
      if (idle_ns < ping_interval_ns) {
        Cond work(writer_waiters_, [this, c] { return (!outgoing_.empty() && !c->writing) || c->broken; });
        rt::wait_for(*env_.sched, work, ping_interval_ns - idle_ns);
        continue;
      }
      batch = encode_header_only(kPingXid, op(OpCode::kPing));
    } else {
      // In flight before the bytes leave: the reply cannot come before, and a failed write then
      // completes them with CONNECTIONLOSS (they may have reached the server).
      while (!outgoing_.empty() && batch.size() < kWriteBatchBytesMax) {
        Request& r = outgoing_.front();
        batch += r.frame;
        r.frame = std::string();
        in_flight_.push_back(std::move(r));
        outgoing_.pop_front();
      }
    }
    if (!write_batch(c, batch)) break;
  }
}

bool Client::write_batch(Connection* c, const std::string& batch) {
  KZ_ASSERT(!c->writing);
  c->writing = true;
  c->last_send_ns = env_.clock->now_ns();
  Status st =
      c->stream->write_all(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(batch.data()), batch.size()));
  c->writing = false;
  if (!st.is_ok()) {
    if (!c->broken) {
      env_.log.debug(options_.log_component, "session 0x{:x}: write: {}", session_id_, st.to_string());
    }
    c->broken = true;
    c->stream->close();  // wakes the reader
    return false;
  }
  return true;
}

Status Client::handle_frame(std::string_view frame, uint64_t connection) {
  JuteReader r(frame, options_.frame_bytes_max);
  ReplyHeader h;
  KZ_RETURN_IF_ERROR(jute_read(r, h));
  if (h.xid == kPingXid) return Status::ok();
  if (h.xid == kNotificationXid) {
    KZ_ASSIGN_OR_RETURN(WatcherEvent ev, jute_decode<WatcherEvent>(r.rest(), options_.frame_bytes_max));
    EventType type = static_cast<EventType>(ev.type);
    if (!watches_.on_event(type, ev.path)) {
      env_.log.debug(options_.log_component, "session 0x{:x}: event {} on {} matches no recorded watch",
                     session_id_, ev.type, ev.path);
    }
    deliver(WatchedEvent{type, static_cast<KeeperState>(ev.state), ev.path, h.zxid});
    return Status::ok();
  }
  if (in_flight_.empty()) {
    return Status(Code::kCorruption, fmt::format("reply with xid {} but no request is outstanding", h.xid));
  }
  if (in_flight_.front().xid != h.xid) {
    return Status(Code::kCorruption,
                  fmt::format("reply xid {} out of order: the oldest request has xid {}", h.xid, in_flight_.front().xid));
  }
  Request req = std::move(in_flight_.front());
  in_flight_.pop_front();
  room_waiters_.wake_all(*env_.sched);
  if (h.zxid > last_zxid_seen_) last_zxid_seen_ = h.zxid;
  ErrorCode e = static_cast<ErrorCode>(h.err);
  // Watches are recorded here, before any later frame is read, so that the notification that
  // may follow this reply finds its watch.
  if (req.watch.has_value()) {
    if (e == ErrorCode::kOk) {
      watches_.add(req.watch->on_ok, req.watch->path);
    } else if (e == ErrorCode::kNoNode && req.watch->exist_on_nonode) {
      watches_.add(WatchKind::kExist, req.watch->path);
    }
  }
  if (req.opcode == op(OpCode::kAuth)) {
    if (e == ErrorCode::kOk && req.auth.has_value()) {
      bool known = false;
      for (const AuthPacket& a : auth_) known |= a.scheme == req.auth->scheme && a.auth == req.auth->auth;
      if (!known) auth_.push_back(*req.auth);
    } else if (e != ErrorCode::kOk) {
      env_.log.warn(options_.log_component, "session 0x{:x}: auth refused: {}", session_id_, error_code_name(h.err));
    }
  }
  if (req.opcode == op(OpCode::kSetWatches2) && e != ErrorCode::kOk) {
    env_.log.warn(options_.log_component, "session 0x{:x}: setWatches2 refused: {}", session_id_,
                  error_code_name(h.err));
  }
  if (req.promise.has_value()) req.promise->set_value(Reply{h.err, h.zxid, std::string(r.rest()), connection});
  return Status::ok();
}

void Client::fail_all(ErrorCode code) {
  std::deque<Request> failed;
  failed.swap(in_flight_);
  for (Request& r : outgoing_) failed.push_back(std::move(r));
  outgoing_.clear();
  for (Request& r : failed) {
    if (r.promise.has_value()) r.promise->set_value(Reply{err(code), 0, {}, 0});
  }
  room_waiters_.wake_all(*env_.sched);
}

void Client::drop_connection(std::string_view reason) {
  if (conn_ == nullptr || conn_->broken) return;
  env_.log.info(options_.log_component, "session 0x{:x}: dropping the connection to {}: {}", session_id_,
                conn_->stream->peer().to_string(), reason);
  conn_->broken = true;
  conn_->stream->close();  // wakes the reader, which cleans up
  wake_writer();
}

Client::Reply Client::call(Request request, int64_t timeout_ns) {
  timeout_ns = resolve_timeout(timeout_ns);
  if (request.opcode != op(OpCode::kCloseSession) && env_.buggify("zk.client.early_timeout")) {
    timeout_ns = ms_to_ns(1 + static_cast<int64_t>(env_.rng->below(5)));
  }
  const int64_t deadline_ns = deadline_after(env_.sched->now_ns(), timeout_ns);
  auto remaining = [&]() -> int64_t {
    if (deadline_ns == kNever) return kNoTimeout;
    int64_t left = deadline_ns - env_.sched->now_ns();
    return left > 0 ? left : 0;
  };
  auto refused = [&]() {
    return state_ == State::kExpired || state_ == State::kClosed ||
           (closing_ && request.opcode != op(OpCode::kCloseSession));
  };
  if (refused()) return Reply{err(ErrorCode::kSessionExpired), 0, {}, 0};
  if (outgoing_.size() + in_flight_.size() >= options_.requests_outstanding_max) {
    Cond room(room_waiters_, [this] {
      return outgoing_.size() + in_flight_.size() < options_.requests_outstanding_max ||
             state_ == State::kExpired || state_ == State::kClosed;
    });
    if (!rt::wait_for(*env_.sched, room, remaining())) return Reply{err(ErrorCode::kOperationTimeout), 0, {}, 0};
    if (refused()) return Reply{err(ErrorCode::kSessionExpired), 0, {}, 0};
  }
  rt::Promise<Reply> promise(*env_.sched);
  rt::Future<Reply> future = promise.future();
  request.seq = ++last_request_seq_;
  request.promise.emplace(std::move(promise));
  const uint64_t seq = request.seq;
  outgoing_.push_back(std::move(request));
  if (conn_ != nullptr && !conn_->broken && !conn_->writing && outgoing_.size() == 1) {
    // Nothing queued and nobody writing: this fiber writes its own request (it waits for the reply
    // anyway) instead of waking the writer fiber for it, one switch and one timer less per call.
    std::shared_ptr<Connection> conn = conn_;
    Request& r = outgoing_.front();
    std::string frame = std::move(r.frame);
    r.frame = std::string();
    in_flight_.push_back(std::move(r));  // in flight before the bytes leave (see writer_loop)
    outgoing_.pop_front();
    write_batch(conn.get(), frame);
    // The writer needs waking only for what was queued meanwhile, a failed write, or if it waits
    // for this write to end.
    if (!outgoing_.empty() || conn->broken || conn->writer_waits_idle) wake_writer();
  } else {
    wake_writer();
  }
  if (!wait_reply(future, deadline_ns)) {
    // Not sent yet: withdraw it, so it will not run. Sent: its outcome is unknown.
    for (auto it = outgoing_.begin(); it != outgoing_.end(); ++it) {
      if (it->seq == seq) {
        outgoing_.erase(it);
        break;
      }
    }
    return Reply{err(ErrorCode::kOperationTimeout), 0, {}, 0};
  }
  const Result<Reply>& result = future.get();
  if (!result.is_ok()) return Reply{err(ErrorCode::kConnectionLoss), 0, {}, 0};  // dropped unanswered
  return *result;
}

bool Client::wait_reply(rt::Future<Reply>& future, int64_t deadline_ns) {
  rt::Waitable& reply = *future.waitable();
  if (reply.ready()) return true;
  if (deadline_ns == kNever) {
    future.get();
    return true;
  }
  if (deadline_ns <= env_.sched->now_ns()) return false;
  CallDeadline d;
  d.deadline_ns = deadline_ns;
  d.fiber = env_.sched->current();
  struct Unlink {
    Client* client;
    CallDeadline* d;
    ~Unlink() { client->unlink_deadline(*d); }
  } unlink{this, &d};
  link_deadline(d);
  while (!reply.ready() && !d.expired) {
    rt::WaitNode node(reply.waiters(), *env_.sched);
    env_.sched->park();
  }
  return reply.ready();  // a reply that came with the deadline counts
}

void Client::link_deadline(CallDeadline& d) {
  KZ_ASSERT(!d.linked);
  // From the tail: calls mostly share the default timeout, so a new deadline is mostly the latest.
  CallDeadline* after = call_deadlines_tail_;
  while (after != nullptr && after->deadline_ns > d.deadline_ns) after = after->prev;
  d.prev = after;
  d.next = after != nullptr ? after->next : call_deadlines_head_;
  if (d.next != nullptr) {
    d.next->prev = &d;
  } else {
    call_deadlines_tail_ = &d;
  }
  if (after != nullptr) {
    after->next = &d;
  } else {
    call_deadlines_head_ = &d;
  }
  d.linked = true;
  // The timer stays armed when calls end before their deadline (most do), and is replaced only
  // by an earlier deadline: when it fires it expires what is due and re-arms for the rest.
  if (!env_.sched->timer_pending(deadline_timer_) || d.deadline_ns < deadline_timer_at_) {
    arm_deadline_timer(d.deadline_ns);
  }
}

void Client::arm_deadline_timer(int64_t deadline_ns) {
  env_.sched->cancel_timer(deadline_timer_);
  // A weak reference: the timer may outlive the client (it is not cancelled when calls end). Its
  // owner is the client's group, whoever's fiber arms it.
  deadline_timer_ = env_.sched->add_timer(
      deadline_ns,
      [weak = weak_from_this()] {
        if (std::shared_ptr<Client> self = weak.lock()) self->on_deadline_timer();
      },
      env_.group);
  deadline_timer_at_ = deadline_ns;
}

void Client::unlink_deadline(CallDeadline& d) {
  if (!d.linked) return;
  if (d.prev != nullptr) {
    d.prev->next = d.next;
  } else {
    call_deadlines_head_ = d.next;
  }
  if (d.next != nullptr) {
    d.next->prev = d.prev;
  } else {
    call_deadlines_tail_ = d.prev;
  }
  d.prev = d.next = nullptr;
  d.linked = false;
}

void Client::on_deadline_timer() {
  deadline_timer_at_ = kNever;
  const int64_t now_ns = env_.sched->now_ns();
  // Due calls time out in (deadline, arrival) order, as their own timers would have fired.
  while (call_deadlines_head_ != nullptr && call_deadlines_head_->deadline_ns <= now_ns) {
    CallDeadline* d = call_deadlines_head_;
    unlink_deadline(*d);
    d->expired = true;
    env_.sched->wake(d->fiber);
  }
  if (call_deadlines_head_ != nullptr) arm_deadline_timer(call_deadlines_head_->deadline_ns);
}

ErrorCode Client::close(int64_t timeout_ns) {
  if (state_ == State::kClosed) return ErrorCode::kOk;
  if (closing_) {
    wait_state(State::kClosed, kNoTimeout);
    return ErrorCode::kOk;
  }
  closing_ = true;
  state_waiters_.wake_all(*env_.sched);  // the session fiber may be sleeping between attempts
  ErrorCode result = ErrorCode::kOk;
  if (state_ == State::kConnected) {
    int64_t t = timeout_ns == kDefaultCallTimeout ? ms_to_ns(negotiated_timeout_ms_) : timeout_ns;
    Request req;
    req.xid = next_xid();
    req.opcode = op(OpCode::kCloseSession);
    req.frame = encode_header_only(req.xid, req.opcode);
    result = static_cast<ErrorCode>(call(std::move(req), t).err);
  }
  set_state(State::kClosed);
  fail_all(ErrorCode::kSessionExpired);
  // Every waiting call has its answer now (failed above) and later calls are refused: the
  // deadline timer has nothing left to do.
  env_.sched->cancel_timer(deadline_timer_);
  drop_connection("client closed");
  watches_.clear();
  deliver_state_event(KeeperState::kClosed);
  if (events_ != nullptr) events_->close();
  return result;
}

}  // namespace kz::zk::client
