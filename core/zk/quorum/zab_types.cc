#include "core/zk/quorum/zab_types.h"

namespace kz::zk::quorum {

std::string_view peer_state_name(PeerState state) {
  switch (state) {
    case PeerState::kLooking: return "LOOKING";
    case PeerState::kFollowing: return "FOLLOWING";
    case PeerState::kLeading: return "LEADING";
  }
  return "?";
}

std::string_view msg_type_name(MsgType type) {
  switch (type) {
    case MsgType::kNotification: return "NOTIFICATION";
    case MsgType::kFollowerInfo: return "FOLLOWERINFO";
    case MsgType::kNewEpoch: return "NEWEPOCH";
    case MsgType::kAckEpoch: return "ACKEPOCH";
    case MsgType::kDiff: return "DIFF";
    case MsgType::kTrunc: return "TRUNC";
    case MsgType::kSnap: return "SNAP";
    case MsgType::kNewLeader: return "NEWLEADER";
    case MsgType::kAckNewLeader: return "ACKNEWLEADER";
    case MsgType::kUpToDate: return "UPTODATE";
    case MsgType::kProposal: return "PROPOSAL";
    case MsgType::kAck: return "ACK";
    case MsgType::kCommit: return "COMMIT";
    case MsgType::kPing: return "PING";
    case MsgType::kPong: return "PONG";
    case MsgType::kRequest: return "REQUEST";
    case MsgType::kAppMessage: return "APP";
    case MsgType::kSync: return "SYNC";
    case MsgType::kSyncReply: return "SYNCREPLY";
  }
  return "?";
}

}  // namespace kz::zk::quorum
