// An in-memory ensemble of pure ZabCores for tests: each server has a model disk (what the Ready
// contract made durable), a model state machine (the sequence of applied entries), and they talk
// over a seeded network that can drop, duplicate, delay and reorder messages, partition servers,
// and crash and restart them. Every step checks the safety invariants as it goes:
//   - one leader per epoch (leader_elected events);
//   - each server applies zxids in strictly increasing order;
//   - agreement: every server's applied sequence is a prefix of one reference sequence (the
//     longest seen), so nothing committed is ever replaced or lost;
//   - no protocol violation was ever detected by a core.
// With `pipelined`, servers handle Readies as QuorumPeer does (zab_core.h, "Pipelining"): appends
// are written but become durable only at a later, random flush (a crash before it loses them), the
// next Readies are taken meanwhile, committed entries are applied at once, and messages leave in
// order, non-early ones only after their Ready's flush.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/base/assert.h"
#include "core/zk/quorum/zab_core.h"

namespace kz::zk::quorum::testing {

// splitmix64: the harness's own seeded randomness (the seed comes from RapidCheck or the test).
class TestRng {
 public:
  explicit TestRng(uint64_t seed) : s_(seed) {}
  uint64_t next() {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t below(uint64_t n) { return n == 0 ? 0 : next() % n; }
  bool chance(double p) { return p > 0 && static_cast<double>(next() >> 11) * 0x1.0p-53 < p; }

 private:
  uint64_t s_;
};

inline Bytes encode_entries(const std::vector<Entry>& entries) {
  Bytes out;
  auto put64 = [&](uint64_t v) {
    for (int i = 7; i >= 0; i--) out.push_back(static_cast<uint8_t>(v >> (i * 8)));
  };
  put64(entries.size());
  for (const Entry& e : entries) {
    put64(e.zxid);
    put64(e.data.size());
    out.insert(out.end(), e.data.begin(), e.data.end());
  }
  return out;
}

inline std::vector<Entry> decode_entries(const Bytes& in) {
  size_t pos = 0;
  auto get64 = [&] {
    KZ_ASSERT(pos + 8 <= in.size());
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = (v << 8) | in[pos++];
    return v;
  };
  std::vector<Entry> out(get64());
  for (Entry& e : out) {
    e.zxid = get64();
    uint64_t len = get64();
    KZ_ASSERT(pos + len <= in.size());
    e.data.assign(in.begin() + static_cast<std::ptrdiff_t>(pos), in.begin() + static_cast<std::ptrdiff_t>(pos + len));
    pos += len;
  }
  return out;
}

struct NetFaults {
  double drop = 0;
  double duplicate = 0;
  uint32_t delay_steps_max = 3;
  bool fifo = true;  // per ordered pair: TCP-like; false lets random delays reorder
};

class ModelCluster {
 public:
  struct Disk {
    uint32_t accepted_epoch = 0;
    uint32_t current_epoch = 0;
    Zxid snapshot_zxid = 0;
    std::vector<Entry> snapshot;  // applied sequence at snapshot_zxid
    std::vector<Entry> log;
  };
  struct Server {
    ServerId id = 0;
    bool up = true;
    Disk disk;
    std::vector<Entry> applied;
    std::unique_ptr<ZabCore> core;
    std::vector<Bytes> forwarded;
    std::vector<uint64_t> syncs_done;
    std::vector<uint64_t> syncs_failed;
    std::vector<ZabEvent> events;
    // Pipelined handling: Readies taken, not yet advanced; appends not yet flushed (lost on crash).
    struct Pending {
      Ready ready;
      size_t early = 0;  // messages that may leave before its flush
      size_t sent = 0;
      bool durable = false;
    };
    std::deque<Pending> pending;
    std::vector<Entry> unflushed;
  };

  ModelCluster(size_t n, uint64_t seed, ZabOptions base = {}) : rng_(seed), base_(base) {
    for (size_t i = 1; i <= n; i++) base_.voters.push_back(i);
    for (size_t i = 1; i <= n; i++) {
      auto s = std::make_unique<Server>();
      s->id = i;
      servers_.push_back(std::move(s));
    }
  }
  // Gives server `id` a disk before start() (for scenario tests).
  void set_disk(ServerId id, Disk disk) { server(id).disk = std::move(disk); }
  void start() {
    for (auto& s : servers_) boot(*s);
  }

