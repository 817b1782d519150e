// QuorumPeer on the simulated world: real framing over simulated TCP, real txn logs and snapshots
// on simulated disks, crashes, partitions and power loss. Each scenario runs a few seeds and
// checks that every server ends with the same applied sequence containing every acknowledged
// proposal, and that no epoch had two leaders.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/zk/quorum/quorum_peer.h"
#include "sim/world.h"
#include "tests/zk/quorum/model_cluster.h"

namespace kz::zk::quorum {
namespace {

class RecordingStateMachine final : public StateMachine {
 public:
  void apply(Zxid zxid, std::span<const uint8_t> txn) override {
    KZ_ASSERT(applied.empty() || zxid > applied.back().zxid);
    applied.push_back(Entry{zxid, Bytes(txn.begin(), txn.end())});
  }
  Bytes snapshot() override { return testing::encode_entries(applied); }
  Status restore(std::span<const uint8_t> state, Zxid zxid) override {
    applied = state.empty() ? std::vector<Entry>{} : testing::decode_entries(Bytes(state.begin(), state.end()));
    KZ_ASSERT((applied.empty() ? 0 : applied.back().zxid) == zxid);
    return Status::ok();
  }
  std::vector<Entry> applied;
};

// Keeps cluster events; checks one leader per epoch as they come.
class EventSink final : public LogSink {
 public:
  void write(Level, std::string_view node, int64_t t, std::string_view, std::string_view msg) override {
    if (std::getenv("ZAB_SIM_VERBOSE") != nullptr) fprintf(stderr, "%lld %.*s %.*s\n", (long long)t, (int)node.size(), node.data(), (int)msg.size(), msg.data());
    if (on_line) on_line(node, msg);
  }
  std::function<void(std::string_view node, std::string_view msg)> on_line;
  void event(std::string_view node, int64_t, std::string_view kind, std::initializer_list<Field> fields) override {
    std::map<std::string, std::string> f;
    for (const Field& field : fields) {
      f[std::string(field.name)] = std::holds_alternative<int64_t>(field.value)
                                       ? std::to_string(std::get<int64_t>(field.value))
                                       : std::get<std::string>(field.value);
    }
    if (kind == "leader_elected") {
      EXPECT_EQ(f["role"], "zk");
      auto [it, inserted] = leader_by_epoch.emplace(f["epoch"], std::string(node));
      EXPECT_TRUE(inserted || it->second == node) << "epoch " << f["epoch"] << " led by " << it->second << " and " << node;
    }
    if (kind == "sync") sync_modes.push_back(f["mode"]);
  }
  std::map<std::string, std::string> leader_by_epoch;
  std::vector<std::string> sync_modes;
};

struct Ensemble {
  std::vector<std::unique_ptr<RecordingStateMachine>> sms;
  std::vector<std::unique_ptr<QuorumPeer>> peers;
  EventSink sink;
  std::vector<rt::Future<uint64_t>> acked_futures;
  std::vector<std::string> acked;  // payloads whose proposal resolved ok
  std::unique_ptr<sim::World> world;
  size_t n = 0;
  std::function<void(QuorumConfig&)> tweak;

