#include "core/zk/server/connection.h"

#include <fmt/format.h>

#include "core/zk/jute.h"
#include "core/zk/reads.h"
#include "core/zk/server/server.h"

namespace kz::zk {

namespace {

constexpr int32_t kXidNotification = -1;
constexpr int32_t kXidPing = -2;
constexpr int32_t kXidAuth = -4;
constexpr int32_t kXidSetWatches = -8;

uint32_t be32(const char* p) {
  return (static_cast<uint32_t>(static_cast<uint8_t>(p[0])) << 24) |
         (static_cast<uint32_t>(static_cast<uint8_t>(p[1])) << 16) |
         (static_cast<uint32_t>(static_cast<uint8_t>(p[2])) << 8) | static_cast<uint32_t>(static_cast<uint8_t>(p[3]));
}

bool is_four_letter_word(std::string_view w) {
  static const char* kWords[] = {"conf", "cons", "crst", "dump", "envi", "gtmk", "ruok", "stmk", "srst",
                                 "srvr", "stat", "wchc", "wchp", "wchs", "mntr", "isro", "hash", "dirs"};
  for (const char* k : kWords) {
    if (w == k) return true;
  }
  return false;
}

template <typename T>
std::string encode(const T& v) {
  return jute_encode(v);
}

// A reply frame (length, ReplyHeader, body record) encoded in one buffer: replies are most of a
// server's output, and encoding the body apart meant one more allocation and copy for each.
template <typename T>
std::string framed_reply(int32_t xid, int64_t zxid, int32_t err, const T& body) {
  JuteWriter w(4 + 16 + 96);
  w.write_int(0);  // frame length, patched below
  jute_write(w, ReplyHeader{xid, zxid, err});
  jute_write(w, body);
  w.patch_int(0, static_cast<int32_t>(w.size() - 4));
  return w.take();
}

// A record as one length-prefixed frame.
template <typename T>
std::string frame_record(const T& v) {
  std::string body = jute_encode(v);
  std::string out(4, '\0');
  int32_t len = static_cast<int32_t>(body.size());
  for (int i = 0; i < 4; i++) out[static_cast<size_t>(i)] = static_cast<char>(len >> (24 - 8 * i));
  return out + body;
}

}  // namespace

Connection::Connection(std::shared_ptr<ZkServer> server, std::unique_ptr<io::Stream> stream, uint64_t number)
    : server_(std::move(server)),
      env_(server_->env()),
      stream_(std::move(stream)),
      number_(number),
      outbox_ready_(*env_.sched),
      writer_done_(*env_.sched) {
  client_ip_ = stream_->peer().host;
  auth_.push_back(Id{"ip", client_ip_});
}

Connection::~Connection() = default;

void Connection::close(std::string_view reason) {
  if (closing_) return;
  closing_ = true;
  env_.log.debug("zk", "closing connection from {} (session 0x{:x}): {}", stream_->peer().to_string(), session_id_,
                 reason);
  outbox_ready_.set();  // the writer flushes what is queued, then closes the stream
}

std::string Connection::frame_reply(int32_t xid, int64_t zxid, int32_t err, std::string_view body) {
  JuteWriter w(4 + 16 + body.size());
  w.write_int(0);  // frame length, patched below
  jute_write(w, ReplyHeader{xid, zxid, err});
  std::string out = w.take();
  out.append(body);
  int32_t len = static_cast<int32_t>(out.size() - 4);
  out[0] = static_cast<char>(len >> 24);
  out[1] = static_cast<char>(len >> 16);
  out[2] = static_cast<char>(len >> 8);
  out[3] = static_cast<char>(len);
  return out;
}

void Connection::send(std::string frame) {
  if (closing_) return;
  packets_sent_++;
  server_->mutable_stats().packets_sent++;
  if (cork_depth_ == 0 && !server_->batching_replies() && outbox_.empty() && !writing_) {
    write_now(std::move(frame));  // a lone reply: no vector round trip
    return;
  }
  outbox_.push_back(std::move(frame));
  if (cork_depth_ > 0) return;
  if (server_->batching_replies()) {
    server_->join_reply_batch(*this);
    return;
  }
  flush_outbox();
}

void Connection::uncork() {
  KZ_ASSERT(cork_depth_ > 0);
  if (--cork_depth_ == 0) flush_outbox();
}

void Connection::flush_outbox() {
  if (outbox_.empty()) return;
  if (closing_ || writing_) {
    outbox_ready_.set();  // the writer writes it after its batch (or closes)
    return;
  }
  std::string buf;
  if (outbox_.size() == 1) {
    buf = std::move(outbox_[0]);
  } else {
    size_t bytes = 0;
    for (const std::string& f : outbox_) bytes += f.size();
    buf.reserve(bytes);
    for (const std::string& f : outbox_) buf += f;
  }
  outbox_.clear();
  write_now(std::move(buf));
}

void Connection::write_now(std::string buf) {
  KZ_ASSERT(outbox_.empty() && !writing_);
  if (env_.buggify("zk.server.slow_reply")) {
    slow_reply_ = true;  // the writer delays it
    outbox_.push_back(std::move(buf));
    outbox_ready_.set();
    return;
  }
  // Written here rather than by waking the writer fiber (one switch less per reply or batch).
  // try_write never blocks, so the fiber that made the frames (the reader, or the server applying
  // txns) never waits for this client; whatever the stream does not take now goes to the outbox,
  // ahead of anything sent later, so frames (a watch event before the reply that follows it) keep
  // their order on the wire.
  Result<size_t> n =
      stream_->try_write_some(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(buf.data()), buf.size()));
  if (!n.is_ok()) {
    closing_ = true;  // as a failed write of the writer: it closes the stream
    outbox_ready_.set();
    return;
  }
  server_->mutable_stats().reply_writes++;
  if (*n == buf.size()) return;
  buf.erase(0, *n);
  outbox_.push_back(std::move(buf));
  outbox_ready_.set();
}

