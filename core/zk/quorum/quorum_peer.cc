#include "core/zk/quorum/quorum_peer.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/zk/storage/epoch_file.h"

namespace kz::zk::quorum {

namespace {
constexpr std::string_view kComponent = "zab";
constexpr size_t kInboxCapacity = 4096;
constexpr int64_t kRecoveryRetryMs = 1000;
constexpr int64_t kListenRetryMs = 500;
}  // namespace

struct QuorumPeer::Link {
  Link(rt::Scheduler& sched, size_t capacity) : queue(sched, capacity) {}
  ServerId peer = 0;
  Channel channel = Channel::kElection;
  io::Address addr;
  rt::Channel<Bytes> queue;
  std::unique_ptr<io::Stream> stream;
  bool writing = false;  // the writer fiber holds a frame taken from the queue (until it is written)
  // Frames of this fiber's run not yet written (see enqueue()); on dirty_links_ while not empty.
  Bytes out;
};

QuorumPeer::QuorumPeer(io::Env env, QuorumConfig config, StateMachine& state_machine)
    : env_(std::move(env)),
      config_(std::move(config)),
      sm_(state_machine),
      inbox_(*env_.sched, kInboxCapacity),
      work_(*env_.sched),
      flush_wanted_(*env_.sched),
      flusher_exited_(*env_.sched),
      snapshot_idle_(*env_.sched),
      serving_event_(*env_.sched),
      flush_links_(*env_.sched, [](void* self) { static_cast<QuorumPeer*>(self)->flush_links(); }, this) {
  snapshot_idle_.set();
  KZ_ASSERT_MSG(config_.server(config_.my_id) != nullptr, fmt::format("myid {} is not a server.N", config_.my_id));
  KZ_ASSERT(config_.tick_time_ms > 0);
  for (const QuorumServer& s : config_.servers) {
    if (s.id == config_.my_id) continue;
    for (Channel ch : {Channel::kElection, Channel::kQuorum}) {
      auto link = std::make_unique<Link>(*env_.sched, config_.send_queue_frames_max);
      link->peer = s.id;
      link->channel = ch;
      link->addr = io::Address{s.host, ch == Channel::kElection ? s.election_port : s.quorum_port};
      links_[{s.id, ch}] = std::move(link);
    }
  }
}

QuorumPeer::~QuorumPeer() = default;

void QuorumPeer::start() {
  env_.spawn("zab-main", [this] { main_fiber(); });
  env_.spawn("zab-ticker", [this] { ticker_fiber(); });
  env_.spawn("zab-accept-election", [this] { accept_fiber(Channel::kElection); });
  env_.spawn("zab-accept-quorum", [this] { accept_fiber(Channel::kQuorum); });
  for (auto& [key, link] : links_) {
    Link* l = link.get();
    env_.spawn(fmt::format("zab-send-{}-{}", key.first, static_cast<int>(key.second)), [this, l] { writer_fiber(l); });
  }
}

// ---------------------------------------------------------------- queries and API

PeerState QuorumPeer::role() const { return core_ ? core_->state() : PeerState::kLooking; }
ServerId QuorumPeer::leader_sid() const { return core_ ? core_->leader() : 0; }
uint32_t QuorumPeer::epoch() const { return core_ ? core_->epoch() : 0; }
bool QuorumPeer::serving() const { return core_ && core_->serving(); }

bool QuorumPeer::wait_serving(int64_t timeout_ns) {
  if (serving()) return true;
  return serving_event_.wait_for(timeout_ns) && serving();
}

Result<rt::Future<uint64_t>> QuorumPeer::propose(Bytes txn) {
  if (!core_) return Status(Code::kUnsupported, "recovering");
  KZ_ASSIGN_OR_RETURN(Zxid zxid, core_->propose(std::move(txn)));
  rt::Promise<uint64_t> promise(*env_.sched);
  rt::Future<uint64_t> future = promise.future();
  proposals_.emplace(zxid, std::move(promise));
  wake_main();
  return future;
}

Status QuorumPeer::forward(Bytes request) {
  if (!core_) return Status(Code::kUnsupported, "recovering");
  KZ_RETURN_IF_ERROR(core_->forward(std::move(request)));
  wake_main();
  return Status::ok();
}

Status QuorumPeer::send_to(ServerId peer, Bytes bytes) {
  if (!core_) return Status(Code::kUnsupported, "recovering");
  KZ_RETURN_IF_ERROR(core_->send_to(peer, std::move(bytes)));
  wake_main();
  return Status::ok();
}

rt::Future<uint64_t> QuorumPeer::sync() {
  rt::Promise<uint64_t> promise(*env_.sched);
  rt::Future<uint64_t> future = promise.future();
  if (!core_) {
    promise.set_error(Status(Code::kUnsupported, "recovering"));
    return future;
  }
  uint64_t id = next_sync_id_++;
  syncs_.emplace(id, std::move(promise));
  core_->sync(id);
  wake_main();
  return future;
}

// ---------------------------------------------------------------- the state machine loop

void QuorumPeer::main_fiber() {
  for (;;) {
    Status s = run_incarnation();
    storage_failures_++;
    env_.log.error(kComponent, "stopping replication, will recover from disk: {}", s.to_string());
    fail_pending(s);
    core_.reset();
    log_.reset();
    serving_event_.reset();
    env_.clock->sleep_for(ms_to_ns(kRecoveryRetryMs));
  }
}

Status QuorumPeer::recover(DurableState* durable) {
  io::Fs& fs = *env_.fs;
  KZ_RETURN_IF_ERROR(fs.mkdirs(config_.data_dir));
  KZ_RETURN_IF_ERROR(fs.mkdirs(config_.log_dir()));
  KZ_ASSIGN_OR_RETURN(durable->accepted_epoch,
                      storage::read_epoch_file(fs, io::join_path(config_.data_dir, storage::kAcceptedEpochFile)));
  KZ_ASSIGN_OR_RETURN(durable->current_epoch,
                      storage::read_epoch_file(fs, io::join_path(config_.data_dir, storage::kCurrentEpochFile)));
  snapshots_ = std::make_unique<storage::SnapshotStore>(env_, config_.data_dir);
  KZ_RETURN_IF_ERROR(snapshots_->init());
  KZ_ASSIGN_OR_RETURN(std::optional<storage::Snapshot> snap, snapshots_->load_latest());
  // The state machine may hold a previous incarnation's state: always start it over.
  if (snap.has_value()) {
    KZ_RETURN_IF_ERROR(sm_.restore(snap->state, snap->zxid));
    applied_zxid_ = snap->zxid;
  } else {
    KZ_RETURN_IF_ERROR(sm_.restore({}, 0));
    applied_zxid_ = 0;
  }
  storage::TxnLogOptions lo;
  lo.dir = config_.log_dir();
  lo.file_bytes_target = config_.log_file_bytes_target;
  lo.force_sync = config_.force_sync;
  lo.prealloc_bytes = config_.log_prealloc_bytes;
  lo.record_bytes_max = config_.frame_bytes_max;
  KZ_ASSIGN_OR_RETURN(log_, storage::TxnLog::open(env_, lo));
  KZ_ASSIGN_OR_RETURN(std::vector<storage::TxnRecord> records, log_->read_after(applied_zxid_));
  durable->snapshot_zxid = applied_zxid_;
  for (storage::TxnRecord& r : records) durable->log.push_back(Entry{r.zxid, std::move(r.payload)});
  env_.log.info(kComponent, "recovered: acceptedEpoch {} currentEpoch {} snapshot {:#x} log records {}",
                durable->accepted_epoch, durable->current_epoch, durable->snapshot_zxid, durable->log.size());
  applied_since_snapshot_ = 0;
  uint64_t half = std::max<uint64_t>(config_.snap_count / 2, 1);
  snapshot_threshold_ = half + env_.rng->below(half);
  last_purge_ns_ = env_.clock->now_ns();
  return Status::ok();
}

Status QuorumPeer::run_incarnation() {
  DurableState durable;
  KZ_RETURN_IF_ERROR(recover(&durable));
  ZabOptions o;
  o.my_id = config_.my_id;
  for (const QuorumServer& s : config_.servers) o.voters.push_back(s.id);
  o.init_limit_ticks = config_.init_limit;
  o.sync_limit_ticks = config_.sync_limit;
  o.diff_entries_max = config_.diff_entries_max;
  core_ = std::make_unique<ZabCore>(o, std::move(durable),
                                    [this] { return StateSnapshot{applied_zxid_, sm_.snapshot()}; });
  // Inputs that arrived while recovering belong to the previous incarnation's conversations.
  while (inbox_.try_recv().has_value()) {
  }
  ticks_pending_ = 0;
  pending_.clear();
  appended_seq_ = flushed_seq_ = 0;
  flush_status_ = Status::ok();
  inline_status_ = Status::ok();
  pumping_ = Pump::kNone;
  main_waiting_ = false;
  flusher_stop_ = false;
  flusher_exited_.reset();
  env_.spawn("zab-flush", [this] { flusher_fiber(); });
  Status s = serve();
  stop_flusher();  // it may be inside log_->flush(): the log must outlive it
  wait_snapshot_write();  // the snapshot store and this peer must outlive it too
  pending_.clear();
  return s;
}

Status QuorumPeer::serve() {
  for (;;) {
    pumping_ = Pump::kMain;
    Status taken = take_readies();
    pumping_ = Pump::kNone;
    KZ_RETURN_IF_ERROR(taken);
    settle_after_ready();
    KZ_RETURN_IF_ERROR(maybe_snapshot());
    {
      // While it waits here (and only here), readers and the flusher may step the core inline.
      struct Waiting {
        bool& flag;
        explicit Waiting(bool& f) : flag(f) { flag = true; }
        ~Waiting() { flag = false; }  // also when a kill unwinds the wait
      } waiting(main_waiting_);
      rt::wait_any(*env_.sched, {&inbox_, &work_});
    }
    work_.reset();
    KZ_RETURN_IF_ERROR(flush_status_);
    KZ_RETURN_IF_ERROR(inline_status_);
    while (std::optional<Input> in = inbox_.try_recv()) {
      if (in->kind == Input::Kind::kMessage) {
        core_->step(in->message);
      } else {
        core_->peer_disconnected(in->peer);
      }
    }
    for (; ticks_pending_ > 0; ticks_pending_--) core_->tick();
  }
}

Status QuorumPeer::take_pipelined_readies(bool* stopped) {
  for (;;) {
    complete_durable();
    if (!core_->has_ready()) return Status::ok();
    if (!core_->ready_only_appends()) {
      *stopped = true;
      return Status::ok();
    }
    KZ_RETURN_IF_ERROR(start_pipelined());
  }
}

bool QuorumPeer::can_pump_inline() const {
  return main_waiting_ && pumping_ == Pump::kNone && core_ != nullptr && inbox_.size() == 0 &&
         flush_status_.is_ok() && inline_status_.is_ok();
}

void QuorumPeer::on_input(Input input) {
  // Only with nothing queued: a stream's messages are stepped in the order they arrived.
  if (!can_pump_inline()) {
    push_input(std::move(input));
    return;
  }
  if (input.kind == Input::Kind::kMessage) {
    core_->step(input.message);
  } else {
    core_->peer_disconnected(input.peer);
  }
  pump_inline();
}

void QuorumPeer::pump_inline() {
  KZ_ASSERT(can_pump_inline());
  bool main_needed = false;
  Status s;
  {
    rt::Scheduler::NoBlockSection no_block(*env_.sched);
    pumping_ = Pump::kInline;
    s = take_pipelined_readies(&main_needed);
    pumping_ = Pump::kNone;
    settle_after_ready();
  }
  if (!s.is_ok()) {
    inline_status_ = s;
    main_needed = true;
  }
  // A snapshot (and the purge after it) may block: the main fiber takes it.
  if (!snapshot_writing_ && applied_since_snapshot_ >= snapshot_threshold_) main_needed = true;
  if (main_needed) work_.set();
}

void QuorumPeer::wake_main() {
  if (pumping_ != Pump::kInline) work_.set();
}

Status QuorumPeer::take_readies() {
  for (;;) {
    bool stopped = false;
    KZ_RETURN_IF_ERROR(take_pipelined_readies(&stopped));
    if (!stopped) return Status::ok();
    // Epochs, TRUNC, snapshots: strictly after everything before them is durable and sent.
    KZ_RETURN_IF_ERROR(drain_pipeline());
    if (!core_->ready_only_appends()) KZ_RETURN_IF_ERROR(handle_ready(core_->take_ready()));
  }
}

QuorumPeer::Pending& QuorumPeer::PendingRing::push_back() {
  if (count_ == slots_.size()) {
    std::vector<Pending> bigger(std::max<size_t>(8, 2 * slots_.size()));
    for (size_t i = 0; i < count_; i++) bigger[i] = std::move((*this)[i]);
    slots_ = std::move(bigger);
    head_ = 0;
  }
  Pending& p = (*this)[count_++];
  KZ_ASSERT(p.ready.empty());
  return p;
}

void QuorumPeer::PendingRing::pop_front() {
  KZ_ASSERT(count_ > 0);
  // clear() drops Readies that never sent (an incarnation's end); otherwise the front is durable,
  // so it sent everything and lies in the prefix.
  if (fully_sent > 0) fully_sent--;
  Pending& p = front();
  Ready& r = p.ready;  // emptied, capacity kept for the slot's next use
  r.storage.clear();
  r.messages.clear();
  r.committed.clear();
  r.forwarded.clear();
  r.app_messages.clear();
  r.syncs_done.clear();
  r.syncs_failed.clear();
  r.events.clear();
  p.early = p.sent = 0;
  p.flush_seq = 0;
  head_ = (head_ + 1) & (slots_.size() - 1);
  count_--;
}

Status QuorumPeer::start_pipelined() {
  Pending& p = pending_.push_back();
  core_->take_ready(&p.ready);
  Ready& ready = p.ready;
  p.early = early_messages(ready);
  if (!ready.storage.empty()) {
    for (const StorageOp& op : ready.storage) KZ_RETURN_IF_ERROR(log_->append(op.entry.zxid, op.entry.data));
    p.flush_seq = ++appended_seq_;
    flush_wanted_.set();
  }
  deliver(ready);
  send_pending_messages();
  return Status::ok();
}

void QuorumPeer::send_pending_messages() {
  for (; pending_.fully_sent < pending_.size(); pending_.fully_sent++) {
    Pending& p = pending_[pending_.fully_sent];
    size_t allowed = p.flush_seq <= flushed_seq_ ? p.ready.messages.size() : p.early;
    for (; p.sent < allowed; p.sent++) enqueue(p.ready.messages[p.sent]);
    if (p.sent < p.ready.messages.size()) return;  // later Readies' messages wait behind these
  }
}

void QuorumPeer::complete_durable() {
  send_pending_messages();
  while (!pending_.empty() && pending_.front().flush_seq <= flushed_seq_) {
    KZ_ASSERT(pending_.front().sent == pending_.front().ready.messages.size());
    KZ_ASSERT(pending_.fully_sent > 0);  // a durable Ready sent everything, so it lies in that prefix
    pending_.pop_front();
    core_->advance();
  }
}

Status QuorumPeer::drain_pipeline() {
  while (!pending_.empty()) {
    KZ_RETURN_IF_ERROR(flush_status_);
    complete_durable();
    if (pending_.empty()) break;
    work_.wait();
    work_.reset();
  }
  return flush_status_;
}

void QuorumPeer::flusher_fiber() {
  while (!flusher_stop_) {
    if (flushed_seq_ == appended_seq_) {
      flush_wanted_.wait();
      flush_wanted_.reset();
      continue;
    }
    uint64_t target = appended_seq_;  // one fsync for every append written so far (group commit)
    Status s = log_->flush();
    if (!s.is_ok()) {
      flush_status_ = s.with_context("txn log fsync");
      work_.set();
      break;
    }
    KZ_ASSERT(target >= flushed_seq_);
    flushed_seq_ = target;
    if (can_pump_inline()) {
      pump_inline();  // the flushed Readies' messages and acks leave from here
    } else {
      work_.set();
    }
  }
  flusher_exited_.set();
}

void QuorumPeer::stop_flusher() {
  flusher_stop_ = true;
  flush_wanted_.set();
  flusher_exited_.wait();
}

Status QuorumPeer::handle_ready(Ready ready) {
  // Only Readies with epochs, TRUNC or snapshots come here, after the pipeline drained: nothing of
  // theirs may leave early (start_pipelined handles every append-only Ready).
  KZ_ASSERT(pending_.empty());
  // 1. Durable first: nothing below may acknowledge what is not yet on disk.
  KZ_RETURN_IF_ERROR(persist(ready.storage));
  // 2. Then send.
  for (const Message& m : ready.messages) enqueue(m);
  // 3. and 4.
  deliver(ready);
  core_->advance();
  return Status::ok();
}

void QuorumPeer::deliver(Ready& ready) {
  // 3. Apply, in zxid order.
  if (ready.committed.size() > 1) {
    sm_.begin_apply_batch();
    for (const Entry& e : ready.committed) apply_committed(e);
    sm_.end_apply_batch();
  } else {
    for (const Entry& e : ready.committed) apply_committed(e);
  }
  // 4. Hand the rest to the server layer.
  for (const Forwarded& f : ready.forwarded) {
    if (on_forwarded_) on_forwarded_(f.from, f.data);
  }
  for (const Bytes& b : ready.app_messages) {
    if (on_message_) on_message_(b);
  }
  for (uint64_t id : ready.syncs_done) {
    auto it = syncs_.find(id);
    if (it == syncs_.end()) continue;
    it->second.set_value(applied_zxid_);
    syncs_.erase(it);
  }
  for (uint64_t id : ready.syncs_failed) {
    auto it = syncs_.find(id);
    if (it == syncs_.end()) continue;
    it->second.set_error(Status(Code::kCancelled, "leadership changed before the sync completed"));
    syncs_.erase(it);
  }
  for (const ZabEvent& e : ready.events) report_event(e);
  // What the server layer needs no more: a pending Ready keeps only its messages.
  ready.committed.clear();
  ready.forwarded.clear();
  ready.app_messages.clear();
}

size_t QuorumPeer::early_messages(const Ready& ready) const {
  // An established leader's PROPOSALs and COMMITs acknowledge nothing of its own: they leave
  // before its fsync, so the leader's and the followers' fsyncs overlap (ZooKeeper's leader also
  // logs and sends in parallel). The leader's own ack still counts only at advance(), after the
  // fsync. Only a prefix of the messages goes early, so the order of every stream is unchanged.
  // Called for append-only Readies (start_pipelined): epochs, TRUNC, snapshots never go early.
  if (core_->state() != PeerState::kLeading || !core_->serving()) return 0;
  size_t n = 0;
  while (n < ready.messages.size() &&
         (ready.messages[n].type == MsgType::kProposal || ready.messages[n].type == MsgType::kCommit)) {
    n++;
  }
  return n;
}

Status QuorumPeer::persist(const std::vector<StorageOp>& ops) {
  io::Fs& fs = *env_.fs;
  for (const StorageOp& op : ops) {
    switch (op.kind) {
      case StorageOp::Kind::kAppend:
        KZ_RETURN_IF_ERROR(log_->append(op.entry.zxid, op.entry.data));
        break;
      case StorageOp::Kind::kTruncate:
        env_.log.info(kComponent, "truncating the txn log after {:#x}", op.zxid);
        KZ_RETURN_IF_ERROR(log_->truncate_after(op.zxid));
        break;
      case StorageOp::Kind::kInstallSnapshot: {
        Zxid zxid = op.entry.zxid;
        env_.log.info(kComponent, "installing the leader's snapshot at {:#x} ({} bytes)", zxid, op.entry.data.size());
        // Snapshot durable first, then the log loses what the snapshot supersedes: at every
        // instant the disk holds at least everything this server acknowledged. An own snapshot
        // still being written finishes first (one writer in the snapshot folder at a time).
        wait_snapshot_write();
        KZ_RETURN_IF_ERROR(snapshots_->write(zxid, op.entry.data));
        KZ_RETURN_IF_ERROR(sm_.restore(op.entry.data, zxid));
        applied_zxid_ = zxid;
        applied_since_snapshot_ = 0;
        KZ_RETURN_IF_ERROR(log_->truncate_after(zxid));
        break;
      }
      case StorageOp::Kind::kAcceptedEpoch:
        KZ_RETURN_IF_ERROR(storage::write_epoch_file(
            fs, io::join_path(config_.data_dir, storage::kAcceptedEpochFile), op.epoch));
        break;
      case StorageOp::Kind::kCurrentEpoch:
        KZ_RETURN_IF_ERROR(storage::write_epoch_file(
            fs, io::join_path(config_.data_dir, storage::kCurrentEpochFile), op.epoch));
        break;
    }
  }
  return log_->flush();  // one fsync for every append of this Ready (group commit)
}

void QuorumPeer::apply_committed(const Entry& e) {
  KZ_ASSERT_MSG(e.zxid > applied_zxid_, fmt::format("apply {:#x} after {:#x}", e.zxid, applied_zxid_));
  sm_.apply(e.zxid, e.data);
  applied_zxid_ = e.zxid;
  applied_since_snapshot_++;
  while (!proposals_.empty() && proposals_.begin()->first <= e.zxid) {
    proposals_.begin()->second.set_value(proposals_.begin()->first);
    proposals_.erase(proposals_.begin());
  }
}

void QuorumPeer::settle_after_ready() {
  if (core_->serving()) {
    serving_event_.set();
  } else {
    serving_event_.reset();
  }
  if (core_->state() != PeerState::kLeading && !proposals_.empty()) {
    for (auto& [zxid, promise] : proposals_) {
      promise.set_error(Status(Code::kCancelled, fmt::format("leadership lost before {:#x} committed", zxid)));
    }
    proposals_.clear();
  }
}

void QuorumPeer::fail_pending(const Status& why) {
  for (auto& [zxid, promise] : proposals_) promise.set_error(why);
  proposals_.clear();
  for (auto& [id, promise] : syncs_) promise.set_error(why);
  syncs_.clear();
}

Status QuorumPeer::maybe_snapshot() {
  int64_t now_ns = env_.clock->now_ns();
  if (!snapshot_writing_ && applied_since_snapshot_ >= snapshot_threshold_ && applied_zxid_ != 0) {
    applied_since_snapshot_ = 0;
    uint64_t half = std::max<uint64_t>(config_.snap_count / 2, 1);
    snapshot_threshold_ = half + env_.rng->below(half);
    start_snapshot_write(applied_zxid_, sm_.snapshot());
  }
  // Not while a snapshot is being written: purge decides from the snapshots on disk.
  if (!snapshot_writing_ && config_.autopurge_purge_interval_ms > 0 &&
      now_ns - last_purge_ns_ >= ms_to_ns(config_.autopurge_purge_interval_ms)) {
    last_purge_ns_ = now_ns;
    KZ_RETURN_IF_ERROR(snapshots_->purge(config_.autopurge_snap_retain_count, log_.get()));
  }
  return Status::ok();
}

void QuorumPeer::start_snapshot_write(Zxid zxid, Bytes state) {
  KZ_ASSERT(!snapshot_writing_);
  snapshot_writing_ = true;
  snapshot_idle_.reset();
  const int64_t started_ns = env_.clock->now_ns();
  env_.spawn("zab-snapshot", [this, zxid, started_ns, state = std::move(state)] {
    struct Done {  // also when the fiber unwinds (a crash of the simulated node)
      QuorumPeer* peer;
      ~Done() {
        peer->snapshot_writing_ = false;
        peer->snapshot_idle_.set();
      }
    } done{this};
    Status s = snapshots_->write(zxid, state);
    if (s.is_ok()) {
      // How long it took and how far replication went meanwhile (the main fiber was never held).
      env_.log.info(kComponent, "snapshot at {:#x} ({} bytes) written in {:.1f} ms; {} txns applied meanwhile", zxid,
                    state.size(), static_cast<double>(env_.clock->now_ns() - started_ns) / 1e6,
                    applied_since_snapshot_);
      snapshots_taken_++;
    } else {
      // Nothing is lost: the txn log still holds every txn the snapshot would have covered, and
      // the next threshold tries again.
      storage_failures_++;
      env_.log.error(kComponent, "snapshot at {:#x} failed: {}", zxid, s.to_string());
    }
  });
}

void QuorumPeer::wait_snapshot_write() {
  // One wait: the event stays set once the writer is done (and a killed fiber returns at once).
  if (snapshot_writing_) snapshot_idle_.wait();
}

void QuorumPeer::report_event(const ZabEvent& e) {
  if (e.kind == "leader_elected") {
    env_.log.event("leader_elected", {Field("role", "zk"), Field("epoch", static_cast<int64_t>(e.epoch)),
                                      Field("leader", e.leader)});
  } else if (e.kind == "following") {
    env_.log.event("following", {Field("epoch", static_cast<int64_t>(e.epoch)), Field("leader", e.leader)});
  } else if (e.kind == "looking") {
    env_.log.event("looking", {Field("epoch", static_cast<int64_t>(e.epoch)), Field("reason", e.mode)});
  } else if (e.kind == "sync") {
    env_.log.event("sync", {Field("mode", e.mode), Field("peer", e.peer), Field("epoch", static_cast<int64_t>(e.epoch))});
    env_.probe(e.mode == "SNAP" ? "zk.sync.snap" : e.mode == "TRUNC" ? "zk.sync.trunc" : "zk.sync.diff");
  } else if (e.kind == "stepped_down") {
    env_.log.event("stepped_down", {Field("epoch", static_cast<int64_t>(e.epoch)), Field("reason", e.mode)});
    env_.probe("zk.leader.step_down");
  } else {
    env_.log.warn(kComponent, "{} (leader {}): {}", e.kind, e.leader, e.mode);
  }
}

// ---------------------------------------------------------------- network fibers

void QuorumPeer::push_input(Input input) { (void)inbox_.send(std::move(input)); }

void QuorumPeer::enqueue(const Message& m) {
  auto it = links_.find({m.to, is_election_message(m.type) ? Channel::kElection : Channel::kQuorum});
  KZ_ASSERT(it != links_.end());
  Link& link = *it->second;
  if (!flush_links_.armed() && !dirty_links_.empty()) {
    // The last run's flush did not happen (its fiber's group was killed): what it gathered is gone.
    for (Link* l : dirty_links_) l->out.clear();
    dirty_links_.clear();
  }
  if (link.stream && !link.writing && link.queue.size() == 0 && !env_.buggify("zk.quorum.slow_send")) {
    // Nothing queued and nobody writing: the frame joins the others this fiber's run produced for
    // the peer, written with one write when the run ends (flush_links) rather than one write, or a
    // wake of the link's writer fiber, per frame. A busy leader's batch of PROPOSALs and COMMITs to
    // a follower, or a follower's ACKs, leave as one write: the same bytes in the same order, and
    // nothing else runs in between, so no peer can tell.
    if (link.out.empty()) dirty_links_.push_back(&link);
    encode_message(m, link.out);
    flush_links_.arm();
    return;
  }
  // Behind queued frames (or a slow send): to the writer fiber, after whatever this run had already
  // gathered for the link (frame order on the stream is unchanged).
  if (!link.out.empty()) queue_gathered(link);
  Bytes frame;
  encode_message(m, frame);
  if (!link.queue.try_send(std::move(frame))) {
    // A peer this far behind will see a gap in its session and resynchronise.
    env_.log.warn(kComponent, "send queue to server {} full: dropping {}", m.to, msg_type_name(m.type));
  }
}

void QuorumPeer::flush_links() {
  for (Link* link : dirty_links_) {
    Bytes& out = link->out;
    if (out.empty()) continue;  // moved to the queue by a later enqueue
    if (link->stream && !link->writing && link->queue.size() == 0) {
      // try_write_some never blocks: the main fiber never waits for a slow peer. What the stream
      // does not take now goes to the (empty) queue, so the writer finishes it before anything
      // sent later. A write error is left to the writer, which meets it on its next write and
      // reconnects.
      Result<size_t> n = link->stream->try_write_some(out);
      if (n.is_ok() && *n == out.size()) {
        out.clear();
        continue;
      }
      if (n.is_ok()) out.erase(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(*n));
    }
    queue_gathered(*link);
  }
  dirty_links_.clear();
}

void QuorumPeer::queue_gathered(Link& link) {
  size_t bytes = link.out.size();
  if (!link.queue.try_send(std::move(link.out))) {
    env_.log.warn(kComponent, "send queue to server {} full: dropping {} bytes of frames", link.peer, bytes);
  }
  link.out.clear();
}

void QuorumPeer::ticker_fiber() {
  for (;;) {
    env_.clock->sleep_for(ms_to_ns(config_.tick_time_ms));
    ticks_pending_++;
    work_.set();
  }
}

void QuorumPeer::accept_fiber(Channel channel) {
  const QuorumServer* me = config_.server(config_.my_id);
  io::Address addr{me->host, channel == Channel::kElection ? me->election_port : me->quorum_port};
  std::unique_ptr<io::Listener> listener;
  for (;;) {
    auto l = env_.net->listen(addr);
    if (l.is_ok()) {
      listener = std::move(*l);
      break;
    }
    env_.log.warn(kComponent, "listen on {}: {}", addr.to_string(), l.status().to_string());
    env_.clock->sleep_for(ms_to_ns(kListenRetryMs));
  }
  for (;;) {
    auto s = listener->accept();
    if (!s.is_ok()) {
      if (s.status().is(Code::kClosed)) return;
      env_.log.warn(kComponent, "accept on {}: {}", addr.to_string(), s.status().to_string());
      env_.clock->sleep_for(ms_to_ns(kListenRetryMs));
      continue;
    }
    auto stream = std::make_shared<std::unique_ptr<io::Stream>>(std::move(*s));
    uint64_t generation = next_generation_++;
    env_.spawn("zab-recv", [this, stream, generation] { reader_fiber(std::move(*stream), generation); });
  }
}

void QuorumPeer::reader_fiber(std::unique_ptr<io::Stream> stream, uint64_t generation) {
  std::string peer = stream->peer().to_string();
  Bytes hello_bytes(kHelloBytes);
  if (!stream->read_exact(hello_bytes, ms_to_ns(config_.connect_timeout_ms)).is_ok()) return;
  Result<Hello> hello = decode_hello(hello_bytes);
  if (!hello.is_ok() || hello->from == config_.my_id || config_.server(hello->from) == nullptr) {
    env_.log.warn(kComponent, "closing connection from {}: bad hello", peer);
    stream->close();
    return;
  }
  ServerId from = hello->from;
  bool quorum = hello->channel == Channel::kQuorum;
  if (quorum) incoming_generation_[from] = generation;
  // Frames are cut out of a buffer filled by whole reads (all the frames that arrived together
  // at once), not read with two exact reads and a fresh zeroed body each: a busy leader reads tens
  // of thousands of ACKs a second.
  constexpr size_t kChunkBytes = 64 * 1024;
  std::unique_ptr<uint8_t[]> chunk(new uint8_t[kChunkBytes]);  // not zeroed: reads fill it
  std::vector<uint8_t> buf;  // received bytes; those before `pos` are parsed
  size_t pos = 0;
  auto fill = [&](size_t need) -> bool {
    while (buf.size() - pos < need) {
      if (pos > 0) {
        buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(pos));
        pos = 0;
      }
      Result<size_t> n = stream->read_some(std::span<uint8_t>(chunk.get(), kChunkBytes));
      if (!n.is_ok() || *n == 0) return false;
      buf.insert(buf.end(), chunk.get(), chunk.get() + *n);
    }
    return true;
  };
  for (;;) {
    if (!fill(kFrameHeaderBytes)) break;
    const uint8_t* len_bytes = buf.data() + pos;
    uint32_t len = (static_cast<uint32_t>(len_bytes[0]) << 24) | (static_cast<uint32_t>(len_bytes[1]) << 16) |
                   (static_cast<uint32_t>(len_bytes[2]) << 8) | len_bytes[3];
    if (len < kMessageFixedBytes || len > config_.frame_bytes_max) {
      env_.log.warn(kComponent, "closing connection from server {}: frame of {} bytes", from, len);
      break;
    }
    if (!fill(kFrameHeaderBytes + len)) break;
    Result<Message> m = decode_message(std::span<const uint8_t>(buf.data() + pos + kFrameHeaderBytes, len));
    pos += kFrameHeaderBytes + len;
    if (pos == buf.size()) {
      buf.clear();
      pos = 0;
    }
    if (!m.is_ok()) {
      env_.log.warn(kComponent, "closing connection from server {}: {}", from, m.status().to_string());
      break;
    }
    if (m->from != from || is_election_message(m->type) == quorum) {
      env_.log.warn(kComponent, "closing connection from server {}: {} on the wrong channel or sender", from,
                    msg_type_name(m->type));
      break;
    }
    Input in;
    in.message = std::move(*m);
    on_input(std::move(in));
  }
  stream->close();
  if (quorum && incoming_generation_[from] == generation) {
    Input in;
    in.kind = Input::Kind::kDisconnected;
    in.peer = from;
    push_input(std::move(in));
  }
}