  Ensemble(size_t servers, uint64_t seed, std::function<void(QuorumConfig&)> tweak_fn = {},
           double keep_prefix_probability = 0.5)
      : n(servers), tweak(std::move(tweak_fn)) {
    sim::WorldOptions wo;
    wo.seed = seed;
    wo.log_sink = &sink;
    wo.disk.crash_keep_prefix_probability = keep_prefix_probability;
    world = std::make_unique<sim::World>(wo);
    sms.resize(n);
    peers.resize(n);
    for (size_t i = 0; i < n; i++) world->add_node("zk" + std::to_string(i + 1));
    for (size_t i = 0; i < n; i++) {
      world->nodes()[i]->start([this, i](io::Env& env) {
        peers[i].reset();
        sms[i] = std::make_unique<RecordingStateMachine>();
        peers[i] = std::make_unique<QuorumPeer>(env, config(i), *sms[i]);
        peers[i]->start();
      });
    }
  }
  ~Ensemble() {
    // Fibers first (they use the peers), then the peers (their streams and files use the world).
    for (size_t i = 0; i < n; i++) crash(i);
    peers.clear();
    sms.clear();
    world.reset();
  }
  QuorumConfig config(size_t i) {
    QuorumConfig c;
    c.tick_time_ms = 100;
    c.init_limit = 10;
    c.sync_limit = 5;
    c.data_dir = "data";
    c.data_log_dir = "datalog";
    c.my_id = i + 1;
    c.snap_count = 40;
    c.autopurge_purge_interval_ms = 3000;
    c.diff_entries_max = 20;
    c.log_file_bytes_target = 4096;
    for (size_t j = 0; j < n; j++) c.servers.push_back(QuorumServer{j + 1, "zk" + std::to_string(j + 1), 2888, 3888});
    if (tweak) tweak(c);
    return c;
  }
  sim::Node& node(size_t i) { return *world->nodes()[i]; }
  // A stopped process's peer is gone with it (its fibers are dead; its object is dropped here).
  void crash(size_t i) {
    node(i).crash();
    peers[i].reset();
  }
  void power_off(size_t i) {
    node(i).power_off();
    peers[i].reset();
  }
  void restart(size_t i) { node(i).restart(); }
  bool up(size_t i) { return node(i).up() && peers[i] != nullptr; }
  // The index of the serving leader with the highest epoch, or -1.
  int leader() {
    int found = -1;
    for (size_t i = 0; i < n; i++) {
      if (up(i) && peers[i]->role() == PeerState::kLeading && peers[i]->serving()) {
        if (found < 0 || peers[i]->epoch() > peers[found]->epoch()) found = static_cast<int>(i);
      }
    }
    return found;
  }
  bool wait_until(const std::function<bool()>& pred, int64_t timeout_ms) {
    for (int64_t t = 0; t < timeout_ms; t += 10) {
      if (pred()) return true;
      world->run_for(ms_to_ns(10));
    }
    return pred();
  }
  bool all_serving(const std::vector<size_t>& which) {
    int l = leader();
    if (l < 0) return false;
    for (size_t i : which) {
      if (!up(i) || !peers[i]->serving() || peers[i]->leader_sid() != static_cast<ServerId>(l + 1)) return false;
    }
    return true;
  }
  std::vector<size_t> all() {
    std::vector<size_t> v;
    for (size_t i = 0; i < n; i++) v.push_back(i);
    return v;
  }
  // Proposes `count` txns on whoever leads, a few ms apart; records the acknowledged ones.
  void propose(size_t count, const std::string& tag) {
    std::vector<std::pair<std::string, rt::Future<uint64_t>>> pending;
    for (size_t k = 0; k < count; k++) {
      int l = leader();
      if (l >= 0) {
        std::string text = tag + "-" + std::to_string(k);
        auto f = peers[l]->propose(Bytes(text.begin(), text.end()));
        if (f.is_ok()) pending.emplace_back(text, *f);
      }
      world->run_for(ms_to_ns(5));
    }
    wait_until([&] {
      for (auto& [t, f] : pending) {
        if (!f.ready()) return false;
      }
      return true;
    }, 5000);
    for (auto& [t, f] : pending) {
      if (f.ready() && f.get().is_ok()) acked.push_back(t);
    }
  }
  // Waits until every server applied the same sequence; checks it holds every acknowledged txn.
  void expect_converged() {
    bool same = wait_until([&] {
      for (size_t i = 0; i < n; i++) {
        if (!up(i) || sms[i]->applied != sms[0]->applied) return false;
      }
      return true;
    }, 20000);
    ASSERT_TRUE(same) << "servers did not converge";
    std::set<std::string> have;
    for (const Entry& e : sms[0]->applied) have.insert(std::string(e.data.begin(), e.data.end()));
    for (const std::string& t : acked) EXPECT_TRUE(have.contains(t)) << "acknowledged txn lost: " << t;
    for (size_t i = 1; i < n; i++) EXPECT_EQ(sms[i]->applied, sms[0]->applied);
  }
};

TEST(ZabSim, EnsemblesElectOneLeaderAndCommit) {
  for (size_t servers : {1, 3, 5}) {
    for (uint64_t seed = 1; seed <= 2; seed++) {
      Ensemble e(servers, seed);
      ASSERT_TRUE(e.wait_until([&] { return e.all_serving(e.all()); }, 10000)) << servers << " servers, seed " << seed;
      e.propose(30, "p");
      EXPECT_EQ(e.acked.size(), 30u);
      e.expect_converged();
      EXPECT_EQ(e.sink.leader_by_epoch.size(), 1u);
    }
  }
}

TEST(ZabSim, LeaderCrashElectsNewLeaderInHigherEpochAndLosesNothing) {
  for (uint64_t seed = 1; seed <= 3; seed++) {
    Ensemble e(5, seed);
    ASSERT_TRUE(e.wait_until([&] { return e.all_serving(e.all()); }, 10000));
    e.propose(20, "before");
    int old = e.leader();
    uint32_t old_epoch = e.peers[old]->epoch();
    e.crash(old);
    ASSERT_TRUE(e.wait_until([&] { return e.leader() >= 0 && e.leader() != old; }, 10000)) << "seed " << seed;
    EXPECT_GT(e.peers[e.leader()]->epoch(), old_epoch);
    e.propose(20, "after");
    e.restart(old);
    e.expect_converged();
    EXPECT_GE(e.acked.size(), 40u - 2);  // a proposal in flight at the crash may fail
  }
}

TEST(ZabSim, MinorityPartitionMajorityContinues) {
  for (uint64_t seed = 1; seed <= 2; seed++) {
    Ensemble e(5, seed);
    ASSERT_TRUE(e.wait_until([&] { return e.all_serving(e.all()); }, 10000));
    e.propose(10, "a");
    int l = e.leader();
    std::set<std::string> minority{"zk" + std::to_string(l + 1), "zk" + std::to_string((l + 1) % 5 + 1)};
    std::set<std::string> majority;
    for (size_t i = 0; i < 5; i++) {
      if (!minority.contains("zk" + std::to_string(i + 1))) majority.insert("zk" + std::to_string(i + 1));
    }
    ASSERT_TRUE(e.world->net().partition(std::vector<std::set<std::string>>{minority, majority}));
    ASSERT_TRUE(e.wait_until([&] {
      int nl = e.leader();
      return nl >= 0 && majority.contains("zk" + std::to_string(nl + 1));
    }, 10000));
    e.propose(20, "b");
    EXPECT_GE(e.acked.size(), 28u);
    e.world->net().heal_all();
    e.expect_converged();
  }
}

TEST(ZabSim, IsolatedLeaderUncommittedSuffixIsTruncated) {
  for (uint64_t seed = 1; seed <= 2; seed++) {
    Ensemble e(3, seed);
    ASSERT_TRUE(e.wait_until([&] { return e.all_serving(e.all()); }, 10000));
    e.propose(10, "a");
    int l = e.leader();
    std::string ln = "zk" + std::to_string(l + 1);
    std::set<std::string> others;
    for (size_t i = 0; i < 3; i++) {
      if (static_cast<int>(i) != l) others.insert("zk" + std::to_string(i + 1));
    }
    ASSERT_TRUE(e.world->net().partition(std::vector<std::set<std::string>>{{ln}, others}));
    // The isolated leader still logs these (until it notices), but cannot commit them.
    for (int k = 0; k < 5; k++) {
      std::string t = "orphan-" + std::to_string(k);
      (void)e.peers[l]->propose(Bytes(t.begin(), t.end()));
    }
    ASSERT_TRUE(e.wait_until([&] { return e.leader() >= 0 && e.leader() != l; }, 10000));
    e.propose(10, "b");
    e.world->net().heal_all();
    e.expect_converged();
    bool trunc = false;
    for (const auto& m : e.sink.sync_modes) trunc |= m == "TRUNC";
    EXPECT_TRUE(trunc) << "seed " << seed;
    for (const Entry& x : e.sms[0]->applied) EXPECT_NE(std::string(x.data.begin(), x.data.end()).rfind("orphan", 0), 0u);
  }
}

TEST(ZabSim, FollowerFarBehindGetsSnapshot) {
  for (uint64_t seed = 1; seed <= 2; seed++) {
    Ensemble e(3, seed);
    ASSERT_TRUE(e.wait_until([&] { return e.all_serving(e.all()); }, 10000));
    int l = e.leader();
    size_t f = (static_cast<size_t>(l) + 1) % 3;
    e.crash(f);
    e.propose(60, "x");  // more than diff_entries_max: the follower cannot get a DIFF
    e.restart(f);
    e.expect_converged();
    bool snap = false;
    for (const auto& m : e.sink.sync_modes) snap |= m == "SNAP";
    EXPECT_TRUE(snap) << "seed " << seed;
    EXPECT_GT(e.peers[l]->snapshots_taken(), 0u);
  }
}

// A snapshot is written by its own fiber: the leader keeps applying (committing) txns while the
// write and its fsyncs run. When the write sat on the main fiber, the applied zxid at its end was
// always the snapshot's own.
TEST(ZabSim, SnapshotsAreWrittenWhileTheLeaderKeepsCommitting) {
  for (uint64_t seed = 1; seed <= 2; seed++) {
    Ensemble e(3, seed);
    ASSERT_TRUE(e.wait_until([&] { return e.all_serving(e.all()); }, 10000));
    const int l = e.leader();
    const std::string leader_name = "zk" + std::to_string(l + 1);
    size_t snapshots = 0, overlapped = 0;
    e.sink.on_line = [&](std::string_view node, std::string_view msg) {
      if (node != leader_name || !msg.starts_with("snapshot at 0x")) return;
      Zxid snap_zxid = std::stoull(std::string(msg.substr(std::string_view("snapshot at 0x").size())), nullptr, 16);
      Zxid applied = e.sms[l]->applied.empty() ? 0 : e.sms[l]->applied.back().zxid;
      EXPECT_GE(applied, snap_zxid);
      snapshots++;
      if (applied > snap_zxid) overlapped++;
    };
    // A steady stream of proposals, so commits land while a snapshot is being written (bursts a
    // millisecond apart are committed in one go each since frames to a peer leave in one write).
    std::vector<rt::Future<uint64_t>> pending;
    for (int k = 0; k < 400; k++) {
      std::string text = "s-" + std::to_string(k);
      auto f = e.peers[l]->propose(Bytes(text.begin(), text.end()));
      ASSERT_TRUE(f.is_ok());
      pending.push_back(*f);
      e.world->run_for(ms_to_ns(1) / 5);  // a steady stream: one proposal per 0.2 ms
    }
    ASSERT_TRUE(e.wait_until([&] {
      for (auto& f : pending) {
        if (!f.ready()) return false;
      }
      return true;
    }, 10000));
    for (auto& f : pending) EXPECT_TRUE(f.get().is_ok());
    e.sink.on_line = nullptr;
    EXPECT_GE(snapshots, 3u) << "seed " << seed;  // snap_count 40: one per 20-40 txns
    EXPECT_GT(overlapped, 0u) << "seed " << seed << ": no commit while any of " << snapshots << " snapshots was written";
    EXPECT_EQ(e.peers[l]->storage_failures(), 0u);
    e.expect_converged();
  }
}

TEST(ZabSim, WholeEnsemblePowerLossLosesNoCommittedTxn) {
  for (uint64_t seed = 1; seed <= 3; seed++) {
    Ensemble e(3, seed, {}, /*keep_prefix_probability=*/0.0);
    ASSERT_TRUE(e.wait_until([&] { return e.all_serving(e.all()); }, 10000));
    e.propose(25, "durable");
    for (size_t i = 0; i < 3; i++) e.power_off(i);
    e.world->run_for(ms_to_ns(100));
    for (size_t i = 0; i < 3; i++) e.restart(i);
    ASSERT_TRUE(e.wait_until([&] { return e.all_serving(e.all()); }, 20000));
    e.expect_converged();
    EXPECT_EQ(e.acked.size(), 25u);
  }
}

// forceSync=no is unsafe, and the power-loss scenario above is able to show it.
TEST(ZabSim, ForceSyncOffLosesAcknowledgedTxnsOnPowerLoss) {
  Ensemble e(3, 7, [](QuorumConfig& c) { c.force_sync = false; }, /*keep_prefix_probability=*/0.0);
  ASSERT_TRUE(e.wait_until([&] { return e.all_serving(e.all()); }, 10000));
  e.propose(10, "volatile");
  ASSERT_EQ(e.acked.size(), 10u);
  for (size_t i = 0; i < 3; i++) e.power_off(i);
  for (size_t i = 0; i < 3; i++) e.restart(i);
  ASSERT_TRUE(e.wait_until([&] { return e.all_serving(e.all()); }, 20000));
  std::set<std::string> have;
  for (const Entry& x : e.sms[0]->applied) have.insert(std::string(x.data.begin(), x.data.end()));
  size_t lost = 0;
  for (const std::string& t : e.acked) lost += have.contains(t) ? 0 : 1;
  EXPECT_GT(lost, 0u);
}

}  // namespace
}  // namespace kz::zk::quorum