void Connection::writer_loop() {
  auto self = shared_from_this();
  std::string buf;
  for (;;) {
    while (outbox_.empty() && !closing_) {
      outbox_ready_.reset();
      outbox_ready_.wait();
    }
    if (outbox_.empty()) break;
    buf.clear();
    std::vector<std::string> batch;
    batch.swap(outbox_);
    for (auto& f : batch) buf += f;
    // Until this batch is written, later frames queue behind it (send() must not write past it).
    writing_ = true;
    bool slow = slow_reply_;
    slow_reply_ = false;
    if (slow || env_.buggify("zk.server.slow_reply")) {
      env_.clock->sleep_for(ms_to_ns(1 + static_cast<int64_t>(env_.rng->below(20))));
    }
    Status st = stream_->write_all(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(buf.data()), buf.size()));
    writing_ = false;
    server_->mutable_stats().reply_writes++;
    if (!st.is_ok()) {
      closing_ = true;
      break;
    }
  }
  stream_->close();
  writer_done_.set();
}

void Connection::run() {
  auto self = shared_from_this();
  env_.spawn("zk-conn-writer", [self] { self->writer_loop(); });
  struct Detach {
    Connection* c;
    ~Detach() {
      c->closing_ = true;
      c->outbox_ready_.set();
      c->server_->detach(*c);
    }
  } detach{this};

  const int32_t frame_max = server_->config().jute_max_buffer_bytes + kJuteExtraBufferBytes;
  std::string in;
  size_t pos = 0;
  // Not zeroed (a read writes only what it returns): 64 KiB of memset per connection was
  // measurable in a busy simulation.
  constexpr size_t kChunkBytes = 64 * 1024;
  std::unique_ptr<uint8_t[]> chunk_storage(new uint8_t[kChunkBytes]);
  const std::span<uint8_t> chunk(chunk_storage.get(), kChunkBytes);
  // Replies to the requests already read go out together, before the reader waits for more.
  bool corked = false;
  auto uncork_reader = [&] {
    if (corked) {
      corked = false;
      uncork();
    }
  };
  struct Uncork {
    decltype(uncork_reader)& f;
    ~Uncork() { f(); }
  } uncork_on_exit{uncork_reader};
  auto fill = [&](size_t need) -> bool {
    while (in.size() - pos < need) {
      uncork_reader();
      if (closing_) return false;
      if (pos > 0 && pos == in.size()) {
        in.clear();
        pos = 0;
      }
      Result<size_t> n = stream_->read_some(chunk);
      if (!n.is_ok() || *n == 0) return false;
      in.append(reinterpret_cast<const char*>(chunk.data()), *n);
    }
    return true;
  };
  bool first = true;
  while (!closing_) {
    if (!fill(4)) return;
    if (first) {
      first = false;
      std::string_view word(in.data() + pos, 4);
      if (is_four_letter_word(word)) {
        handle_four_letter_word(std::string(word));
        return;
      }
    }
    uint32_t len = be32(in.data() + pos);
    if (len > static_cast<uint32_t>(frame_max)) {
      env_.log.warn("zk", "packet of {} bytes from {} exceeds jute.maxbuffer ({}): closing the connection",
                    static_cast<int32_t>(len), stream_->peer().to_string(), frame_max);
      close("oversized packet");
      return;
    }
    if (!fill(4 + len)) return;
    std::string_view frame(in.data() + pos + 4, len);
    if (!corked && in.size() > pos + 4 + len) {  // more requests buffered: their replies go together
      corked = true;
      cork();
    }
    Status st = connected_ || session_id_ != 0 ? dispatch(frame) : handshake(frame);
    pos += 4 + len;
    if (!st.is_ok()) {
      env_.log.warn("zk", "malformed packet from {} (session 0x{:x}): {}: closing the connection",
                    stream_->peer().to_string(), session_id_, st.to_string());
      close("malformed packet");
      env_.probe("zk.request.malformed");
      return;
    }
    if (pos > 1024 * 1024) {  // keep the buffer from growing with a long pipelined stream
      in.erase(0, pos);
      pos = 0;
    }
  }
}