  Server& server(ServerId id) { return *servers_.at(id - 1); }
  size_t size() const { return servers_.size(); }
  int64_t now() const { return now_; }
  NetFaults& faults() { return faults_; }
  const std::vector<Entry>& reference() const { return reference_; }
  const std::map<uint32_t, ServerId>& leaders_by_epoch() const { return leaders_by_epoch_; }
  uint32_t snapshot_every = 5;     // entries applied between model snapshots
  uint32_t tick_every_steps = 10;  // steps per tick
  bool pipelined = false;
  double flush_chance = 0.3;       // pipelined: chance per step that a server's fsync completes

  // ---- Faults
  void crash(ServerId id) {
    Server& s = server(id);
    if (!s.up) return;
    s.up = false;
    s.core.reset();
    s.pending.clear();
    s.unflushed.clear();  // written, never fsynced
  }
  void restart(ServerId id) {
    Server& s = server(id);
    if (s.up) return;
    boot(s);
  }
  void partition(const std::set<ServerId>& side) { side_ = side; }
  void heal() { side_.clear(); }
  bool cut(ServerId a, ServerId b) const { return !side_.empty() && side_.contains(a) != side_.contains(b); }

  // ---- Driving
  // One step: deliver due messages, tick on tick boundaries, handle every Ready.
  void step() {
    now_++;
    std::vector<Flight> due;
    std::vector<Flight> later;
    for (Flight& f : flight_) (f.at <= now_ ? due : later).push_back(std::move(f));
    flight_ = std::move(later);
    std::sort(due.begin(), due.end(), [](const Flight& a, const Flight& b) {
      return a.at != b.at ? a.at < b.at : a.order < b.order;
    });
    for (Flight& f : due) {
      Server& to = server(f.m.to);
      if (!to.up || cut(f.m.from, f.m.to)) continue;
      to.core->step(f.m);
      drain(to);
    }
    if (now_ % tick_every_steps == 0) {
      for (auto& s : servers_) {
        if (!s->up) continue;
        s->core->tick();
        drain(*s);
      }
    }
    if (pipelined) {
      for (auto& s : servers_) {
        if (!s->up || s->pending.empty() || !rng_.chance(flush_chance)) continue;
        flush(*s);
        drain(*s);
      }
    }
  }
  void run(int64_t steps) {
    for (int64_t i = 0; i < steps; i++) step();
  }

