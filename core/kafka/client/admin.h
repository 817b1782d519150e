// Cluster administration: topics (create, delete, add partitions), configs (describe), groups
// (list, describe, delete) and records (delete up to an offset). Each call is one request to the
// broker that owns the answer (the controller for topics, every broker for ListGroups, the group
// coordinator for group calls, partition leaders for DeleteRecords); per-item broker errors come
// back as a Status naming the item and Kafka's error name.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/kafka/client/cluster.h"

namespace kz::kafka::client {

struct NewTopic {
  std::string name;
  int32_t partitions = 1;
  int16_t replication_factor = 1;
  std::map<std::string, std::string> configs;
};

struct ConfigEntry {
  std::string name;
  std::optional<std::string> value;
  bool read_only = false;
  bool is_sensitive = false;
};

struct GroupListing {
  std::string group_id;
  std::string protocol_type;
};

struct GroupMemberDescription {
  std::string member_id;
  std::string client_id;
  std::string client_host;
  std::vector<TopicPartition> assignment;
};

struct GroupDescription {
  std::string group_id;
  std::string state;
  std::string protocol_type;
  std::string protocol;
  std::vector<GroupMemberDescription> members;
};

class Admin {
 public:
  explicit Admin(Cluster& cluster) : cluster_(cluster) {}

  Status create_topics(const std::vector<NewTopic>& topics, int32_t timeout_ms = 30'000);
  Status delete_topics(const std::vector<std::string>& topics, int32_t timeout_ms = 30'000);
  // Grows `topic` to `total_partitions` partitions.
  Status create_partitions(const std::string& topic, int32_t total_partitions, int32_t timeout_ms = 30'000);
  // resource_type: 2 = topic, 4 = broker (name = broker id).
  Result<std::vector<ConfigEntry>> describe_configs(int8_t resource_type, const std::string& name);
  // Groups of every broker, ordered by group id.
  Result<std::vector<GroupListing>> list_groups();
  Result<GroupDescription> describe_group(const std::string& group_id);
  Status delete_groups(const std::vector<std::string>& group_ids);
  // Deletes records before `offset` (sets the log start offset); returns the new low watermarks.
  Result<std::map<TopicPartition, int64_t>> delete_records(const std::map<TopicPartition, int64_t>& before);

 private:
  Result<Connection*> controller();
  Result<Connection*> group_coordinator(const std::string& group_id);

  Cluster& cluster_;
};

}  // namespace kz::kafka::client