void QuorumPeer::writer_fiber(Link* link) {
  int64_t backoff_ms = 0;
  for (;;) {
    std::optional<Bytes> frame = link->queue.recv();
    if (!frame.has_value()) return;
    if (!link->stream) {
      auto s = env_.net->connect(link->addr, ms_to_ns(config_.connect_timeout_ms));
      Status st = s.is_ok() ? (*s)->write_all(encode_hello(Hello{config_.my_id, link->channel})) : s.status();
      if (!st.is_ok()) {
        // What waited for this connection is stale by now: drop it; the protocol resends.
        while (link->queue.try_recv().has_value()) {
        }
        if (link->channel == Channel::kQuorum) {
          Input in;
          in.kind = Input::Kind::kDisconnected;
          in.peer = link->peer;
          push_input(std::move(in));
        }
        backoff_ms = std::min(std::max<int64_t>(backoff_ms * 2, 20), config_.reconnect_backoff_ms_max);
        env_.clock->sleep_for(ms_to_ns(backoff_ms / 2 + static_cast<int64_t>(env_.rng->below(backoff_ms / 2 + 1))));
        continue;
      }
      link->stream = std::move(*s);
      backoff_ms = 0;
    }
    link->writing = true;
    if (env_.buggify("zk.quorum.slow_send")) env_.clock->sleep_for(ms_to_ns(1 + static_cast<int64_t>(env_.rng->below(20))));
    Status written = link->stream->write_all(*frame);
    link->writing = false;
    if (!written.is_ok()) {
      link->stream->close();
      link->stream.reset();
      if (link->channel == Channel::kQuorum) {
        Input in;
        in.kind = Input::Kind::kDisconnected;
        in.peer = link->peer;
        push_input(std::move(in));
      }
    }
  }
}

}  // namespace kz::zk::quorum