  // The serving leader, if exactly one server believes it is an established leader.
  Server* serving_leader() {
    Server* found = nullptr;
    for (auto& s : servers_) {
      if (s->up && s->core->state() == PeerState::kLeading && s->core->serving()) {
        if (found != nullptr && found->core->epoch() > s->core->epoch()) continue;
        found = s.get();
      }
    }
    return found;
  }
  bool all_serving() {
    Server* l = serving_leader();
    if (l == nullptr) return false;
    for (auto& s : servers_) {
      if (!s->up || !s->core->serving() || s->core->leader() != l->id || s->core->epoch() != l->core->epoch()) {
        return false;
      }
    }
    return true;
  }
  // Proposes on `s`, handling its Ready. Returns the zxid or 0.
  Zxid propose(Server& s, std::string_view text) {
    auto r = s.core->propose(Bytes(text.begin(), text.end()));
    drain(s);
    return r.is_ok() ? *r : 0;
  }
  void drain(Server& s, bool crash_before_send = false) {
    while (s.up && s.core->has_ready()) {
      if (pipelined && !crash_before_send && s.core->ready_only_appends()) {
        take_pipelined(s);
        continue;
      }
      // Anything else waits for every earlier Ready (crash_before_send: the server dies after
      // persisting everything it was handed).
      flush(s);
      if (s.core->has_ready()) handle(s, crash_before_send);
    }
  }
  // Pipelined: takes one Ready whose storage ops are all appends, as QuorumPeer::start_pipelined.
  void take_pipelined(Server& s) {
    Server::Pending p;
    if (!s.pending.empty()) overlapped_takes_++;
    p.ready = s.core->take_ready();
    Ready& r = p.ready;
    if (s.core->state() == PeerState::kLeading && s.core->serving()) {
      while (p.early < r.messages.size() &&
             (r.messages[p.early].type == MsgType::kProposal || r.messages[p.early].type == MsgType::kCommit)) {
        p.early++;
      }
    }
    for (const StorageOp& op : r.storage) s.unflushed.push_back(op.entry);
    p.durable = r.storage.empty();
    deliver(s, r);
    s.pending.push_back(std::move(p));
    complete(s);
  }
  // Pipelined: what may leave now, in order (QuorumPeer::send_pending_messages).
  void send_pending(Server& s) {
    for (Server::Pending& p : s.pending) {
      size_t allowed = p.durable ? p.ready.messages.size() : p.early;
      for (; p.sent < allowed; p.sent++) send(p.ready.messages[p.sent]);
      if (p.sent < p.ready.messages.size()) return;
    }
  }
  // Pipelined: an fsync completes, covering every append written so far.
  void flush(Server& s) {
    for (Entry& e : s.unflushed) {
      if (!s.disk.log.empty()) KZ_ASSERT(e.zxid > s.disk.log.back().zxid);
      s.disk.log.push_back(std::move(e));
    }
    s.unflushed.clear();
    for (auto& p : s.pending) p.durable = true;
    complete(s);
  }
  // Pipelined: the oldest durable Readies send their late messages and are advanced, in order.
  void complete(Server& s) {
    if (!s.up) return;
    send_pending(s);
    while (!s.pending.empty() && s.pending.front().durable) {
      KZ_ASSERT(s.pending.front().sent == s.pending.front().ready.messages.size());
      s.pending.pop_front();
      s.core->advance();
    }
  }
  // Handles one Ready of `s`; with crash_before_send the server dies after persisting.
  void handle(Server& s, bool crash_before_send) {
    Ready r = s.core->take_ready();
    for (const StorageOp& op : r.storage) persist(s, op);
    if (crash_before_send) {
      crash(s.id);
      return;
    }
    for (Message& m : r.messages) send(std::move(m));
    deliver(s, r);
    s.core->advance();
  }
  // Steps 3 and 4 of the Ready contract, and the model's snapshots.
  void deliver(Server& s, Ready& r) {
    for (const Entry& e : r.committed) apply(s, e);
    for (Forwarded& f : r.forwarded) s.forwarded.push_back(std::move(f.data));
    s.syncs_done.insert(s.syncs_done.end(), r.syncs_done.begin(), r.syncs_done.end());
    s.syncs_failed.insert(s.syncs_failed.end(), r.syncs_failed.begin(), r.syncs_failed.end());
    for (ZabEvent& e : r.events) on_event(s, std::move(e));
    r.committed.clear();
    r.forwarded.clear();
    r.events.clear();
    if (s.applied.size() >= s.disk.snapshot.size() + snapshot_every) {
      s.disk.snapshot = s.applied;
      s.disk.snapshot_zxid = s.applied.back().zxid;
    }
    EXPECT_EQ(s.core->violations(), 0u) << "server " << s.id;
    violations_ += s.core->violations() > 0 ? 1 : 0;
  }
  uint64_t violations() const { return violations_; }
  // Pipelined runs: Readies taken while earlier ones waited; entries applied before their local fsync.
  uint64_t overlapped_takes() const { return overlapped_takes_; }
  uint64_t applied_before_own_fsync() const { return applied_before_own_fsync_; }
  uint64_t elections() const { return leaders_by_epoch_.size(); }
  bool failed() const { return failed_; }

 private:
  struct Flight {
    int64_t at = 0;
    uint64_t order = 0;
    Message m;
  };

  void boot(Server& s) {
    s.up = true;
    ZabOptions o = base_;
    o.my_id = s.id;
    DurableState d;
    d.accepted_epoch = s.disk.accepted_epoch;
    d.current_epoch = s.disk.current_epoch;
    d.snapshot_zxid = s.disk.snapshot_zxid;
    for (const Entry& e : s.disk.log) {
      if (e.zxid > d.snapshot_zxid) d.log.push_back(e);
    }
    s.applied = s.disk.snapshot;  // the state machine restored from the snapshot
    Server* sp = &s;
    s.core = std::make_unique<ZabCore>(o, std::move(d), [sp] {
      return StateSnapshot{sp->applied.empty() ? 0 : sp->applied.back().zxid, encode_entries(sp->applied)};
    });
    check_prefix(s, 0);
    drain(s);
  }

