// Log: one partition's segmented log on the Fs seam (Kafka's kafka.log.UnifiedLog, minus the broker).
//
// Directory layout (Kafka's names): NNN.log / NNN.index / NNN.timeindex per segment (NNN = the
// segment's base offset, 20 digits), leader-epoch-checkpoint, recovery-point. See segment.h for the
// segment formats and docs/kafka-log.md for the whole design.
//
// Offsets: the log holds offsets [log_start_offset, log_end_offset). Appends as leader get offsets from
// the LEO, written by rewriting each batch's header in place (base offset and leader epoch lie outside
// the CRC: no recompression, no new CRC). Appends as follower keep the leader's offsets. Compaction
// leaves gaps; nothing else does.
//
// Durability: flush() makes every appended byte durable (fsync of the dirty segments, and of the
// directory after a roll). The flush policy (log.flush.interval.messages / .ms) calls it; with
// flush_interval_messages = 1 every append is fsynced before it returns. A roll fsyncs the finished
// segment and its indexes and checkpoints the recovery point; open() validates every batch past the
// recovery point by CRC and cuts a torn or corrupt tail (logged with file and position), deleting any
// later segment. So after any crash the reopened log is a prefix of what was appended that contains
// everything flushed.
//
// Errors: kNotFound = offset out of range (Kafka's OFFSET_OUT_OF_RANGE); kInvalidArgument = a bad
// append (corrupt or oversized batch, offsets that do not follow the LEO: CORRUPT_MESSAGE,
// RECORD_TOO_LARGE, INVALID_RECORD); kCorruption = bad bytes on disk; kIoError / kNoSpace from the disk.
//
// Concurrency: one fiber mutates at a time (the broker serializes appends, truncation, retention and
// compaction per partition). In-memory state changes only after the disk operation succeeded.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/base/log.h"
#include "core/base/status.h"
#include "core/io/clock.h"
#include "core/io/fs.h"
#include "core/kafka/log/checkpoint.h"
#include "core/kafka/log/log_config.h"
#include "core/kafka/log/segment.h"

namespace kz::kafka::log {

struct AppendInfo {
  int64_t first_offset = -1;
  int64_t last_offset = -1;
  int64_t max_timestamp_ms = kNoTimestamp;
  int64_t offset_of_max_timestamp = -1;
  int64_t log_append_time_ms = kNoTimestamp;  // set under message.timestamp.type=LogAppendTime
  int32_t batch_count = 0;
  int64_t record_count = 0;
  uint64_t size_bytes = 0;
  bool flushed = false;  // the flush policy fsynced this append
};

struct ReadOptions {
  size_t max_bytes = size_t{1} << 20;
  // Batches whose base offset is >= this are not returned (the HW for consumers); -1: the LEO.
  int64_t max_offset = -1;
  // Return the first batch even if it is larger than max_bytes (KIP-74), so a consumer always progresses.
  bool min_one_batch = true;
};

struct FetchResult {
  Bytes records;  // whole batches, in offset order; the first holds the requested offset
  int64_t first_batch_offset = -1;
  int64_t high_watermark = 0;
  int64_t log_start_offset = 0;
  int64_t log_end_offset = 0;
};

struct SegmentInfo {
  int64_t base_offset = 0;
  int64_t next_offset = 0;
  uint64_t size_bytes = 0;
  int64_t max_timestamp_ms = kNoTimestamp;
};

struct RetentionResult {
  int segments_deleted = 0;
  uint64_t bytes_deleted = 0;
  int64_t log_start_offset = 0;
};

struct CompactionResult {
  int segments_cleaned = 0;
  int64_t records_removed = 0;
  int64_t tombstones_removed = 0;
  uint64_t bytes_before = 0;
  uint64_t bytes_after = 0;
};

class Log {
 public:
  // Opens (or creates) the log in `dir`: loads segments, recovers those past the recovery point,
  // removes leftovers of interrupted operations (*.cleaned, *.deleted, *.tmp), loads the epoch cache.
  // `logger` reports recovery actions (component "log").
  static Result<std::unique_ptr<Log>> open(io::Fs& fs, std::string dir, LogConfig config, io::Clock& clock,
                                           Logger logger);
  ~Log();
  Log(const Log&) = delete;
  Log& operator=(const Log&) = delete;

  // Appends producer batches: validates them (CRC, records, sizes), assigns offsets from the LEO and
  // stamps `leader_epoch`, then applies the flush policy. `batches` is one or more concatenated v2 batches.
  Result<AppendInfo> append_as_leader(ByteSpan batches, int32_t leader_epoch);
  // Appends batches fetched from the leader, offsets kept. The first base offset must be >= the LEO and
  // offsets must increase (gaps only as the leader's compaction made them).
  Result<AppendInfo> append_as_follower(ByteSpan batches);

