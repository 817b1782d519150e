#include "core/zk/quorum/zab_core.h"

#include <fmt/format.h>

#include <algorithm>

namespace kz::zk::quorum {

ZabCore::ZabCore(ZabOptions options, DurableState durable, SnapshotFn snapshot_fn)
    : opts_(std::move(options)), snapshot_fn_(std::move(snapshot_fn)) {
  std::sort(opts_.voters.begin(), opts_.voters.end());
  opts_.voters.erase(std::unique(opts_.voters.begin(), opts_.voters.end()), opts_.voters.end());
  KZ_ASSERT_MSG(is_voter(opts_.my_id), fmt::format("server {} is not in the ensemble", opts_.my_id));
  KZ_ASSERT(opts_.sync_limit_ticks > 0 && opts_.init_limit_ticks > 0);
  KZ_ASSERT(opts_.election_resend_ticks > 0);
  // acceptedEpoch >= currentEpoch always holds for files we wrote; repair rather than trust a
  // damaged pair, erring on the side of the larger epoch (never accept an epoch twice).
  current_epoch_ = durable.current_epoch;
  accepted_epoch_ = std::max(durable.accepted_epoch, durable.current_epoch);
  log_base_ = durable.snapshot_zxid;
  commit_ = applied_ = durable.snapshot_zxid;
  for (Entry& e : durable.log) {
    KZ_ASSERT_MSG(e.zxid > last_zxid(), fmt::format("recovered log not ascending at {:#x}", e.zxid));
    log_.push_back(std::move(e));
  }
  durable_ = last_zxid();
  start_looking("startup");
}

// ---------------------------------------------------------------- shared helpers

bool ZabCore::is_voter(ServerId id) const {
  return std::binary_search(opts_.voters.begin(), opts_.voters.end(), id);
}

void ZabCore::send(Message m) {
  m.from = opts_.my_id;
  KZ_ASSERT(m.to != opts_.my_id);
  ready_.messages.push_back(std::move(m));
}

void ZabCore::persist_accepted_epoch(uint32_t epoch) {
  KZ_ASSERT(epoch > accepted_epoch_);
  accepted_epoch_ = epoch;
  StorageOp op;
  op.kind = StorageOp::Kind::kAcceptedEpoch;
  op.epoch = epoch;
  ready_.storage.push_back(std::move(op));
}

void ZabCore::persist_current_epoch(uint32_t epoch) {
  KZ_ASSERT(epoch >= current_epoch_);
  KZ_ASSERT(epoch <= accepted_epoch_);
  if (epoch == current_epoch_) return;
  current_epoch_ = epoch;
  current_epoch_durable_ = false;
  StorageOp op;
  op.kind = StorageOp::Kind::kCurrentEpoch;
  op.epoch = epoch;
  ready_.storage.push_back(std::move(op));
}

void ZabCore::append_entry(Entry entry) {
  KZ_ASSERT_MSG(entry.zxid > last_zxid(), fmt::format("zxid {:#x} after {:#x}", entry.zxid, last_zxid()));
  StorageOp op;
  op.kind = StorageOp::Kind::kAppend;
  op.entry = entry;
  ready_.storage.push_back(std::move(op));
  log_.push_back(std::move(entry));
}

void ZabCore::commit_through(Zxid zxid) {
  if (zxid <= commit_) return;
  KZ_ASSERT_MSG(zxid <= last_zxid(), fmt::format("commit {:#x} beyond the log end {:#x}", zxid, last_zxid()));
  auto it = std::upper_bound(log_.begin(), log_.end(), commit_, [](Zxid z, const Entry& e) { return z < e.zxid; });
  for (; it != log_.end() && it->zxid <= zxid; ++it) {
    KZ_ASSERT(ready_.committed.empty() || ready_.committed.back().zxid < it->zxid);
    ready_.committed.push_back(*it);
  }
  commit_ = zxid;
}

void ZabCore::truncate_after(Zxid zxid) {
  // The committed prefix never changes: TRUNC only removes entries no quorum can have committed.
  KZ_ASSERT_MSG(zxid >= commit_, fmt::format("truncate to {:#x} below commit {:#x}", zxid, commit_));
  KZ_ASSERT(zxid >= log_base_);
  while (!log_.empty() && log_.back().zxid > zxid) log_.pop_back();
  clamp_durable(zxid);
  StorageOp op;
  op.kind = StorageOp::Kind::kTruncate;
  op.zxid = zxid;
  ready_.storage.push_back(std::move(op));
}

void ZabCore::trim_log() {
  // Applied entries are a prefix of the log, so more than diff_entries_max of them are kept exactly
  // when the entry at that index is applied (O(1) per call; this runs at every advance()).
  const size_t keep = opts_.diff_entries_max;
  while (log_.size() > keep && log_[keep].zxid <= applied_) {
    log_base_ = log_.front().zxid;
    log_.pop_front();
  }
}

size_t ZabCore::outstanding() const {
  auto it = std::upper_bound(log_.begin(), log_.end(), commit_, [](Zxid z, const Entry& e) { return z < e.zxid; });
  return static_cast<size_t>(log_.end() - it);
}

void ZabCore::fail_syncs() {
  for (const PendingSync& s : syncs_) {
    if (s.from == opts_.my_id) ready_.syncs_failed.push_back(s.id);
  }
  syncs_.clear();
  for (uint64_t id : local_syncs_) ready_.syncs_failed.push_back(id);
  local_syncs_.clear();
}

void ZabCore::clamp_durable(Zxid zxid) {
  durable_ = std::min(durable_, zxid);
  for (Handed& h : handed_) h.durable = std::min(h.durable, zxid);
}

bool ZabCore::ready_only_appends() const {
  return std::all_of(ready_.storage.begin(), ready_.storage.end(),
                     [](const StorageOp& op) { return op.kind == StorageOp::Kind::kAppend; });
}

Ready ZabCore::take_ready() {
  Ready out;
  take_ready(&out);
  return out;
}

void ZabCore::take_ready(Ready* out) {
  KZ_ASSERT(out->empty());
  Handed h;
  h.durable = last_zxid();
  for (const StorageOp& op : ready_.storage) {
    if (op.kind == StorageOp::Kind::kCurrentEpoch) h.current_epoch = op.epoch;
  }
  KZ_ASSERT_MSG(handed_.empty() || ready_only_appends(),
                fmt::format("a Ready with non-append storage taken with {} in flight", handed_.size()));
  handed_.push_back(h);
  applied_ = commit_;
  swap(*out, ready_);
}

void ZabCore::advance() {
  KZ_ASSERT_MSG(!handed_.empty(), "advance() without a Ready taken");
  Handed h = handed_.front();
  handed_.pop_front();
  KZ_ASSERT_MSG(h.durable <= last_zxid(),
                fmt::format("durable {:#x} beyond the log end {:#x}", h.durable, last_zxid()));
  durable_ = h.durable;
  if (h.current_epoch != 0 && h.current_epoch == current_epoch_) current_epoch_durable_ = true;
  follower_ack_durable();
  if (state_ == PeerState::kLeading && discovery_done_ && current_epoch_durable_ &&
      !newleader_acks_.contains(opts_.my_id)) {
    newleader_acks_.insert(opts_.my_id);  // our own history and currentEpoch are durable now
    maybe_establish();
  }
  if (state_ == PeerState::kLeading && established_) maybe_commit();
  trim_log();
}

bool ZabCore::serving() const {
  if (state_ == PeerState::kLeading) return established_;
  if (state_ == PeerState::kFollowing) return fstage_ == FollowerStage::kBroadcast;
  return false;
}

uint32_t ZabCore::epoch() const {
  if (state_ == PeerState::kLeading && new_epoch_ != 0) return new_epoch_;
  if (state_ == PeerState::kFollowing && leader_epoch_ != 0) return leader_epoch_;
  return current_epoch_;
}

// ---------------------------------------------------------------- inputs

void ZabCore::tick() {
  switch (state_) {
    case PeerState::kLooking: election_tick(); break;
    case PeerState::kLeading: leader_tick(); break;
    case PeerState::kFollowing: follower_tick(); break;
  }
}

void ZabCore::step(const Message& m) {
  if (m.to != opts_.my_id || m.from == opts_.my_id || !is_voter(m.from)) return;
  if (m.type == MsgType::kNotification) {
    on_notification(m);
    return;
  }
  if (state_ == PeerState::kLeading) {
    leader_step(m);
  } else if (state_ == PeerState::kFollowing) {
    follower_step(m);
  }
  // LOOKING: quorum messages wait for the election's outcome (the sender retries).
}

void ZabCore::peer_disconnected(ServerId peer) {
  if (state_ == PeerState::kFollowing && peer == leader_) {
    start_looking("connection to the leader lost");
  } else if (state_ == PeerState::kLeading) {
    learners_.erase(peer);
  }
}

Result<Zxid> ZabCore::propose(Bytes data) {
  if (state_ != PeerState::kLeading || !established_) {
    return Status(Code::kUnsupported, fmt::format("server {} is not an established leader", opts_.my_id));
  }
  if (outstanding() >= opts_.proposals_outstanding_max) {
    return Status(Code::kBusy, fmt::format("{} proposals outstanding", outstanding()));
  }
  if (next_counter_ == UINT32_MAX) {
    // ZooKeeper's answer to counter rollover: a new epoch through a new election.
    step_down("zxid counter exhausted");
    return Status(Code::kBusy, "zxid counter exhausted: re-electing");
  }
  Zxid zxid = make_zxid(new_epoch_, next_counter_++);
  append_entry(Entry{zxid, data});
  Message m;
  m.type = MsgType::kProposal;
  m.zxid = zxid;
  m.data = std::move(data);
  leader_broadcast(m);
  return zxid;
}

Status ZabCore::forward(Bytes data) {
  if (state_ != PeerState::kFollowing || fstage_ != FollowerStage::kBroadcast) {
    return Status(Code::kUnsupported, "not a synced follower");
  }
  Message m;
  m.type = MsgType::kRequest;
  m.data = std::move(data);
  send_to_leader(std::move(m));
  return Status::ok();
}

Status ZabCore::send_to(ServerId peer, Bytes data) {
  if (state_ != PeerState::kLeading || !established_) return Status(Code::kUnsupported, "not an established leader");
  auto it = learners_.find(peer);
  if (it == learners_.end() || it->second.stage != LearnerStage::kSynced) {
    return Status(Code::kNotFound, fmt::format("server {} is not a synced follower", peer));
  }
  Message m;
  m.type = MsgType::kAppMessage;
  m.data = std::move(data);
  leader_send(peer, it->second, std::move(m));
  return Status::ok();
}

void ZabCore::sync(uint64_t id) {
  if (state_ == PeerState::kLeading && established_ && syncs_.size() < opts_.syncs_pending_max) {
    syncs_.push_back(PendingSync{opts_.my_id, 0, id, last_zxid()});
    answer_syncs();
  } else if (state_ == PeerState::kFollowing && fstage_ == FollowerStage::kBroadcast &&
             local_syncs_.size() < opts_.syncs_pending_max) {
    local_syncs_.insert(id);
    Message m;
    m.type = MsgType::kSync;
    m.id = id;
    send_to_leader(std::move(m));
  } else {
    ready_.syncs_failed.push_back(id);
  }
}

// ---------------------------------------------------------------- election

Vote ZabCore::self_vote() const { return Vote{opts_.my_id, last_zxid(), current_epoch_}; }

void ZabCore::start_looking(std::string_view why) {
  fail_syncs();
  learners_.clear();
  epoch_infos_.clear();
  epoch_acks_.clear();
  newleader_acks_.clear();
  new_epoch_ = 0;
  discovery_done_ = false;
  established_ = false;
  session_ = 0;
  leader_epoch_ = 0;
  newleader_seen_ = false;
  state_ = PeerState::kLooking;
  leader_ = 0;
  logical_clock_++;
  proposed_ = self_vote();
  recv_set_.clear();
  out_of_election_.clear();
  decide_pending_ = false;
  resend_ticks_ = 0;
  ZabEvent e;
  e.kind = "looking";
  e.epoch = current_epoch_;
  e.mode = std::string(why);
  emit(std::move(e));
  broadcast_notification();
  consider_decision();
}

void ZabCore::send_notification(ServerId to) {
  Message m;
  m.type = MsgType::kNotification;
  m.to = to;
  m.vote = state_ == PeerState::kLooking ? proposed_ : current_vote_;
  // Once the epoch is known, servers of an established ensemble all report (leader, epoch),
  // whatever round or vote brought each of them there: a joiner then finds a quorum that agrees.
  if (state_ == PeerState::kLeading && new_epoch_ != 0) m.vote.peer_epoch = new_epoch_;
  if (state_ == PeerState::kFollowing && leader_epoch_ != 0) m.vote.peer_epoch = leader_epoch_;
  m.election_epoch = logical_clock_;
  m.state = state_;
  send(std::move(m));
}

void ZabCore::broadcast_notification() {
  for (ServerId id : opts_.voters) {
    if (id != opts_.my_id) send_notification(id);
  }
}

bool ZabCore::quorum_agrees(const std::map<ServerId, Notification>& votes, const Vote& vote, bool count_self) const {
  size_t count = count_self ? 1 : 0;
  for (const auto& [sid, n] : votes) {
    if (sid != opts_.my_id && n.vote == vote) count++;
  }
  return count >= quorum_size();
}

bool ZabCore::check_leader(const std::map<ServerId, Notification>& votes, ServerId leader,
                           uint64_t election_epoch) const {
  if (leader != opts_.my_id) {
    auto it = votes.find(leader);
    return it != votes.end() && it->second.state == PeerState::kLeading;
  }
  // Others say we lead but we are looking (we restarted): do not take it from them.
  return false;
}

void ZabCore::consider_decision() {
  KZ_ASSERT(state_ == PeerState::kLooking);
  if (!quorum_agrees(recv_set_, proposed_, true)) return;
  size_t agreeing = 1;
  for (const auto& [sid, n] : recv_set_) {
    if (n.state == PeerState::kLooking && n.vote == proposed_) agreeing++;
  }
  if (agreeing == opts_.voters.size()) {
    adopt(proposed_);  // everyone agrees: no better vote can come
  } else {
    decide_pending_ = true;  // wait one tick for a better vote (ZooKeeper's finalizeWait)
  }
}

void ZabCore::on_notification(const Message& m) {
  Notification n{m.vote, m.election_epoch, m.state};
  if (state_ != PeerState::kLooking) {
    if (n.state == PeerState::kLooking) send_notification(m.from);  // tell it who leads
    return;
  }
  if (n.state == PeerState::kLooking) {
    if (n.election_epoch > logical_clock_) {
      logical_clock_ = n.election_epoch;
      recv_set_.clear();
      proposed_ = vote_better(n.vote, self_vote()) ? n.vote : self_vote();
      decide_pending_ = false;
      broadcast_notification();
    } else if (n.election_epoch < logical_clock_) {
      send_notification(m.from);  // bring it to our round
      return;
    } else if (vote_better(n.vote, proposed_)) {
      proposed_ = n.vote;
      decide_pending_ = false;
      broadcast_notification();
    }
    recv_set_[m.from] = n;
    consider_decision();
    return;
  }
  // The sender follows or leads: join an established ensemble once a quorum reports the same
  // (leader, epoch) and the leader itself says it leads (ZooKeeper compares only these two fields
  // of votes from servers out of election).
  out_of_election_[m.from] = n;
  size_t agreeing = 0;
  for (const auto& [sid, o] : out_of_election_) {
    if (o.vote.leader == n.vote.leader && o.vote.peer_epoch == n.vote.peer_epoch) agreeing++;
  }
  if (agreeing >= quorum_size() && check_leader(out_of_election_, n.vote.leader, n.election_epoch)) {
    logical_clock_ = std::max(logical_clock_, n.election_epoch);
    adopt(n.vote);
  }
}

void ZabCore::election_tick() {
  if (decide_pending_) {
    adopt(proposed_);
    return;
  }
  if (++resend_ticks_ >= opts_.election_resend_ticks) {
    resend_ticks_ = 0;
    broadcast_notification();
  }
}

void ZabCore::adopt(const Vote& vote) {
  decide_pending_ = false;
  current_vote_ = vote;
  recv_set_.clear();
  out_of_election_.clear();
  if (vote.leader == opts_.my_id) {
    become_leader();
  } else {
    become_follower(vote.leader);
  }
}

// ---------------------------------------------------------------- violations

void ZabCore::violation(std::string_view what) {
  violations_++;
  ZabEvent e;
  e.kind = "violation";
  e.leader = leader_;
  e.mode = std::string(what);
  emit(std::move(e));
  start_looking(what);
}

}  // namespace kz::zk::quorum