Status Connection::handshake(std::string_view frame) {
  KZ_ASSIGN_OR_RETURN(ConnectRequest req, jute_decode<ConnectRequest>(frame));
  read_only_flag_ = req.read_only.has_value();
  if (req.last_zxid_seen > server_->last_zxid()) {
    env_.log.warn("zk", "refusing session request from {}: it has seen zxid 0x{:x}, our last zxid is 0x{:x}",
                  stream_->peer().to_string(), req.last_zxid_seen, server_->last_zxid());
    close("client is ahead of this server");
    env_.probe("zk.client.stale_server");
    return Status::ok();
  }
  int32_t timeout_ms = server_->config().negotiate_session_timeout(req.timeout_ms);
  if (req.session_id == 0) {
    timeout_ms_ = timeout_ms;
    session_id_ = server_->submit_create_session(*this, timeout_ms);
    return Status::ok();
  }
  std::string passwd = req.passwd.value_or("");
  if (!server_->attach_session(*this, req.session_id, passwd)) {
    env_.log.info("zk", "invalid session 0x{:x} for client {}, probably expired", req.session_id,
                  stream_->peer().to_string());
    ConnectResponse resp;
    resp.passwd = std::string(16, '\0');
    if (read_only_flag_) resp.read_only = false;
    send(frame_record(resp));
    close("session expired");
    return Status::ok();
  }
  session_id_ = req.session_id;
  timeout_ms_ = server_->sessions().at(session_id_).timeout_ms;
  session_created(session_id_, timeout_ms_, server_->last_zxid());
  env_.log.info("zk", "session 0x{:x} reconnected from {}", session_id_, stream_->peer().to_string());
  return Status::ok();
}

void Connection::session_created(int64_t session_id, int32_t timeout_ms, int64_t zxid) {
  session_id_ = session_id;
  connected_ = true;
  ConnectResponse resp;
  resp.protocol_version = 0;
  resp.timeout_ms = timeout_ms;
  resp.session_id = session_id;
  resp.passwd = server_->session_password(session_id);
  if (read_only_flag_) resp.read_only = false;
  send(frame_record(resp));
  (void)zxid;
}

void Connection::push_ready(int32_t xid, int32_t opcode, std::string reply) {
  Entry e;
  e.xid = xid;
  e.opcode = opcode;
  e.state = EntryState::kReady;
  e.reply = std::move(reply);
  e.received_ns = env_.clock->now_ns();
  pending_.push_back(std::move(e));
  pump();
}

void Connection::pump() {
  while (!pending_.empty()) {
    Entry& head = pending_.front();
    if (head.state == EntryState::kWaitingWrite) return;
    if (head.state == EntryState::kDeferredRead) head.reply = execute_read(head.xid, head.opcode, head.body);
    server_->count_latency(env_.clock->now_ns() - head.received_ns);
    send(std::move(head.reply));
    pending_.pop_front();
  }
}