  // Whole batches from the one holding `offset`. kNotFound if offset < log start or > LEO; at the LEO
  // the result is empty.
  Result<FetchResult> read(int64_t offset, const ReadOptions& options = {});

  // ListOffsets by timestamp: the first offset whose record timestamp is >= timestamp_ms, nullopt if
  // every record is older (Kafka then answers with the LEO).
  Result<std::optional<int64_t>> offset_for_timestamp(int64_t timestamp_ms);

  // Removes every batch whose last offset >= offset (a follower truncating to the leader's epoch end).
  // The truncation is durable when this returns. No-op if offset >= LEO.
  Status truncate_to(int64_t offset);
  // Deletes everything; the log restarts empty at `offset` (a follower far behind the leader's start).
  Status truncate_fully_and_start_at(int64_t offset);

  // fsyncs everything appended so far.
  Status flush();
  // Flushes if log.flush.interval.ms has passed since the first unflushed append (a periodic task).
  Status maybe_flush();
  // Writes the recovery-point checkpoint (what open() need not re-validate): the flushed offset.
  Status checkpoint_recovery_point();

  // OffsetForLeaderEpoch: (epoch, end offset) per Kafka's rules; (-1, -1) for an unknown epoch.
  std::pair<int32_t, int64_t> end_offset_for_epoch(int32_t epoch) const;

  // Deletes whole segments, oldest first, while they are past retention.ms (by their largest
  // timestamp) or the log is over retention.bytes, and lie wholly below the high watermark. Rolls the
  // active segment first if it must go too. Only under cleanup.policy with "delete".
  Result<RetentionResult> apply_retention(int64_t now_ms);
  // cleanup.policy=compact: rewrites the segments below the active segment and the high watermark
  // keeping the latest record of each key (records without a key stay), dropping tombstones whose
  // timestamp is more than delete.retention.ms before now_ms. Batches keep their offsets (gaps appear).
  Result<CompactionResult> compact(int64_t now_ms);

  // Flushes, syncs the indexes, checkpoints the recovery point and closes the files (a clean shutdown:
  // the next open re-validates nothing).
  Status close();

  int64_t log_start_offset() const;
  int64_t log_end_offset() const;
  int64_t high_watermark() const { return high_watermark_; }
  // REQUIRES: log_start_offset() <= offset <= log_end_offset().
  void set_high_watermark(int64_t offset);
  // Everything below this offset is fsynced.
  int64_t flushed_offset() const { return flushed_offset_; }
  int64_t recovery_point() const { return recovery_point_; }
  uint64_t size_bytes() const;
  std::vector<SegmentInfo> segments() const;
  const std::vector<EpochEntry>& epochs() const { return epochs_.entries(); }
  int32_t latest_epoch() const { return epochs_.latest_epoch(); }
  const std::string& dir() const { return dir_; }
  const LogConfig& config() const { return config_; }

 private:
  Log(io::Fs& fs, std::string dir, LogConfig config, io::Clock& clock, Logger logger);

  Status load();
  Status remove_leftovers(const std::vector<std::string>& names);
  // Validates a buffer of batches; fills headers (positions relative to the buffer).
  Status validate_batches(ByteSpan bytes, bool check_records, std::vector<BatchHeader>* headers);
  Result<AppendInfo> append_validated(ByteSpan bytes, std::vector<BatchHeader> headers);
  Status maybe_roll(uint64_t append_bytes, int64_t first_offset, int64_t last_offset);
  // Syncs the active segment and starts a new one at new_base (replacing an empty active segment).
  Status roll(int64_t new_base);
  LogSegment& active() { return *segments_.rbegin()->second; }
  const LogSegment& active() const { return *segments_.rbegin()->second; }
  Status delete_segments(std::vector<int64_t> bases);
  Status clean_segment(LogSegment& seg, const std::map<Bytes, int64_t>& latest, int64_t now_ms,
                       CompactionResult* result);

  io::Fs& fs_;
  std::string dir_;
  LogConfig config_;
  io::Clock& clock_;
  Logger logger_;
  std::map<int64_t, std::unique_ptr<LogSegment>> segments_;  // by base offset
  LeaderEpochCache epochs_;
  int64_t high_watermark_ = 0;
  int64_t flushed_offset_ = 0;
  int64_t recovery_point_ = 0;  // as checkpointed
  int64_t unflushed_records_ = 0;
  int64_t first_unflushed_ms_ = -1;
  bool dir_dirty_ = false;
  bool closed_ = false;
};

}  // namespace kz::kafka::log
