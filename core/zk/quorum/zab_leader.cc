// ZabCore, leader side: discovery (epoch choice), per-learner sync, establishment, broadcast.
#include <fmt/format.h>

#include <algorithm>

#include "core/zk/quorum/zab_core.h"

namespace kz::zk::quorum {

namespace {
constexpr std::string_view kModeDiff = "DIFF";
constexpr std::string_view kModeTrunc = "TRUNC";
constexpr std::string_view kModeSnap = "SNAP";
}  // namespace

void ZabCore::become_leader() {
  state_ = PeerState::kLeading;
  leader_ = opts_.my_id;
  learners_.clear();
  epoch_infos_.clear();
  epoch_infos_[opts_.my_id] = accepted_epoch_;
  epoch_acks_.clear();
  newleader_acks_.clear();
  new_epoch_ = 0;
  discovery_done_ = false;
  established_ = false;
  leader_ticks_ = 0;
  initial_current_epoch_ = current_epoch_;
  syncs_.clear();
  maybe_choose_epoch();
}

void ZabCore::leader_send(ServerId peer, Learner& learner, Message m) {
  m.to = peer;
  m.session = learner.session;
  m.seq = learner.send_seq++;
  if (m.epoch == 0) m.epoch = new_epoch_;
  send(std::move(m));
}

void ZabCore::leader_broadcast(const Message& m) {
  for (auto& [peer, learner] : learners_) {
    if (learner.stage != LearnerStage::kDiscovery) leader_send(peer, learner, m);
  }
}

void ZabCore::maybe_choose_epoch() {
  if (new_epoch_ != 0 || epoch_infos_.size() < quorum_size()) return;
  uint32_t max_epoch = std::max(accepted_epoch_, current_epoch_);
  for (const auto& [sid, e] : epoch_infos_) max_epoch = std::max(max_epoch, e);
  if (max_epoch == UINT32_MAX) {
    step_down("epoch space exhausted");
    return;
  }
  new_epoch_ = max_epoch + 1;
  // Persisted before any NEWEPOCH leaves: a restarted leader must never pick this epoch again.
  persist_accepted_epoch(new_epoch_);
  epoch_acks_.insert(opts_.my_id);
  for (auto& [peer, learner] : learners_) {
    if (learner.stage == LearnerStage::kDiscovery) {
      Message m;
      m.type = MsgType::kNewEpoch;
      m.id = learner.attempt;
      learner.send_seq = 1;
      leader_send(peer, learner, std::move(m));
    }
  }
  maybe_finish_discovery();
}

void ZabCore::maybe_finish_discovery() {
  if (discovery_done_ || new_epoch_ == 0 || epoch_acks_.size() < quorum_size()) return;
  discovery_done_ = true;
  newleader_zxid_ = last_zxid();
  persist_current_epoch(new_epoch_);
  for (auto& [peer, learner] : learners_) {
    if (learner.stage == LearnerStage::kDiscovery && learner.acked_epoch) start_sync(peer, learner);
  }
}

void ZabCore::start_sync(ServerId peer, Learner& learner) {
  KZ_ASSERT(discovery_done_);
  Zxid follower_zxid = learner.last_zxid;
  Zxid last = last_zxid();
  auto find = [&](Zxid z) {
    return std::lower_bound(log_.begin(), log_.end(), z, [](const Entry& e, Zxid v) { return e.zxid < v; });
  };
  Message header;
  Zxid from = 0;
  std::string_view mode;
  if (follower_zxid == last) {
    mode = kModeDiff;
    from = last;
  } else if (follower_zxid < log_base_) {
    mode = kModeSnap;
  } else {
    auto it = find(follower_zxid);
    bool found = follower_zxid == log_base_ || (it != log_.end() && it->zxid == follower_zxid);
    if (found && follower_zxid < last) {
      mode = kModeDiff;
      from = follower_zxid;
    } else {
      // The follower has entries we do not: keep what we share (the largest of our zxids not
      // above its last one), drop the rest there, then send what follows.
      mode = kModeTrunc;
      auto up = std::upper_bound(log_.begin(), log_.end(), follower_zxid,
                                 [](Zxid z, const Entry& e) { return z < e.zxid; });
      from = up == log_.begin() ? log_base_ : std::prev(up)->zxid;
    }
  }
  if (mode == kModeSnap) {
    StateSnapshot snap = snapshot_fn_();
    KZ_ASSERT_MSG(snap.zxid == applied_, fmt::format("snapshot at {:#x}, applied {:#x}", snap.zxid, applied_));
    KZ_ASSERT(snap.zxid >= log_base_);
    from = snap.zxid;
    header.type = MsgType::kSnap;
    header.data = std::move(snap.state);
  } else {
    header.type = mode == kModeDiff ? MsgType::kDiff : MsgType::kTrunc;
  }
  header.zxid = from;
  learner.stage = LearnerStage::kSyncing;
  learner.newleader_zxid = last;
  learner.silent_ticks = 0;
  leader_send(peer, learner, std::move(header));
  for (auto it = std::upper_bound(log_.begin(), log_.end(), from, [](Zxid z, const Entry& e) { return z < e.zxid; });
       it != log_.end(); ++it) {
    Message p;
    p.type = MsgType::kProposal;
    p.zxid = it->zxid;
    p.data = it->data;
    leader_send(peer, learner, std::move(p));
  }
  Message nl;
  nl.type = MsgType::kNewLeader;
  nl.zxid = last;
  nl.commit = commit_;
  leader_send(peer, learner, std::move(nl));
  ZabEvent e;
  e.kind = "sync";
  e.epoch = new_epoch_;
  e.leader = opts_.my_id;
  e.peer = peer;
  e.mode = std::string(mode);
  emit(std::move(e));
}

void ZabCore::maybe_establish() {
  if (established_ || !discovery_done_ || newleader_acks_.size() < quorum_size()) return;
  established_ = true;
  next_counter_ = 1;
  KZ_ASSERT(make_zxid(new_epoch_, 1) > last_zxid());
  // A quorum holds our whole initial history under the new epoch: all of it is committed.
  commit_through(newleader_zxid_);
  for (auto& [peer, learner] : learners_) {
    if (learner.stage == LearnerStage::kSynced) {
      Message m;
      m.type = MsgType::kUpToDate;
      m.commit = commit_;
      leader_send(peer, learner, std::move(m));
    }
  }
  ZabEvent e;
  e.kind = "leader_elected";
  e.epoch = new_epoch_;
  e.leader = opts_.my_id;
  emit(std::move(e));
  answer_syncs();
}

void ZabCore::maybe_commit() {
  KZ_ASSERT(established_);
  std::vector<Zxid>& acks = ack_scratch_;  // reused: this runs for every ACK
  acks.clear();
  acks.push_back(durable_);  // our own fsync counts only once done
  for (const auto& [peer, learner] : learners_) {
    if (learner.stage == LearnerStage::kSynced) acks.push_back(learner.acked);
  }
  if (acks.size() >= quorum_size()) {
    std::sort(acks.begin(), acks.end(), std::greater<Zxid>());
    Zxid quorum_zxid = std::min(acks[quorum_size() - 1], last_zxid());
    if (quorum_zxid > commit_) {
      commit_through(quorum_zxid);
      Message m;
      m.type = MsgType::kCommit;
      m.zxid = commit_;
      leader_broadcast(m);
    }
  }
  answer_syncs();
}

void ZabCore::answer_syncs() {
  while (!syncs_.empty() && syncs_.front().wait_for <= commit_) {
    PendingSync s = syncs_.front();
    syncs_.pop_front();
    if (s.from == opts_.my_id) {
      ready_.syncs_done.push_back(s.id);
      continue;
    }
    auto it = learners_.find(s.from);
    if (it == learners_.end() || it->second.session != s.session) continue;  // it went away
    Message m;
    m.type = MsgType::kSyncReply;
    m.id = s.id;
    leader_send(s.from, it->second, std::move(m));  // after the COMMIT it waited for (FIFO)
  }
}

void ZabCore::step_down(std::string_view why) {
  ZabEvent e;
  e.kind = "stepped_down";
  e.epoch = new_epoch_;
  e.leader = opts_.my_id;
  e.mode = std::string(why);
  emit(std::move(e));
  start_looking(why);
}

void ZabCore::leader_tick() {
  leader_ticks_++;
  std::vector<ServerId> dropped;
  for (auto& [peer, learner] : learners_) {
    learner.silent_ticks++;
    uint32_t limit = learner.stage == LearnerStage::kSynced ? opts_.sync_limit_ticks : opts_.init_limit_ticks;
    if (learner.silent_ticks > limit) dropped.push_back(peer);
  }
  for (ServerId peer : dropped) learners_.erase(peer);
  for (auto& [peer, learner] : learners_) {
    if (learner.stage == LearnerStage::kDiscovery) continue;
    Message m;
    m.type = MsgType::kPing;
    leader_send(peer, learner, std::move(m));
  }
  if (!established_) {
    if (leader_ticks_ > opts_.init_limit_ticks) step_down("not established within initLimit");
    return;
  }
  size_t alive = 1;
  for (const auto& [peer, learner] : learners_) {
    if (learner.stage == LearnerStage::kSynced) alive++;
  }
  if (alive < quorum_size()) step_down("lost the quorum of followers");
}

void ZabCore::leader_step(const Message& m) {
  if (m.type == MsgType::kFollowerInfo) {
    auto it = learners_.find(m.from);
    if (it != learners_.end() && it->second.attempt == m.id && it->second.stage == LearnerStage::kDiscovery) {
      // A repeated FOLLOWERINFO of the same attempt: repeat NEWEPOCH if it was lost.
      if (new_epoch_ != 0) {
        Learner& l = it->second;
        Message ne;
        ne.type = MsgType::kNewEpoch;
        ne.id = l.attempt;
        l.send_seq = 1;
        leader_send(m.from, l, std::move(ne));
      }
      return;
    }
    if (new_epoch_ != 0 && m.epoch > new_epoch_) {
      // It promised (acceptedEpoch) never to follow an epoch below its own, so it can never join
      // this one; ZooKeeper leaves it out until the next election, a lasting loss of redundancy.
      // Step down instead: the next discovery includes its acceptedEpoch and picks a higher one.
      // (An equal acceptedEpoch is a server that already accepted this epoch, typically ours,
      // before it restarted: it joins; its ACKEPOCH says the epoch does not count twice.)
      step_down(fmt::format("server {} accepted epoch {}, not below ours {}", m.from, m.epoch, new_epoch_));
      return;
    }
    Learner l;
    l.session = next_session_++;
    l.attempt = m.id;
    learners_[m.from] = l;
    if (new_epoch_ == 0) {
      epoch_infos_[m.from] = m.epoch;
      maybe_choose_epoch();  // sends NEWEPOCH to every learner in discovery once chosen
    } else {
      Message ne;
      ne.type = MsgType::kNewEpoch;
      ne.id = m.id;
      leader_send(m.from, learners_[m.from], std::move(ne));
    }
    return;
  }
  auto it = learners_.find(m.from);
  if (it == learners_.end() || m.session != it->second.session) return;  // an older handshake
  Learner& l = it->second;
  if (m.seq < l.recv_seq) return;  // duplicate
  if (m.seq > l.recv_seq) {        // a gap: the learner must start over
    learners_.erase(it);
    return;
  }
  l.recv_seq++;
  l.silent_ticks = 0;
  switch (m.type) {
    case MsgType::kAckEpoch: {
      if (l.stage != LearnerStage::kDiscovery || l.acked_epoch) return;
      // A member of the discovery quorum with a newer history than ours means we must not lead:
      // our initial history could miss committed entries.
      if (!discovery_done_ && (m.epoch > initial_current_epoch_ ||
                               (m.epoch == initial_current_epoch_ && m.zxid > last_zxid()))) {
        step_down(fmt::format("follower {} is ahead ({}, {:#x})", m.from, m.epoch, m.zxid));
        return;
      }
      l.acked_epoch = true;
      l.last_zxid = m.zxid;
      if (discovery_done_) {
        start_sync(m.from, l);
      } else {
        if (m.flag) epoch_acks_.insert(m.from);
        maybe_finish_discovery();
      }
      return;
    }
    case MsgType::kAckNewLeader: {
      if (l.stage != LearnerStage::kSyncing || m.zxid != l.newleader_zxid) return;
      l.stage = LearnerStage::kSynced;
      l.acked = std::max(l.acked, m.zxid);
      if (!established_) {
        newleader_acks_.insert(m.from);
        maybe_establish();
      } else {
        Message up;
        up.type = MsgType::kUpToDate;
        up.commit = commit_;
        leader_send(m.from, l, std::move(up));
      }
      if (established_) maybe_commit();
      return;
    }
    case MsgType::kAck: {
      if (l.stage != LearnerStage::kSynced) return;
      l.acked = std::max(l.acked, std::min(m.zxid, last_zxid()));
      if (established_) maybe_commit();
      return;
    }
    case MsgType::kPong:
      return;
    case MsgType::kRequest:
      if (established_ && l.stage == LearnerStage::kSynced) ready_.forwarded.push_back(Forwarded{m.from, m.data});
      return;
    case MsgType::kSync:
      if (!established_ || l.stage != LearnerStage::kSynced || syncs_.size() >= opts_.syncs_pending_max) return;
      syncs_.push_back(PendingSync{m.from, l.session, m.id, last_zxid()});
      answer_syncs();
      return;
    default:
      return;  // not a follower-to-leader message
  }
}

}  // namespace kz::zk::quorum
