// A consumer-group member (the classic "consumer" protocol): finds the group coordinator, joins
// (JoinGroup, answering MEMBER_ID_REQUIRED by rejoining with the given id), the leader assigns
// partitions with the assignor the group chose ("range" or "roundrobin", assignors.h) and hands
// the result out in SyncGroup, every member starts from the group's committed offsets
// (OffsetFetch; partitions without one start per auto_offset_reset), heartbeats from poll(), and
// commits positions (OffsetCommit) on request and, with auto_commit, before giving partitions up
// and on close(). close() leaves the group (LeaveGroup) so the others rebalance at once.
//
// Heartbeats go out from poll(), so the application must poll more often than the session
// timeout. Rebalance callbacks run on the polling fiber: on_revoked before partitions are given
// up (after the auto commit), on_assigned after the new assignment is known.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/kafka/client/consumer.h"

namespace kz::kafka::client {

struct GroupOptions {
  std::string group_id;
  std::vector<std::string> assignors = {"range", "roundrobin"};  // preference order
  int32_t session_timeout_ms = 10'000;
  int32_t rebalance_timeout_ms = 30'000;
  int32_t heartbeat_interval_ms = 3'000;
  bool auto_commit = true;
  std::function<void(const std::vector<TopicPartition>&)> on_assigned;
  std::function<void(const std::vector<TopicPartition>&)> on_revoked;
};

class GroupConsumer {
 public:
  GroupConsumer(Cluster& cluster, ConsumerOptions consumer_options, GroupOptions options);

  void subscribe(std::vector<std::string> topics);
  // Joins (or rejoins) the group when needed, heartbeats when due, then fetches.
  Result<std::vector<ConsumerRecord>> poll();
  // Commits the current position of every assigned partition.
  Status commit();
  Status commit(const std::map<TopicPartition, int64_t>& offsets);
  // The group's committed offsets (-1: none).
  Result<std::map<TopicPartition, int64_t>> committed(const std::vector<TopicPartition>& partitions);
  // Commits (with auto_commit) and leaves the group.
  Status close();

  const std::vector<TopicPartition>& assignment() const { return consumer_.assignment(); }
  Consumer& consumer() { return consumer_; }
  const std::string& member_id() const { return member_id_; }
  int32_t generation() const { return generation_; }
  bool joined() const { return joined_; }

 private:
  Result<Connection*> coordinator();
  Status join();
  Status heartbeat();
  void revoke();
  void lose_coordinator() { coordinator_id_.reset(); }

  Cluster& cluster_;
  Consumer consumer_;
  GroupOptions options_;
  std::vector<std::string> topics_;
  std::optional<int32_t> coordinator_id_;
  io::Address coordinator_address_;
  std::string member_id_;
  int32_t generation_ = -1;
  bool joined_ = false;
  int64_t next_heartbeat_ns_ = 0;
};

}  // namespace kz::kafka::client
