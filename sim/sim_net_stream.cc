#include "sim/sim_net.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <exception>

// The stream side of SimNet: Stream/Listener objects, listen/connect/accept, reads, writes, closes and
// the blocking waits behind them. Segments, delivery and faults are in sim_net.cc.

namespace kz::sim {

namespace {

// Destructors of a killed fiber may call into the network; a wait then would not block (the
// scheduler returns from park at once while unwinding), so blocking calls fail instead of spinning.
bool unwinding() { return std::uncaught_exceptions() > 0; }

Status cancelled_error() { return Status(Code::kCancelled, "network wait while the fiber is being unwound"); }

}  // namespace

// ---------------------------------------------------------------- SimStream / SimListener

// A Stream is one end of a connection, known by (connection id, side). Its state lives in SimNet;
// the object only carries identity, so destroying it (or its connection) never leaves a dangling
// reference on either side.
class SimStream final : public io::Stream {
 public:
  SimStream(SimNet& net, uint64_t conn_id, int side, io::Address local, io::Address peer, io::Clock& clock)
      : net_(net), conn_id_(conn_id), side_(side), local_(std::move(local)), peer_(std::move(peer)), clock_(clock) {}
  ~SimStream() override { net_.release_stream(conn_id_, side_); }

  Result<size_t> read_some(std::span<uint8_t> buf, int64_t timeout_ns) override {
    if (closed_) return Status(Code::kClosed, "read on closed stream to " + peer_.to_string());
    int64_t deadline_ns = timeout_ns < 0 ? kNever : clock_.deadline_after_ns(timeout_ns);
    return net_.read(conn_id_, side_, buf, deadline_ns);
  }
  Result<size_t> write_some(std::span<const uint8_t> buf) override {
    if (closed_) return Status(Code::kClosed, "write on closed stream to " + peer_.to_string());
    return net_.write(conn_id_, side_, buf, /*block=*/true);
  }
  Result<size_t> try_write_some(std::span<const uint8_t> buf) override {
    if (closed_) return Status(Code::kClosed, "write on closed stream to " + peer_.to_string());
    return net_.write(conn_id_, side_, buf, /*block=*/false);
  }
  void close() override {
    if (closed_) return;
    closed_ = true;
    net_.close_end(conn_id_, side_);
  }
  const io::Address& peer() const override { return peer_; }
  const io::Address& local() const override { return local_; }

 private:
  SimNet& net_;
  uint64_t conn_id_;
  int side_;
  io::Address local_;
  io::Address peer_;
  io::Clock& clock_;
  bool closed_ = false;
};

class SimListener final : public io::Listener {
 public:
  SimListener(SimNet& net, uint64_t id, io::Address addr, io::Clock& clock)
      : net_(net), id_(id), addr_(std::move(addr)), clock_(clock) {}
  ~SimListener() override { close(); }

  Result<std::unique_ptr<io::Stream>> accept() override {
    if (closed_) return Status(Code::kClosed, "accept on closed listener " + addr_.to_string());
    return net_.accept(id_, clock_);
  }
  void close() override {
    if (closed_) return;
    closed_ = true;
    net_.close_listener(id_);
  }
  const io::Address& address() const override { return addr_; }

