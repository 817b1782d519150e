// The Kafka consumer for assigned partitions: positions, seeks (offset, earliest, latest, by
// timestamp via ListOffsets), and poll(), which sends one Fetch per leader broker and returns the
// records at or after each partition's position, in partition then offset order. GroupConsumer
// (group_consumer.h) drives one of these for the partitions its group assigns it.
//
// A partition without a position (just assigned, no committed offset) starts where
// `auto_offset_reset` says; OFFSET_OUT_OF_RANGE resets it the same way. A leader change
// (NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION) or a broken connection refreshes the
// metadata and the next poll tries again. Control batches (transaction markers) are skipped.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "core/kafka/client/cluster.h"
#include "core/kafka/records/record_batch.h"

namespace kz::kafka::client {

enum class OffsetReset : uint8_t { kEarliest, kLatest, kNone };

// ListOffsets' special timestamps.
inline constexpr int64_t kLatestTimestamp = -1;
inline constexpr int64_t kEarliestTimestamp = -2;

struct ConsumerRecord {
  TopicPartition tp;
  Record record;  // absolute offset and timestamp
};

struct ConsumerOptions {
  OffsetReset auto_offset_reset = OffsetReset::kLatest;
  int32_t fetch_max_wait_ms = 500;
  int32_t fetch_min_bytes = 1;
  int32_t fetch_max_bytes = 50 << 20;
  int32_t partition_max_bytes = 1 << 20;
};

class Consumer {
 public:
  Consumer(Cluster& cluster, ConsumerOptions options);

  // Replaces the assignment; positions of partitions kept are kept.
  void assign(std::vector<TopicPartition> partitions);
  const std::vector<TopicPartition>& assignment() const { return assignment_; }
  void seek(const TopicPartition& tp, int64_t offset) { positions_[tp] = offset; }
  Status seek_to_beginning(const std::vector<TopicPartition>& partitions);
  Status seek_to_end(const std::vector<TopicPartition>& partitions);
  std::optional<int64_t> position(const TopicPartition& tp) const;

  // For each partition, the first offset whose timestamp is >= the given one (or kEarliestTimestamp
  // / kLatestTimestamp). -1 when no record is that recent.
  Result<std::map<TopicPartition, int64_t>> list_offsets(const std::map<TopicPartition, int64_t>& timestamps);

  // Fetches once from every leader of the assignment, waiting up to fetch_max_wait_ms for data.
  Result<std::vector<ConsumerRecord>> poll();

 private:
  Status resolve_positions();

  Cluster& cluster_;
  ConsumerOptions options_;
  std::vector<TopicPartition> assignment_;
  std::map<TopicPartition, int64_t> positions_;
};

}  // namespace kz::kafka::client