Status Connection::dispatch(std::string_view frame) {
  JuteReader r(frame, server_->config().jute_max_buffer_bytes + kJuteExtraBufferBytes);
  RequestHeader h;
  KZ_RETURN_IF_ERROR(jute_read(r, h));
  std::string_view body = r.rest();
  packets_received_++;
  server_->mutable_stats().packets_received++;
  if (!connected_) {
    // Requests pipelined before the session exists wait for it: keep their order.
    if (session_id_ == 0) return Status(Code::kInvalidArgument, "request before the session handshake");
  }
  server_->touch(session_id_);
  int32_t opcode = h.type;
  switch (static_cast<OpCode>(opcode)) {
    case OpCode::kPing:
      push_ready(h.xid, opcode, frame_reply(kXidPing, server_->last_zxid(), 0, ""));
      return Status::ok();
    case OpCode::kAuth: {
      KZ_ASSIGN_OR_RETURN(AuthPacket packet, jute_decode<AuthPacket>(body));
      ErrorCode e = authenticate(packet, server_->auth_config(), client_ip_, auth_);
      push_ready(kXidAuth, opcode, frame_reply(kXidAuth, 0, static_cast<int32_t>(e), ""));
      if (e != ErrorCode::kOk) {
        env_.log.info("zk", "authentication failed for session 0x{:x} (scheme '{}')", session_id_, packet.scheme);
        close("auth failed");
      }
      return Status::ok();
    }
    case OpCode::kSetWatches:
    case OpCode::kSetWatches2: {
      SetWatches2 req;
      if (opcode == op(OpCode::kSetWatches)) {
        KZ_ASSIGN_OR_RETURN(SetWatches old, jute_decode<SetWatches>(body));
        req.relative_zxid = old.relative_zxid;
        req.data_watches = std::move(old.data_watches);
        req.exist_watches = std::move(old.exist_watches);
        req.child_watches = std::move(old.child_watches);
      } else {
        KZ_ASSIGN_OR_RETURN(req, jute_decode<SetWatches2>(body));
      }
      // Deferred behind pending writes like any read, so the catch-up events are computed against
      // the tree the client's earlier writes produced.
      Entry e;
      e.xid = kXidSetWatches;
      e.opcode = opcode;
      e.state = EntryState::kDeferredRead;
      e.body = std::string(body);
      e.received_ns = env_.clock->now_ns();
      pending_.push_back(std::move(e));
      pump();
      return Status::ok();
    }
    case OpCode::kCloseSession: {
      Entry e;
      e.xid = h.xid;
      e.opcode = opcode;
      e.state = EntryState::kWaitingWrite;
      e.received_ns = env_.clock->now_ns();
      pending_.push_back(std::move(e));
      server_->submit_close_session(session_id_, h.xid);
      return Status::ok();
    }
    default:
      break;
  }
  if (is_write_op(opcode) && opcode != op(OpCode::kSync)) {
    Entry e;
    e.xid = h.xid;
    e.opcode = opcode;
    e.state = EntryState::kWaitingWrite;
    e.received_ns = env_.clock->now_ns();
    pending_.push_back(std::move(e));
    server_->submit_write(*this, h.xid, opcode, body);
    return Status::ok();
  }
  if (opcode == op(OpCode::kSync) && server_->ensemble() && server_->state() != "leader") {
    // A follower's sync asks the leader to flush its pipeline to us: the reply (and every read
    // after it) waits until this server has applied everything the leader had proposed.
    KZ_ASSIGN_OR_RETURN(SyncRequest req, jute_decode<SyncRequest>(body));
    Entry e;
    e.xid = h.xid;
    e.opcode = opcode;
    e.state = EntryState::kWaitingWrite;
    e.received_ns = env_.clock->now_ns();
    pending_.push_back(std::move(e));
    auto self = shared_from_this();
    rt::Future<uint64_t> done = server_->quorum_sync();
    env_.spawn("zk-sync", [self, done, xid = h.xid, path = req.path]() mutable {
      done.get();
      self->sync_done(xid, path);
    });
    return Status::ok();
  }
  if (pending_.empty()) {
    Entry e;
    e.xid = h.xid;
    e.opcode = opcode;
    e.received_ns = env_.clock->now_ns();
    e.reply = execute_read(h.xid, opcode, body);
    e.state = EntryState::kReady;
    pending_.push_back(std::move(e));
    pump();
  } else {
    Entry e;
    e.xid = h.xid;
    e.opcode = opcode;
    e.state = EntryState::kDeferredRead;
    e.body = std::string(body);
    e.received_ns = env_.clock->now_ns();
    pending_.push_back(std::move(e));
  }
  return Status::ok();
}

