// Consumer-group partition assignment: the "consumer" protocol's member metadata (subscription)
// and assignment byte layouts, and the two classic assignors, "range" and "roundrobin", with the
// Java client's results so kz members can share a group with Java or librdkafka members.
//
// Subscription v0: version int16, topics [string], user_data nullable bytes (v1+ adds owned
//   partitions, which kz reads past but does not write).
// Assignment v0: version int16, [topic string, partitions [int32]], user_data nullable bytes.
// Pure functions: no I/O.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/kafka/records/byte_io.h"

namespace kz::kafka::client {

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;
  friend auto operator<=>(const TopicPartition&, const TopicPartition&) = default;
  friend bool operator==(const TopicPartition&, const TopicPartition&) = default;
};

struct Subscription {
  std::vector<std::string> topics;
  bool operator==(const Subscription&) const = default;
};

// topic -> partitions, ordered.
using Assignment = std::map<std::string, std::vector<int32_t>>;

Bytes encode_subscription(const Subscription& subscription);
Result<Subscription> decode_subscription(ByteSpan bytes);
Bytes encode_assignment(const Assignment& assignment);
Result<Assignment> decode_assignment(ByteSpan bytes);

struct GroupMember {
  std::string member_id;
  Subscription subscription;
};

// member id -> assignment (every member appears, possibly with an empty assignment).
using GroupAssignment = std::map<std::string, Assignment>;

// `partitions`: topic -> partition count; topics missing from it are skipped (unknown topic).
GroupAssignment assign_range(std::span<const GroupMember> members, const std::map<std::string, int32_t>& partitions);
GroupAssignment assign_round_robin(std::span<const GroupMember> members,
                                   const std::map<std::string, int32_t>& partitions);
// By protocol name ("range", "roundrobin"); kInvalidArgument for another name.
Result<GroupAssignment> assign(std::string_view assignor, std::span<const GroupMember> members,
                               const std::map<std::string, int32_t>& partitions);

}  // namespace kz::kafka::client
