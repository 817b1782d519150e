// The vocabulary of kz's ZAB replication: server ids, zxids, log entries, votes and the messages
// servers exchange. Shared by the pure state machine (zab_core.h), the wire codec (zab_codec.h) and
// the fiber glue (quorum_peer.h). Transactions are opaque bytes: the ZooKeeper server layer above
// decides what they mean.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace kz::zk::quorum {

using ServerId = uint64_t;  // zoo.cfg server.N / myid
using Zxid = uint64_t;      // epoch << 32 | counter
using Bytes = std::vector<uint8_t>;

constexpr uint32_t zxid_epoch(Zxid zxid) { return static_cast<uint32_t>(zxid >> 32); }
constexpr uint32_t zxid_counter(Zxid zxid) { return static_cast<uint32_t>(zxid); }
constexpr Zxid make_zxid(uint32_t epoch, uint32_t counter) { return (static_cast<Zxid>(epoch) << 32) | counter; }

struct Entry {
  Zxid zxid = 0;
  Bytes data;
  friend bool operator==(const Entry&, const Entry&) = default;
};

enum class PeerState : uint8_t { kLooking = 0, kFollowing = 1, kLeading = 2 };
std::string_view peer_state_name(PeerState state);

// A fast-leader-election vote. Votes are totally ordered by (peer_epoch, zxid, leader): the server
// with the newest history wins, ties broken by the larger id.
struct Vote {
  ServerId leader = 0;
  Zxid zxid = 0;
  uint32_t peer_epoch = 0;  // the candidate's currentEpoch
  friend bool operator==(const Vote&, const Vote&) = default;
};
inline bool vote_better(const Vote& a, const Vote& b) {
  if (a.peer_epoch != b.peer_epoch) return a.peer_epoch > b.peer_epoch;
  if (a.zxid != b.zxid) return a.zxid > b.zxid;
  return a.leader > b.leader;
}

enum class MsgType : uint8_t {
  // Election port.
  kNotification = 1,  // vote, election_epoch, state
  // Quorum port: discovery.
  kFollowerInfo = 2,  // f->l: epoch = acceptedEpoch, zxid = last zxid, id = attempt
  kNewEpoch = 3,      // l->f: epoch = new epoch, session, id = attempt
  kAckEpoch = 4,      // f->l: session, epoch = currentEpoch, zxid = last zxid, flag = counts for the quorum
  // Synchronisation.
  kDiff = 5,        // l->f: session, zxid = the follower's last zxid (entries follow as PROPOSALs)
  kTrunc = 6,       // l->f: session, zxid = truncate everything after this zxid
  kSnap = 7,        // l->f: session, zxid = snapshot zxid, data = state machine snapshot
  kNewLeader = 8,   // l->f: session, epoch, zxid = last zxid of the sync, commit = leader's commit zxid
  kAckNewLeader = 9,  // f->l: session, zxid = the NEWLEADER zxid
  kUpToDate = 10,   // l->f: session, commit
  // Broadcast.
  kProposal = 11,  // l->f: session, zxid, data
  kAck = 12,       // f->l: session, zxid (cumulative: every entry up to zxid is durable)
  kCommit = 13,    // l->f: session, zxid (cumulative)
  kPing = 14,      // l->f: session
  kPong = 15,      // f->l: session
  // Application messages for the server layer.
  kRequest = 16,     // f->l: session, data (a client write forwarded to the leader)
  kAppMessage = 17,  // l->f: session, data
  kSync = 18,        // f->l: session, id
  kSyncReply = 19,   // l->f: session, id
};
inline constexpr uint8_t kMsgTypeMax = 19;
std::string_view msg_type_name(MsgType type);
// Election messages travel on the election port, the rest on the quorum port.
inline bool is_election_message(MsgType type) { return type == MsgType::kNotification; }

// One message. Fields not used by a type are zero; the codec writes them all (fixed layout).
struct Message {
  MsgType type = MsgType::kNotification;
  ServerId from = 0;
  ServerId to = 0;
  // Election.
  Vote vote;
  uint64_t election_epoch = 0;
  PeerState state = PeerState::kLooking;
  // Quorum.
  uint32_t epoch = 0;
  uint64_t session = 0;  // leader-assigned per learner handshake: stale messages are recognised
  uint64_t seq = 0;      // per session and direction, from 1: duplicates dropped, gaps resync
  Zxid zxid = 0;
  Zxid commit = 0;
  uint64_t id = 0;
  bool flag = false;
  Bytes data;
  friend bool operator==(const Message&, const Message&) = default;
};

}  // namespace kz::zk::quorum