std::string Connection::execute_read(int32_t xid, int32_t opcode, std::string_view body) {
  const DataTree& tree = server_->tree();
  WatchManager& watches = server_->mutable_watches();
  ReadContext ctx{.session_id = session_id_, .watcher = session_id_, .auth = &auth_};
  int64_t zxid = tree.last_zxid();
  int32_t length_max = server_->config().jute_max_buffer_bytes + kJuteExtraBufferBytes;
  auto reply = [&](auto result) -> std::string {
    if (!result.ok()) return frame_reply(xid, zxid, static_cast<int32_t>(result.err), "");
    return framed_reply(xid, zxid, 0, result.value);
  };
  auto marshalling = [&](const Status& st) {
    env_.log.warn("zk", "session 0x{:x}: malformed {} request: {}", session_id_, op_code_name(opcode), st.to_string());
    return frame_reply(xid, zxid, static_cast<int32_t>(ErrorCode::kMarshallingError), "");
  };
  switch (static_cast<OpCode>(opcode)) {
    case OpCode::kExists: {
      auto r = jute_decode<ExistsRequest>(body, length_max);
      return r.is_ok() ? reply(read_exists(tree, watches, ctx, *r)) : marshalling(r.status());
    }
    case OpCode::kGetData: {
      auto r = jute_decode<GetDataRequest>(body, length_max);
      return r.is_ok() ? reply(read_get_data(tree, watches, ctx, *r)) : marshalling(r.status());
    }
    case OpCode::kGetChildren: {
      auto r = jute_decode<GetChildrenRequest>(body, length_max);
      return r.is_ok() ? reply(read_get_children(tree, watches, ctx, *r)) : marshalling(r.status());
    }
    case OpCode::kGetChildren2: {
      auto r = jute_decode<GetChildren2Request>(body, length_max);
      return r.is_ok() ? reply(read_get_children2(tree, watches, ctx, *r)) : marshalling(r.status());
    }
    case OpCode::kGetAcl: {
      auto r = jute_decode<GetACLRequest>(body, length_max);
      return r.is_ok() ? reply(read_get_acl(tree, ctx, *r)) : marshalling(r.status());
    }
    case OpCode::kGetAllChildrenNumber: {
      auto r = jute_decode<GetAllChildrenNumberRequest>(body, length_max);
      return r.is_ok() ? reply(read_get_all_children_number(tree, ctx, *r)) : marshalling(r.status());
    }
    case OpCode::kGetEphemerals: {
      auto r = jute_decode<GetEphemeralsRequest>(body, length_max);
      return r.is_ok() ? framed_reply(xid, zxid, 0, read_get_ephemerals(tree, ctx, *r)) : marshalling(r.status());
    }
    case OpCode::kMultiRead: {
      auto r = jute_decode<MultiRequest>(body, length_max);
      return r.is_ok() ? framed_reply(xid, zxid, 0, read_multi(tree, watches, ctx, *r)) : marshalling(r.status());
    }
    case OpCode::kSync: {
      auto r = jute_decode<SyncRequest>(body, length_max);
      return r.is_ok() ? framed_reply(xid, zxid, 0, SyncResponse{r->path}) : marshalling(r.status());
    }
    case OpCode::kAddWatch: {
      auto r = jute_decode<AddWatchRequest>(body, length_max);
      if (!r.is_ok()) return marshalling(r.status());
      ErrorCode e = add_watch(watches, ctx, *r);
      return frame_reply(xid, zxid, static_cast<int32_t>(e), e == ErrorCode::kOk ? encode(ErrorResponse{0}) : "");
    }
    case OpCode::kCheckWatches: {
      auto r = jute_decode<CheckWatchesRequest>(body, length_max);
      return r.is_ok() ? frame_reply(xid, zxid, static_cast<int32_t>(check_watches(watches, ctx, *r)), "")
                       : marshalling(r.status());
    }
    case OpCode::kRemoveWatches: {
      auto r = jute_decode<RemoveWatchesRequest>(body, length_max);
      return r.is_ok() ? frame_reply(xid, zxid, static_cast<int32_t>(remove_watches(watches, ctx, *r)), "")
                       : marshalling(r.status());
    }
    case OpCode::kWhoAmI:
      return framed_reply(xid, zxid, 0, WhoAmIResponse{who_am_i(auth_)});
    case OpCode::kSetWatches:
    case OpCode::kSetWatches2: {
      SetWatches2 req;
      if (opcode == op(OpCode::kSetWatches)) {
        auto old = jute_decode<SetWatches>(body, length_max);
        if (!old.is_ok()) return marshalling(old.status());
        req.relative_zxid = old->relative_zxid;
        req.data_watches = old->data_watches;
        req.exist_watches = old->exist_watches;
        req.child_watches = old->child_watches;
      } else {
        auto r = jute_decode<SetWatches2>(body, length_max);
        if (!r.is_ok()) return marshalling(r.status());
        req = *r;
      }
      for (const WatchEvent& e : watches.set_watches(tree, session_id_, req)) notify(e.event, e.zxid);
      return frame_reply(kXidSetWatches, zxid, 0, "");
    }
    default:
      return frame_reply(xid, zxid, static_cast<int32_t>(ErrorCode::kUnimplemented), "");
  }
}

