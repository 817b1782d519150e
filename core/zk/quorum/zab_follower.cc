// ZabCore, follower side: discovery handshake, sync (DIFF / TRUNC / SNAP), broadcast.
#include <fmt/format.h>

#include <algorithm>

#include "core/zk/quorum/zab_core.h"

namespace kz::zk::quorum {

void ZabCore::become_follower(ServerId leader) {
  state_ = PeerState::kFollowing;
  leader_ = leader;
  fstage_ = FollowerStage::kDiscovery;
  attempt_++;
  session_ = 0;
  leader_epoch_ = 0;
  newleader_seen_ = false;
  ack_through_ = 0;
  acked_sent_ = 0;
  silent_ticks_ = 0;
  send_seq_ = 1;
  recv_seq_ = 1;
  Message m;
  m.type = MsgType::kFollowerInfo;
  m.to = leader;
  m.epoch = accepted_epoch_;
  m.zxid = last_zxid();
  m.id = attempt_;
  send(std::move(m));
}

void ZabCore::send_to_leader(Message m) {
  KZ_ASSERT(state_ == PeerState::kFollowing && session_ != 0);
  m.to = leader_;
  m.session = session_;
  m.seq = send_seq_++;
  if (m.type != MsgType::kAckEpoch) m.epoch = leader_epoch_;
  send(std::move(m));
}

void ZabCore::follower_tick() {
  silent_ticks_++;
  uint32_t limit = fstage_ == FollowerStage::kBroadcast ? opts_.sync_limit_ticks : opts_.init_limit_ticks;
  if (silent_ticks_ > limit) {
    start_looking("leader silent");
    return;
  }
  if (fstage_ == FollowerStage::kDiscovery) {
    Message m;  // FOLLOWERINFO again, same attempt: the leader repeats NEWEPOCH if it was lost
    m.type = MsgType::kFollowerInfo;
    m.to = leader_;
    m.epoch = accepted_epoch_;
    m.zxid = last_zxid();
    m.id = attempt_;
    send(std::move(m));
  }
}

void ZabCore::follower_step(const Message& m) {
  if (m.from != leader_) return;
  if (m.type == MsgType::kNewEpoch) {
    if (fstage_ != FollowerStage::kDiscovery || m.id != attempt_ || m.seq != 1) return;
    silent_ticks_ = 0;
    if (m.epoch < accepted_epoch_) {
      start_looking(fmt::format("NEWEPOCH {} below acceptedEpoch {}", m.epoch, accepted_epoch_));
      return;
    }
    // An epoch equal to the one we accepted was acknowledged already (to some leader): say so,
    // so it does not count twice toward an epoch quorum.
    bool counts = m.epoch > accepted_epoch_;
    if (counts) persist_accepted_epoch(m.epoch);
    session_ = m.session;
    leader_epoch_ = m.epoch;
    recv_seq_ = 2;
    fstage_ = FollowerStage::kSyncing;
    Message ack;
    ack.type = MsgType::kAckEpoch;
    ack.flag = counts;
    ack.zxid = last_zxid();
    ack.epoch = current_epoch_;  // ACKEPOCH carries our currentEpoch, not the leader's epoch
    send_to_leader(std::move(ack));
    return;
  }
  if (session_ == 0 || m.session != session_) return;  // an older handshake
  if (m.seq < recv_seq_) return;                        // duplicate
  if (m.seq > recv_seq_) {
    start_looking("gap in the leader's stream");
    return;
  }
  recv_seq_++;
  silent_ticks_ = 0;
  switch (m.type) {
    case MsgType::kDiff:
      if (fstage_ != FollowerStage::kSyncing || newleader_seen_) return violation("DIFF outside sync");
      if (m.zxid != last_zxid()) {
        return violation(fmt::format("DIFF from {:#x} but the log ends at {:#x}", m.zxid, last_zxid()));
      }
      return;
    case MsgType::kTrunc:
      if (fstage_ != FollowerStage::kSyncing || newleader_seen_) return violation("TRUNC outside sync");
      if (m.zxid < commit_ || m.zxid > last_zxid() || m.zxid < log_base_) {
        return violation(fmt::format("TRUNC to {:#x} with commit {:#x}, log end {:#x}", m.zxid, commit_, last_zxid()));
      }
      truncate_after(m.zxid);
      return;
    case MsgType::kSnap: {
      if (fstage_ != FollowerStage::kSyncing || newleader_seen_) return violation("SNAP outside sync");
      if (m.zxid < commit_) return violation(fmt::format("SNAP at {:#x} below commit {:#x}", m.zxid, commit_));
      // Committed entries not yet applied are inside the snapshot: the restore replaces them.
      std::erase_if(ready_.committed, [&](const Entry& e) { return e.zxid <= m.zxid; });
      KZ_ASSERT(ready_.committed.empty());
      StorageOp op;
      op.kind = StorageOp::Kind::kInstallSnapshot;
      op.entry = Entry{m.zxid, m.data};
      ready_.storage.push_back(std::move(op));
      log_.clear();
      log_base_ = m.zxid;
      commit_ = m.zxid;
      clamp_durable(m.zxid);
      return;
    }
    case MsgType::kProposal:
      follower_append(m);
      return;
    case MsgType::kNewLeader: {
      if (fstage_ != FollowerStage::kSyncing || newleader_seen_) return violation("NEWLEADER twice");
      if (m.epoch != leader_epoch_) return violation("NEWLEADER for another epoch");
      if (m.zxid != last_zxid()) {
        return violation(fmt::format("NEWLEADER at {:#x} but the log ends at {:#x}", m.zxid, last_zxid()));
      }
      persist_current_epoch(m.epoch);
      newleader_seen_ = true;
      commit_through(std::min(m.commit, last_zxid()));
      Message ack;
      ack.type = MsgType::kAckNewLeader;
      ack.zxid = m.zxid;
      send_to_leader(std::move(ack));  // leaves only after the sync and currentEpoch are durable
      return;
    }
    case MsgType::kUpToDate: {
      if (!newleader_seen_ || fstage_ != FollowerStage::kSyncing) return violation("UPTODATE out of order");
      if (m.commit > last_zxid()) return violation("UPTODATE beyond the log");
      fstage_ = FollowerStage::kBroadcast;
      commit_through(m.commit);
      ZabEvent e;
      e.kind = "following";
      e.epoch = leader_epoch_;
      e.leader = leader_;
      emit(std::move(e));
      return;
    }
    case MsgType::kCommit:
      if (!newleader_seen_) return violation("COMMIT before NEWLEADER");
      if (m.zxid > last_zxid()) return violation(fmt::format("COMMIT {:#x} beyond the log", m.zxid));
      commit_through(m.zxid);
      return;
    case MsgType::kPing: {
      Message pong;
      pong.type = MsgType::kPong;
      send_to_leader(std::move(pong));
      return;
    }
    case MsgType::kAppMessage:
      if (fstage_ == FollowerStage::kBroadcast) ready_.app_messages.push_back(m.data);
      return;
    case MsgType::kSyncReply:
      if (local_syncs_.erase(m.id) > 0) ready_.syncs_done.push_back(m.id);
      return;
    default:
      return violation(fmt::format("unexpected {} from the leader", msg_type_name(m.type)));
  }
}

void ZabCore::follower_append(const Message& m) {
  if (fstage_ == FollowerStage::kDiscovery) return violation("PROPOSAL before NEWEPOCH");
  Zxid last = last_zxid();
  if (m.zxid <= last) return violation(fmt::format("PROPOSAL {:#x} not after {:#x}", m.zxid, last));
  // The leader's history has no holes: counters run 1, 2, 3... within each epoch.
  bool contiguous = zxid_epoch(m.zxid) == zxid_epoch(last) ? zxid_counter(m.zxid) == zxid_counter(last) + 1
                                                           : zxid_counter(m.zxid) == 1;
  if (!contiguous || zxid_epoch(m.zxid) > leader_epoch_) {
    return violation(fmt::format("PROPOSAL {:#x} does not follow {:#x}", m.zxid, last));
  }
  append_entry(Entry{m.zxid, m.data});
  // ACKed by advance() once durable (follower_ack_durable), not in this Ready: a message made now
  // would hold every later message to the leader (a forwarded REQUEST above all) behind this fsync.
  if (newleader_seen_) ack_through_ = m.zxid;
}

void ZabCore::follower_ack_durable() {
  if (state_ != PeerState::kFollowing || !newleader_seen_ || session_ == 0) return;
  Zxid ack = std::min(durable_, ack_through_);
  if (ack <= acked_sent_) return;
  Message m;
  m.type = MsgType::kAck;
  m.zxid = ack;  // cumulative: every proposal up to it is durable here
  send_to_leader(std::move(m));
  acked_sent_ = ack;
}

}  // namespace kz::zk::quorum