 private:
  SimNet& net_;
  uint64_t id_;
  io::Address addr_;
  io::Clock& clock_;
  bool closed_ = false;
};

Result<std::unique_ptr<io::Listener>> NodeNet::listen(const io::Address& addr) {
  return net_.listen(host_, clock_, addr);
}

Result<std::unique_ptr<io::Stream>> NodeNet::connect(const io::Address& addr, int64_t timeout_ns) {
  return net_.connect(host_, clock_, addr, timeout_ns);
}

// ---------------------------------------------------------------- SimNet: listeners and connects

uint16_t SimNet::pick_port(uint32_t host) {
  Host& h = hosts_[host];
  for (uint32_t tries = 0; tries <= kEphemeralPortLast - kEphemeralPortFirst; tries++) {
    uint16_t port = h.next_port;
    h.next_port = port >= kEphemeralPortLast ? kEphemeralPortFirst : static_cast<uint16_t>(port + 1);
    if (!bound_.contains({host, port})) return port;
  }
  KZ_UNREACHABLE("no free ephemeral port on " + h.name);
}

Result<std::unique_ptr<io::Listener>> SimNet::listen(uint32_t host, io::Clock& clock, const io::Address& addr) {
  const Host& h = hosts_[host];
  if (!addr.host.empty() && addr.host != h.name && addr.host != "0.0.0.0") {
    return Status(Code::kInvalidArgument,
                  fmt::format("cannot listen on {}: this host is '{}'", addr.to_string(), h.name));
  }
  uint16_t port = addr.port != 0 ? addr.port : pick_port(host);
  if (bound_.contains({host, port})) {
    return Status(Code::kAlreadyExists, fmt::format("address {}:{} already in use", h.name, port));
  }
  uint64_t id = next_listener_id_++;
  Listener& l = listeners_[id];
  l.id = id;
  l.host = host;
  l.port = port;
  bound_[{host, port}] = id;
  return std::unique_ptr<io::Listener>(
      std::make_unique<SimListener>(*this, id, io::Address{h.name, port}, clock));
}

Result<std::unique_ptr<io::Stream>> SimNet::connect(uint32_t host, io::Clock& clock, const io::Address& addr,
                                                    int64_t timeout_ns) {
  auto target = host_by_name_.find(addr.host);
  if (target == host_by_name_.end()) {
    return Status(Code::kNotFound, fmt::format("connect to {}: unknown host", addr.to_string()));
  }
  uint32_t to = target->second;
  uint64_t id = next_conn_id_++;
  Conn& c = conns_[id];
  if (conn_by_id_.size() <= id) conn_by_id_.resize(id + 1, nullptr);
  conn_by_id_[id] = &c;
  c.id = id;
  c.ends[0].host = host;
  c.ends[0].addr = io::Address{hosts_[host].name, pick_port(host)};
  c.ends[0].has_stream = true;
  c.ends[1].host = to;
  c.ends[1].addr = addr;
  c.pipes[0].link = &link(host, to);
  c.pipes[1].link = &link(to, host);
  record(kTraceNetConnect, id, (static_cast<uint64_t>(host) << 32) | to);
  // Owning the stream from the start: if this fiber is killed or gives up, its destructor closes
  // the half-made connection.
  auto stream = std::make_unique<SimStream>(*this, id, 0, c.ends[0].addr, addr, clock);
  send(c, 0, SegKind::kSyn, {});
  int64_t limit_ns = options_.connect_timeout_ns_max;
  if (timeout_ns >= 0 && timeout_ns < limit_ns) limit_ns = timeout_ns;
  int64_t deadline_ns = clock.deadline_after_ns(limit_ns);
  for (;;) {
    Conn* cc = find_conn(id);
    KZ_ASSERT_MSG(cc != nullptr, "connection vanished while its connect waits");
    End& e = cc->ends[0];
    if (e.reset) {
      record(kTraceNetConnect, id, 1);
      return Status(Code::kConnectionRefused, fmt::format("connect to {}: connection refused", addr.to_string()));
    }
    if (e.state == EndState::kOpen) {
      record(kTraceNetConnect, id, 0);
      return std::unique_ptr<io::Stream>(std::move(stream));
    }
    if (e.state != EndState::kConnecting) {
      return Status(Code::kClosed, fmt::format("connect to {}: the connecting process stopped", addr.to_string()));
    }
    if (deadline_ns <= sched_.now_ns()) {
      record(kTraceNetConnect, id, 2);
      return Status(Code::kTimedOut,
                    fmt::format("connect to {} timed out after {} ms", addr.to_string(), ns_to_ms(limit_ns)));
    }
    if (unwinding()) return cancelled_error();
    wait_conn(id, 0, /*writers=*/false, deadline_ns);
  }
}

Result<std::unique_ptr<io::Stream>> SimNet::accept(uint64_t listener_id, io::Clock& clock) {
  for (;;) {
    auto it = listeners_.find(listener_id);
    if (it == listeners_.end() || it->second.closed) return Status(Code::kClosed, "listener closed");
    Listener& l = it->second;
    while (!l.backlog.empty()) {
      uint64_t cid = l.backlog.front();
      l.backlog.erase(l.backlog.begin());  // bounded by accept_backlog_max
      Conn* c = find_conn(cid);
      if (c == nullptr || c->ends[1].state != EndState::kOpen) continue;
      c->ends[1].has_stream = true;
      return std::unique_ptr<io::Stream>(
          std::make_unique<SimStream>(*this, cid, 1, c->ends[1].addr, c->ends[0].addr, clock));
    }
    if (unwinding()) return cancelled_error();
    wait_listener(listener_id);
  }
}

void SimNet::close_listener(uint64_t listener_id) {
  auto it = listeners_.find(listener_id);
  if (it == listeners_.end()) return;
  Listener& l = it->second;
  if (!l.closed) {
    l.closed = true;
    bound_.erase({l.host, l.port});
    // Connections the application never accepted are reset by the kernel.
    std::vector<uint64_t> backlog = std::move(l.backlog);
    l.backlog.clear();
    for (uint64_t cid : backlog) {
      Conn* c = find_conn(cid);
      if (c == nullptr || c->ends[1].state != EndState::kOpen) continue;
      c->ends[1].state = EndState::kClosed;
      if (!c->ends[1].reset) send_rst(*c, 1);
      maybe_erase(cid);
    }
    l.waiters.wake_all(sched_);
  }
  if (l.waiting == 0) listeners_.erase(it);
}

// ---------------------------------------------------------------- SimNet: stream operations

Result<size_t> SimNet::read(uint64_t conn_id, int side, std::span<uint8_t> buf, int64_t deadline_ns) {
  for (;;) {
    Conn* c = find_conn(conn_id);
    if (c == nullptr) return Status(Code::kClosed, "read on a closed connection");
    End& e = c->ends[side];
    if (e.state == EndState::kClosed) return Status(Code::kClosed, "read on a closed connection");
    if (e.state == EndState::kDead) return Status(Code::kClosed, "read on a connection of a stopped process");
    if (e.reset) {
      return Status(Code::kConnectionReset, "connection to " + c->ends[1 - side].addr.to_string() + " reset");
    }
    Pipe& p = c->pipes[1 - side];
    size_t available = p.visible_end - p.read_pos;
    if (available > 0 && !buf.empty()) {
      size_t n = std::min(available, buf.size());
      if (n > 1 && options_.short_read_probability > 0 && rng_.chance(options_.short_read_probability)) {
        n = 1 + rng_.below(n - 1);
      }
      std::memcpy(buf.data(), p.buf.data() + p.read_pos, n);
      p.read_pos += n;
      compact(p);
      End& writer = c->ends[1 - side];
      if (!writer.writers.empty()) writer.writers.wake_all(sched_);
      return n;
    }
    if (e.eof || buf.empty()) return size_t{0};
    if (deadline_ns <= sched_.now_ns()) return Status(Code::kTimedOut, "read timed out");
    if (unwinding()) return cancelled_error();
    wait_conn(conn_id, side, /*writers=*/false, deadline_ns);
  }
}

Result<size_t> SimNet::write(uint64_t conn_id, int side, std::span<const uint8_t> data, bool block) {
  for (;;) {
    Conn* c = find_conn(conn_id);
    if (c == nullptr) return Status(Code::kClosed, "write on a closed connection");
    End& e = c->ends[side];
    if (e.state == EndState::kClosed) return Status(Code::kClosed, "write on a closed connection");
    if (e.state == EndState::kDead) return Status(Code::kClosed, "write on a connection of a stopped process");
    if (e.reset) {
      return Status(Code::kConnectionReset, "connection to " + c->ends[1 - side].addr.to_string() + " reset");
    }
    KZ_ASSERT(e.state == EndState::kOpen);
    if (data.empty()) return size_t{0};
    Pipe& p = c->pipes[side];
    size_t unconsumed = p.unconsumed();
    if (unconsumed < options_.window_bytes) {
      size_t n = std::min(data.size(), options_.window_bytes - unconsumed);
      send(*c, side, SegKind::kData, data.first(n));
      return n;
    }
    if (!block) return size_t{0};
    if (unwinding()) return cancelled_error();
    wait_conn(conn_id, side, /*writers=*/true, kNever);
  }
}

void SimNet::close_end(uint64_t conn_id, int side) {
  Conn* c = find_conn(conn_id);
  if (c == nullptr) return;
  End& e = c->ends[side];
  if (e.state == EndState::kOpen) {
    e.state = EndState::kClosed;
    if (!e.reset) send(*c, side, SegKind::kFin, {});
    discard_unread(c->pipes[1 - side]);
    wake_end(e);
    End& peer = c->ends[1 - side];
    if (!peer.writers.empty()) peer.writers.wake_all(sched_);
  } else if (e.state == EndState::kConnecting) {
    e.state = EndState::kClosed;
    wake_end(e);
  }
  maybe_erase(conn_id);
}

void SimNet::release_stream(uint64_t conn_id, int side) {
  close_end(conn_id, side);
  if (Conn* c = find_conn(conn_id)) c->ends[side].has_stream = false;
}

bool SimNet::wait_conn(uint64_t conn_id, int side, bool writers, int64_t deadline_ns) {
  Conn* c = find_conn(conn_id);
  KZ_ASSERT(c != nullptr);
  End& e = c->ends[side];
  // The connection stays in the table while this fiber is registered (std::map nodes are stable),
  // and `leave` runs after the WaitNode unlinked itself, even when a kill unwinds this frame.
  e.waiting++;
  struct Leave {
    SimNet* net;
    uint64_t id;
    int side;
    ~Leave() { net->leave_conn(id, side); }
  } leave{this, conn_id, side};
  rt::WakeAlarm alarm(sched_);
  if (deadline_ns != kNever) alarm.arm(deadline_ns);
  {
    rt::WaitNode node(writers ? e.writers : e.readers, sched_);
    sched_.park();
  }
  return !alarm.fired();
}

bool SimNet::wait_listener(uint64_t listener_id) {
  auto it = listeners_.find(listener_id);
  KZ_ASSERT(it != listeners_.end());
  Listener& l = it->second;
  l.waiting++;
  struct Leave {
    SimNet* net;
    uint64_t id;
    ~Leave() { net->leave_listener(id); }
  } leave{this, listener_id};
  rt::WaitNode node(l.waiters, sched_);
  sched_.park();
  return true;
}

void SimNet::leave_conn(uint64_t conn_id, int side) {
  Conn* c = find_conn(conn_id);
  KZ_ASSERT(c != nullptr);
  KZ_ASSERT(c->ends[side].waiting > 0);
  c->ends[side].waiting--;
  maybe_erase(conn_id);
}

void SimNet::leave_listener(uint64_t listener_id) {
  auto it = listeners_.find(listener_id);
  KZ_ASSERT(it != listeners_.end());
  KZ_ASSERT(it->second.waiting > 0);
  it->second.waiting--;
  if (it->second.closed && it->second.waiting == 0) listeners_.erase(it);
}

}  // namespace kz::sim
