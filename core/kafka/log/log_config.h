// LogConfig: the per-partition log settings, named after the Kafka topic/broker configs they mirror so
// that people who run Kafka recognise them. Defaults are Kafka's.
#pragma once

#include <cstdint>
#include <limits>
#include <string_view>

#include "core/base/status.h"
#include "core/kafka/records/record_batch.h"

namespace kz::kafka::log {

inline constexpr int64_t kMsPerDay = 24LL * 60 * 60 * 1000;
inline constexpr int64_t kUnlimited = -1;  // retention.ms / retention.bytes: keep forever

struct LogConfig {
  uint64_t segment_bytes = 1ULL << 30;   // segment.bytes: roll when the next append would pass it
  int64_t segment_ms = 7 * kMsPerDay;    // segment.ms: roll a non-empty segment this old
  uint32_t index_interval_bytes = 4096;  // index.interval.bytes: log bytes between index entries
  // log.flush.interval.messages: fsync once this many records are unflushed (1: fsync every append).
  int64_t flush_interval_messages = std::numeric_limits<int64_t>::max();
  // log.flush.interval.ms: fsync when the oldest unflushed append is this old (checked on append and by
  // maybe_flush()).
  int64_t flush_interval_ms = std::numeric_limits<int64_t>::max();
  int64_t retention_ms = 7 * kMsPerDay;     // retention.ms (kUnlimited: no time limit)
  int64_t retention_bytes = kUnlimited;     // retention.bytes (kUnlimited: no size limit)
  bool cleanup_delete = true;               // cleanup.policy contains "delete"
  bool cleanup_compact = false;             // cleanup.policy contains "compact"
  int64_t delete_retention_ms = kMsPerDay;  // delete.retention.ms: how long compaction keeps tombstones
  uint32_t max_message_bytes = 1048588;     // max.message.bytes: the largest batch accepted
  TimestampType message_timestamp_type = TimestampType::kCreateTime;  // message.timestamp.type
  // Check each batch's CRC when serving reads (a bit flip at rest becomes an error, not bad data).
  bool verify_crc_on_read = true;

  // Sets one setting from its Kafka name ("segment.bytes", "cleanup.policy", ...). kInvalidArgument
  // names the key and the value for an unknown key or a bad value.
  Status set(std::string_view key, std::string_view value);
  // kInvalidArgument if the settings cannot work together (e.g. segment.bytes smaller than a batch header).
  Status validate() const;
};

}  // namespace kz::kafka::log
