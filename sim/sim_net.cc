#include "sim/sim_net.h"

#include <fmt/format.h>

#include <algorithm>

// SimNet: hosts, links, faults, and the segments that carry bytes (delivery timers). The stream
// side (objects, connect/accept, read/write) is in sim_net_stream.cc.

namespace kz::sim {

namespace {

uint64_t pipe_key(uint64_t conn_id, int side) { return conn_id * 2 + static_cast<uint64_t>(side); }

// Below this many consumed bytes a pipe buffer is not compacted (memmove cost vs memory).
constexpr size_t kCompactBytesMin = 64 * 1024;
constexpr size_t kCompactSegmentsMin = 256;

}  // namespace

// ---------------------------------------------------------------- SimNet: hosts and links

SimNet::SimNet(rt::Scheduler& sched, rt::TraceSink* trace, uint64_t seed, NetOptions options)
    : sched_(sched), trace_(trace), rng_(seed), options_(options), timer_owner_(sched, "sim-net") {
  KZ_ASSERT(options_.window_bytes > 0);
  KZ_ASSERT(options_.segment_bytes_max > 0);
  KZ_ASSERT(options_.connect_timeout_ns_max > 0);
}

SimNet::~SimNet() = default;

uint32_t SimNet::add_host(const std::string& name) {
  KZ_ASSERT_MSG(!host_by_name_.contains(name), "duplicate host " + name);
  uint32_t index = static_cast<uint32_t>(hosts_.size());
  hosts_.push_back(Host{.name = name});
  host_by_name_.emplace(name, index);
  return index;
}

std::unique_ptr<NodeNet> SimNet::endpoint(uint32_t host, io::Clock& clock) {
  KZ_ASSERT(host < hosts_.size());
  return std::make_unique<NodeNet>(*this, host, clock);
}

Result<uint32_t> SimNet::host_index(std::string_view name) const {
  auto it = host_by_name_.find(name);
  if (it == host_by_name_.end()) return Status(Code::kNotFound, fmt::format("unknown host '{}'", name));
  return it->second;
}

const std::string& SimNet::host_name(uint32_t host) const {
  KZ_ASSERT(host < hosts_.size());
  return hosts_[host].name;
}

SimNet::Link& SimNet::link(uint32_t from, uint32_t to) {
  auto [it, inserted] = links_.try_emplace({from, to});
  if (inserted) it->second.params = options_.link;
  return it->second;
}

const SimNet::Link* SimNet::find_link(uint32_t from, uint32_t to) const {
  auto it = links_.find({from, to});
  return it == links_.end() ? nullptr : &it->second;
}

void SimNet::set_default_link(const LinkParams& params) {
  options_.link = params;
  for (auto& [pair, l] : links_) {
    if (!l.overridden) l.params = params;
  }
}

bool SimNet::set_link(std::string_view from, std::string_view to, const LinkParams& params) {
  auto a = fault_host(from, "set_link");
  auto b = fault_host(to, "set_link");
  if (!a || !b) return false;
  Link& l = link(*a, *b);
  l.params = params;
  l.overridden = true;
  return true;
}

std::optional<uint32_t> SimNet::fault_host(std::string_view name, std::string_view fault) {
  auto h = host_index(name);
  if (h.is_ok()) return *h;
  log_.warn("net", "{}: {}; nothing done", fault, h.status().message());
  return std::nullopt;
}

void SimNet::host_started(uint32_t host) {
  KZ_ASSERT(host < hosts_.size());
  hosts_[host].up = true;
  hosts_[host].powered = true;
  record_fault(kNetFaultHostStart, host, 0);
}

void SimNet::host_crashed(uint32_t host) { stop_host(host, /*power_off=*/false); }

void SimNet::host_powered_off(uint32_t host) { stop_host(host, /*power_off=*/true); }

void SimNet::stop_host(uint32_t host, bool power_off) {
  KZ_ASSERT(host < hosts_.size());
  record_fault(power_off ? kNetFaultHostPowerOff : kNetFaultHostCrash, host, 0);
  std::vector<uint64_t> ids;
  for (auto& [id, c] : conns_) {
    if (c.ends[0].host == host || c.ends[1].host == host) ids.push_back(id);
  }
  for (uint64_t id : ids) {
    Conn* c = find_conn(id);
    if (c == nullptr) continue;
    for (int side = 0; side < 2; side++) {
      End& e = c->ends[side];
      if (e.host != host) continue;
      bool live = e.state == EndState::kOpen || (side == 0 && e.state == EndState::kConnecting);
      if (!live) continue;
      bool was_open = e.state == EndState::kOpen;
      e.state = EndState::kDead;
      wake_end(e);
      // The kernel of a crashed process's machine resets its sockets; a dead machine says nothing.
      if (!power_off && was_open && !e.reset) send_rst(*c, side);
    }
    maybe_erase(id);
  }
  std::vector<uint64_t> listener_ids;
  for (auto& [id, l] : listeners_) {
    if (l.host == host) listener_ids.push_back(id);
  }
  for (uint64_t id : listener_ids) close_listener(id);
  hosts_[host].up = false;
  hosts_[host].powered = !power_off;
}

// ---------------------------------------------------------------- SimNet: faults

bool SimNet::partition(std::string_view a, std::string_view b) {
  auto x = fault_host(a, "partition");
  auto y = fault_host(b, "partition");
  if (!x || !y || *x == *y) return false;
  link(*x, *y).cut = true;
  link(*y, *x).cut = true;
  record_fault(kNetFaultPartition, *x, *y);
  log_.info("net", "partition {} <-> {}", a, b);
  return true;
}

bool SimNet::partition_one_way(std::string_view from, std::string_view to) {
  auto x = fault_host(from, "partition_one_way");
  auto y = fault_host(to, "partition_one_way");
  if (!x || !y || *x == *y) return false;
  link(*x, *y).cut = true;
  record_fault(kNetFaultPartitionOneWay, *x, *y);
  log_.info("net", "partition {} -> {}", from, to);
  return true;
}

bool SimNet::partition(const std::vector<std::set<std::string>>& groups) {
  // Validate every name before cutting anything: a bad layout changes nothing.
  std::vector<std::vector<uint32_t>> indices(groups.size());
  std::set<uint32_t> seen;
  for (size_t g = 0; g < groups.size(); g++) {
    for (const std::string& name : groups[g]) {
      auto h = fault_host(name, "partition");
      if (!h) return false;
      if (!seen.insert(*h).second) {
        log_.warn("net", "partition: host '{}' is in two groups; nothing done", name);
        return false;
      }
      indices[g].push_back(*h);
    }
  }
  for (size_t g = 0; g < indices.size(); g++) {
    for (size_t k = 0; k < indices.size(); k++) {
      if (g == k) continue;
      for (uint32_t x : indices[g]) {
        for (uint32_t y : indices[k]) {
          link(x, y).cut = true;
          record_fault(kNetFaultPartition, x, y);
        }
      }
    }
  }
  log_.info("net", "partition into {} groups", groups.size());
  return true;
}

bool SimNet::heal(std::string_view a, std::string_view b) {
  auto x = fault_host(a, "heal");
  auto y = fault_host(b, "heal");
  if (!x || !y) return false;
  link(*x, *y).cut = false;
  link(*y, *x).cut = false;
  record_fault(kNetFaultHeal, *x, *y);
  log_.info("net", "heal {} <-> {}", a, b);
  resume_stalled();
  return true;
}

void SimNet::heal_all() {
  for (auto& [pair, l] : links_) l.cut = false;
  record_fault(kNetFaultHealAll, 0, 0);
  log_.info("net", "heal all");
  resume_stalled();
}

bool SimNet::clog(std::string_view a, std::string_view b, int64_t duration_ns) {
  if (!fault_host(a, "clog") || !fault_host(b, "clog")) return false;
  return clog_one_way(a, b, duration_ns) && clog_one_way(b, a, duration_ns);
}

bool SimNet::clog_one_way(std::string_view from, std::string_view to, int64_t duration_ns) {
  auto x = fault_host(from, "clog");
  auto y = fault_host(to, "clog");
  if (!x || !y || duration_ns < 0) return false;
  Link& l = link(*x, *y);
  l.clog_until_ns = std::max(l.clog_until_ns, deadline_after(sched_.now_ns(), duration_ns));
  record_fault(kNetFaultClog, *x, *y);
  log_.info("net", "clog {} -> {} for {} ms", from, to, ns_to_ms(duration_ns));
  return true;
}

size_t SimNet::reset_connections(std::string_view host) {
  auto h = fault_host(host, "reset_connections");
  if (!h) return 0;
  std::vector<uint64_t> ids;
  for (auto& [id, c] : conns_) {
    if (c.ends[0].host == *h || c.ends[1].host == *h) ids.push_back(id);
  }
  size_t count = 0;
  for (uint64_t id : ids) {
    Conn* c = find_conn(id);
    if (c == nullptr) continue;
    reset_conn(*c);
    count++;
  }
  record_fault(kNetFaultReset, *h, static_cast<uint32_t>(count));
  log_.info("net", "reset {} connections of {}", count, host);
  return count;
}

bool SimNet::reset_random_connection() {
  std::vector<uint64_t> live;
  for (auto& [id, c] : conns_) {
    bool open0 = c.ends[0].state == EndState::kOpen && !c.ends[0].reset;
    bool open1 = c.ends[1].state == EndState::kOpen && !c.ends[1].reset;
    if (open0 || open1) live.push_back(id);
  }
  if (live.empty()) return false;
  uint64_t id = live[rng_.below(live.size())];
  reset_conn(*find_conn(id));
  record_fault(kNetFaultReset, static_cast<uint32_t>(id), 1);
  log_.info("net", "reset connection {}", id);
  return true;
}

void SimNet::reset_conn(Conn& c) {
  for (int side = 0; side < 2; side++) {
    End& e = c.ends[side];
    if (e.state != EndState::kOpen && e.state != EndState::kConnecting) continue;
    e.reset = true;
    drop_in_flight(c, side);
    discard_unread(c.pipes[1 - side]);
    wake_end(e);
  }
  record(kTraceNetReset, c.id, 2);
}

bool SimNet::reachable(std::string_view from, std::string_view to) const {
  auto a = host_index(from);
  auto b = host_index(to);
  if (!a.is_ok() || !b.is_ok()) return false;
  const Link* l = find_link(*a, *b);
  return l == nullptr || !l->cut;
}

void SimNet::resume_stalled() {
  std::vector<uint64_t> keys(stalled_.begin(), stalled_.end());
  int64_t now = sched_.now_ns();
  for (uint64_t key : keys) {
    Conn* c = find_conn(key / 2);
    int side = static_cast<int>(key % 2);
    if (c == nullptr || !c->pipes[side].stalled) {
      stalled_.erase(key);
      continue;
    }
    Pipe& p = c->pipes[side];
    if (p.link->cut) continue;
    stalled_.erase(key);
    p.stalled = false;
    if (p.idle()) continue;
    // Like a retransmission after the path returns: the head goes out again, the rest follows it.
    Segment& head = p.segs[p.seg_head];
    head.deliver_at_ns = std::max(head.deliver_at_ns, now + sample_latency_ns(p.link->params));
    p.last_deliver_at_ns = std::max(p.last_deliver_at_ns, head.deliver_at_ns);
    arm(*c, side, head.deliver_at_ns);
  }
}

void SimNet::maybe_erase(uint64_t conn_id) {
  // Called after every wait on a connection: look it up by index, and walk the map only to erase.
  Conn* found = find_conn(conn_id);
  if (found == nullptr) return;
  Conn& c = *found;
  auto done = [](const End& e) { return e.state == EndState::kClosed || e.state == EndState::kDead; };
  // Both ends gone; or the connecting side gave up before its SYN reached anyone.
  bool finished = (done(c.ends[0]) && done(c.ends[1])) ||
                  (done(c.ends[0]) && c.ends[1].state == EndState::kConnecting);
  if (!finished || c.ends[0].waiting > 0 || c.ends[1].waiting > 0) return;
  for (Pipe& p : c.pipes) {
    if (p.timer_armed) sched_.cancel_timer(p.timer);
  }
  conn_by_id_[conn_id] = nullptr;
  conns_.erase(conn_id);
}

void SimNet::wake_end(End& e) {
  e.readers.wake_all(sched_);
  e.writers.wake_all(sched_);
}

// ---------------------------------------------------------------- SimNet: segments

int64_t SimNet::sample_latency_ns(const LinkParams& params) {
  int64_t ns = params.latency_ns_base;
  if (params.jitter_ns_max > 0) ns += static_cast<int64_t>(rng_.below(static_cast<uint64_t>(params.jitter_ns_max) + 1));
  if (params.tail_probability > 0 && params.tail_ns_max > 0 && rng_.chance(params.tail_probability)) {
    ns += static_cast<int64_t>(rng_.below(static_cast<uint64_t>(params.tail_ns_max) + 1));
  }
  return ns;
}

void SimNet::send(Conn& c, int side, SegKind kind, std::span<const uint8_t> data) {
  Pipe& p = c.pipes[side];
  Link& l = *p.link;
  int64_t now = sched_.now_ns();
  p.buf.insert(p.buf.end(), data.begin(), data.end());
  size_t offset = 0;
  do {
    uint32_t len = static_cast<uint32_t>(std::min<size_t>(data.size() - offset, options_.segment_bytes_max));
    int64_t depart_ns = now;
    if (l.params.bandwidth_bytes_per_sec > 0 && len > 0) {
      int64_t bw = l.params.bandwidth_bytes_per_sec;
      int64_t transmit_ns = (static_cast<int64_t>(len) * kNsPerSec + bw - 1) / bw;
      l.busy_until_ns = std::max(l.busy_until_ns, now) + transmit_ns;
      depart_ns = l.busy_until_ns;
    }
    // FIFO per direction: a segment never overtakes the one before it, whatever the jitter.
    int64_t at_ns = std::max(depart_ns + sample_latency_ns(l.params), p.last_deliver_at_ns);
    p.last_deliver_at_ns = at_ns;
    p.segs.push_back(Segment{at_ns, len, kind});
    offset += len;
  } while (offset < data.size());
  if (kind == SegKind::kFin) p.fin_queued = true;
  if (kind == SegKind::kRst) p.rst_queued = true;
  if (!p.stalled) arm(c, side, p.segs[p.seg_head].deliver_at_ns);
}

void SimNet::arm(Conn& c, int side, int64_t deadline_ns) {
  Pipe& p = c.pipes[side];
  if (p.timer_armed) {
    if (p.timer_deadline_ns <= deadline_ns) return;
    sched_.cancel_timer(p.timer);
  }
  uint64_t key = pipe_key(c.id, side);
  p.timer = sched_.add_timer(
      deadline_ns, [](void* net, uint64_t k) { static_cast<SimNet*>(net)->on_pipe_timer(k); }, this, key,
      &timer_owner_);
  p.timer_armed = true;
  p.timer_deadline_ns = deadline_ns;
}

void SimNet::on_pipe_timer(uint64_t key) {
  Conn* c = find_conn(key / 2);
  if (c == nullptr) return;
  int side = static_cast<int>(key % 2);
  c->pipes[side].timer_armed = false;
  deliver_due(*c, side);
}

void SimNet::deliver_due(Conn& c, int side) {
  Pipe& p = c.pipes[side];
  int64_t now = sched_.now_ns();
  while (!p.idle()) {
    Segment seg = p.segs[p.seg_head];
    if (seg.deliver_at_ns > now) {
      arm(c, side, seg.deliver_at_ns);
      return;
    }
    if (p.link->cut) {
      p.stalled = true;
      stalled_.insert(pipe_key(c.id, side));
      return;
    }
    if (p.link->clog_until_ns > now) {
      arm(c, side, p.link->clog_until_ns);
      return;
    }
    p.seg_head++;
    if (p.idle()) {
      p.segs.clear();
      p.seg_head = 0;
    } else if (p.seg_head >= kCompactSegmentsMin && p.seg_head * 2 >= p.segs.size()) {
      p.segs.erase(p.segs.begin(), p.segs.begin() + static_cast<ptrdiff_t>(p.seg_head));
      p.seg_head = 0;
    }
    deliver(c, side, seg);
  }
}

void SimNet::deliver(Conn& c, int from_side, const Segment& seg) {
  int to_side = 1 - from_side;
  End& e = c.ends[to_side];
  Pipe& p = c.pipes[from_side];
  deliveries_++;
  bytes_delivered_ += seg.len;
  record(kTraceNetDeliver, pipe_key(c.id, from_side), (static_cast<uint64_t>(seg.kind) << 32) | seg.len);
  // What a host answers to a segment for a socket it no longer has: a live kernel resets the
  // sender, a machine without power says nothing.
  auto answer_dead = [&] {
    if (hosts_[e.host].powered && c.ends[from_side].state == EndState::kOpen && !c.ends[from_side].reset) {
      send_rst(c, to_side);
    }
  };
  switch (seg.kind) {
    case SegKind::kData: {
      p.visible_end += seg.len;
      if (e.state == EndState::kOpen && !e.reset) {
        if (!e.readers.empty()) e.readers.wake_all(sched_);
        return;
      }
      discard_unread(p);
      End& writer = c.ends[from_side];
      if (!writer.writers.empty()) writer.writers.wake_all(sched_);
      if (e.state == EndState::kClosed || e.state == EndState::kDead) answer_dead();
      return;
    }
    case SegKind::kFin:
      if (e.state == EndState::kOpen) {
        e.eof = true;
        e.readers.wake_all(sched_);
      }
      return;
    case SegKind::kRst:
      if (e.state == EndState::kOpen || e.state == EndState::kConnecting) {
        e.reset = true;
        drop_in_flight(c, to_side);
        discard_unread(p);
        wake_end(e);
      }
      return;
    case SegKind::kSyn: {
      KZ_ASSERT(to_side == 1);
      if (c.ends[0].state != EndState::kConnecting) return;  // the connector gave up meanwhile
      const Host& h = hosts_[e.host];
      if (!h.powered) return;  // silence: the connect times out
      auto bound = bound_.find({e.host, e.addr.port});
      Listener* l = bound == bound_.end() ? nullptr : &listeners_.at(bound->second);
      if (!h.up || l == nullptr || l->closed || l->backlog.size() >= options_.accept_backlog_max) {
        e.state = EndState::kClosed;
        send_rst(c, 1);
        return;
      }
      e.state = EndState::kOpen;
      l->backlog.push_back(c.id);
      l->waiters.wake_one(sched_);
      send(c, 1, SegKind::kSynAck, {});
      return;
    }
    case SegKind::kSynAck:
      KZ_ASSERT(to_side == 0);
      if (e.state == EndState::kConnecting) {
        e.state = EndState::kOpen;
        wake_end(e);
      } else if (e.state == EndState::kClosed || e.state == EndState::kDead) {
        answer_dead();
      }
      return;
  }
}

void SimNet::send_rst(Conn& c, int side) {
  Pipe& p = c.pipes[side];
  if (p.rst_queued) return;
  drop_in_flight(c, side);
  record(kTraceNetReset, c.id, static_cast<uint64_t>(side));
  send(c, side, SegKind::kRst, {});
}

void SimNet::drop_in_flight(Conn& c, int side) {
  Pipe& p = c.pipes[side];
  p.buf.resize(p.visible_end);
  p.segs.clear();
  p.seg_head = 0;
  p.stalled = false;  // a stale key in stalled_ is skipped by resume_stalled
  if (p.timer_armed) {
    sched_.cancel_timer(p.timer);
    p.timer_armed = false;
  }
  compact(p);
  End& writer = c.ends[side];
  if (!writer.writers.empty()) writer.writers.wake_all(sched_);
}

void SimNet::discard_unread(Pipe& p) {
  p.read_pos = p.visible_end;
  compact(p);
}

void SimNet::compact(Pipe& p) {
  if (p.read_pos == p.buf.size()) {
    p.buf.clear();
    p.read_pos = 0;
    p.visible_end = 0;
  } else if (p.read_pos >= kCompactBytesMin && p.read_pos * 2 >= p.buf.size()) {
    p.buf.erase(p.buf.begin(), p.buf.begin() + static_cast<ptrdiff_t>(p.read_pos));
    p.visible_end -= p.read_pos;
    p.read_pos = 0;
  }
}

}  // namespace kz::sim