  void persist(Server& s, const StorageOp& op) {
    Disk& d = s.disk;
    switch (op.kind) {
      case StorageOp::Kind::kAppend:
        if (!d.log.empty()) KZ_ASSERT(op.entry.zxid > d.log.back().zxid);
        d.log.push_back(op.entry);
        break;
      case StorageOp::Kind::kTruncate:
        std::erase_if(d.log, [&](const Entry& e) { return e.zxid > op.zxid; });
        break;
      case StorageOp::Kind::kInstallSnapshot:
        s.applied = decode_entries(op.entry.data);
        KZ_ASSERT((s.applied.empty() ? 0 : s.applied.back().zxid) == op.entry.zxid);
        d.snapshot = s.applied;
        d.snapshot_zxid = op.entry.zxid;
        std::erase_if(d.log, [&](const Entry& e) { return e.zxid > op.entry.zxid; });
        check_prefix(s, 0);
        break;
      case StorageOp::Kind::kAcceptedEpoch:
        KZ_ASSERT(op.epoch > d.accepted_epoch);
        d.accepted_epoch = op.epoch;
        break;
      case StorageOp::Kind::kCurrentEpoch:
        KZ_ASSERT(op.epoch >= d.current_epoch);
        d.current_epoch = op.epoch;
        break;
    }
  }

  void send(Message m) {
    if (faults_.drop > 0 && rng_.chance(faults_.drop)) return;
    int copies = faults_.duplicate > 0 && rng_.chance(faults_.duplicate) ? 2 : 1;
    for (int i = 0; i < copies; i++) {
      int64_t at = now_ + 1 + static_cast<int64_t>(rng_.below(faults_.delay_steps_max));
      auto key = std::make_pair(m.from, m.to);
      if (faults_.fifo) {
        at = std::max(at, last_at_[key]);
        last_at_[key] = at;
      }
      flight_.push_back(Flight{at, next_order_++, m});
    }
  }

  void apply(Server& s, const Entry& e) {
    if (std::any_of(s.unflushed.begin(), s.unflushed.end(), [&](const Entry& u) { return u.zxid == e.zxid; })) {
      applied_before_own_fsync_++;
    }
    if (!s.applied.empty()) {
      EXPECT_GT(e.zxid, s.applied.back().zxid) << "server " << s.id << " applied out of order";
      if (e.zxid <= s.applied.back().zxid) failed_ = true;
    }
    s.applied.push_back(e);
    check_prefix(s, s.applied.size() - 1);
  }

  // Agreement: s.applied[from..] matches the reference, extending it where it is longer.
  void check_prefix(Server& s, size_t from) {
    for (size_t i = from; i < s.applied.size(); i++) {
      if (i < reference_.size()) {
        if (!(reference_[i] == s.applied[i])) {
          ADD_FAILURE() << "server " << s.id << " applied " << std::hex << s.applied[i].zxid << " at index " << std::dec
                        << i << " where " << std::hex << reference_[i].zxid << " was committed";
          failed_ = true;
          return;
        }
      } else {
        reference_.push_back(s.applied[i]);
      }
    }
  }

  void on_event(Server& s, ZabEvent e) {
    if (e.kind == "leader_elected") {
      auto [it, inserted] = leaders_by_epoch_.emplace(e.epoch, e.leader);
      if (!inserted && it->second != e.leader) {
        ADD_FAILURE() << "two leaders in epoch " << e.epoch << ": " << it->second << " and " << e.leader;
        failed_ = true;
      }
      EXPECT_EQ(e.leader, s.id);
    }
    s.events.push_back(std::move(e));
  }

  TestRng rng_;
  ZabOptions base_;
  std::vector<std::unique_ptr<Server>> servers_;
  std::vector<Flight> flight_;
  std::map<std::pair<ServerId, ServerId>, int64_t> last_at_;
  NetFaults faults_;
  std::set<ServerId> side_;
  int64_t now_ = 0;
  uint64_t next_order_ = 0;
  std::vector<Entry> reference_;
  std::map<uint32_t, ServerId> leaders_by_epoch_;
  uint64_t violations_ = 0;
  uint64_t overlapped_takes_ = 0;
  uint64_t applied_before_own_fsync_ = 0;
  bool failed_ = false;
};

}  // namespace kz::zk::quorum::testing
