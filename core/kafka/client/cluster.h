// The client's view of a Kafka cluster: bootstrap servers, the metadata cache (brokers, topics,
// partition leaders), and one Connection per broker, opened on first use and reopened after it
// breaks. Producer, Consumer, GroupConsumer and Admin all sit on a Cluster.
//
// Single fiber: a Cluster and everything built on it are used by one fiber at a time.
// Ordered containers only (std::map): iteration order never depends on hashing or addresses.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/io/env.h"
#include "core/kafka/client/assignors.h"
#include "core/kafka/client/connection.h"

namespace kz::kafka::client {

struct ClusterOptions {
  std::vector<io::Address> bootstrap;
  ConnectionOptions connection;
  int64_t retry_backoff_ns = ms_to_ns(100);
  int32_t metadata_attempts_max = 10;
  bool allow_auto_topic_creation = true;
};

// "h1:p1,h2:p2" -> addresses; an error names the bad entry.
Result<std::vector<io::Address>> parse_bootstrap(std::string_view servers);

struct PartitionInfo {
  int32_t partition = 0;
  int32_t leader = -1;  // -1: no leader right now
  int16_t error_code = 0;
};

struct TopicInfo {
  int16_t error_code = 0;
  std::vector<PartitionInfo> partitions;  // ordered by partition index
};

class Cluster {
 public:
  Cluster(const io::Env& env, ClusterOptions options);
  ~Cluster();

  io::Env& env() { return env_; }
  const ClusterOptions& options() const { return options_; }

  // Refreshes metadata for `topics` (all topics when empty); a topic the broker reports with an
  // error stays in the cache with that error. Retries (with backoff) while a topic is being created
  // or has partitions without a leader, up to metadata_attempts_max.
  Status refresh(const std::vector<std::string>& topics);
  // The cached topic, refreshing when it is not cached; kNotFound for an unknown topic.
  Result<const TopicInfo*> topic(const std::string& name);
  Result<int32_t> partition_count(const std::string& name);
  Result<int32_t> leader(const TopicPartition& tp);
  const std::map<std::string, TopicInfo>& topics() const { return topics_; }
  const std::map<int32_t, io::Address>& brokers() const { return brokers_; }
  int32_t controller_id() const { return controller_id_; }
  void invalidate() { topics_.clear(); }

  // A connection to broker `node_id` (from the metadata), opened if needed.
  Result<Connection*> broker(int32_t node_id);
  // A connection to any broker: a known one, else the bootstrap servers in order.
  Result<Connection*> any();
  // A connection to an address outside the metadata (a coordinator answer names its host:port).
  Result<Connection*> at(int32_t node_id, const io::Address& address);
  void sleep_backoff();

 private:
  Result<Connection*> connect(const io::Address& address, int32_t key);

  io::Env env_;
  ClusterOptions options_;
  std::map<int32_t, io::Address> brokers_;
  std::map<std::string, TopicInfo> topics_;
  int32_t controller_id_ = -1;
  // Connections keyed by broker id; bootstrap connections use keys -1, -2, ...
  std::map<int32_t, std::unique_ptr<Connection>> connections_;
};

}  // namespace kz::kafka::client