void Connection::write_applied(int32_t xid, int64_t zxid, const ApplyResult& result) {
  // Writes are applied in the order they were submitted; a sync may still wait before them.
  Entry* entry = nullptr;
  for (Entry& e : pending_) {
    if (e.state == EntryState::kWaitingWrite && e.xid == xid && e.opcode != op(OpCode::kSync)) {
      entry = &e;
      break;
    }
  }
  if (entry == nullptr) {
    env_.log.warn("zk", "session 0x{:x}: applied cxid {} does not match the oldest pending write", session_id_, xid);
    return;
  }
  int32_t opcode = entry->opcode;
  std::string& reply = entry->reply;
  reply.clear();
  int32_t err = static_cast<int32_t>(result.err);
  if (result.err == ErrorCode::kOk || opcode == op(OpCode::kMulti)) {
    switch (static_cast<OpCode>(opcode)) {
      case OpCode::kCreate:
        reply = framed_reply(xid, zxid, err, CreateResponse{result.path});
        break;
      case OpCode::kCreate2:
      case OpCode::kCreateContainer:
      case OpCode::kCreateTtl:
        reply = framed_reply(xid, zxid, err, Create2Response{result.path, result.stat});
        break;
      case OpCode::kSetData:
        reply = framed_reply(xid, zxid, err, SetDataResponse{result.stat});
        break;
      case OpCode::kSetAcl:
        reply = framed_reply(xid, zxid, err, SetACLResponse{result.stat});
        break;
      case OpCode::kMulti:
        // Per-op results carry the errors; the header says OK, as ZooKeeper does.
        reply = framed_reply(xid, zxid, 0, MultiResponse{multi_op_results(result)});
        break;
      default:
        break;  // delete, check, closeSession: no body
    }
  }
  if (reply.empty()) reply = frame_reply(xid, zxid, err, "");  // no body
  entry->state = EntryState::kReady;
  pump();
}

void Connection::write_failed(int32_t xid, ErrorCode err) {
  for (Entry& e : pending_) {
    if (e.state == EntryState::kWaitingWrite && e.xid == xid) {
      e.reply = frame_reply(xid, server_->last_zxid(), static_cast<int32_t>(err), "");
      e.state = EntryState::kReady;
      break;
    }
  }
  pump();
}

void Connection::sync_done(int32_t xid, const std::string& path) {
  for (Entry& e : pending_) {
    if (e.state == EntryState::kWaitingWrite && e.xid == xid && e.opcode == op(OpCode::kSync)) {
      e.reply = framed_reply(xid, server_->last_zxid(), 0, SyncResponse{path});
      e.state = EntryState::kReady;
      break;
    }
  }
  pump();
}

void Connection::notify(const WatcherEvent& event, int64_t zxid) {
  send(framed_reply(kXidNotification, zxid, 0, event));
}

void Connection::session_closed() { close("session closed"); }

}  // namespace kz::zk
