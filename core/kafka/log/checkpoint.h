// Small checkpoint files of a partition directory, in Kafka's text format:
//   leader-epoch-checkpoint   "0\n<count>\n<epoch> <start offset>\n..."  (Kafka's exact format)
//   recovery-point            "0\n<offset>\n" (Kafka keeps one recovery-point-offset-checkpoint per data
//                             directory; kz keeps the partition's own in its directory)
// Files are replaced with Fs::write_file_atomic, so a crash leaves the old or the new file, never a mix.
// A file that does not parse is kCorruption naming the file and the line.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/base/status.h"
#include "core/io/fs.h"

namespace kz::kafka::log {

inline constexpr const char* kLeaderEpochCheckpointFile = "leader-epoch-checkpoint";
inline constexpr const char* kRecoveryPointFile = "recovery-point";

struct EpochEntry {
  int32_t epoch = 0;
  int64_t start_offset = 0;
  bool operator==(const EpochEntry&) const = default;
};

std::string format_epoch_checkpoint(const std::vector<EpochEntry>& entries);
// `name` is for messages. Entries must have increasing epochs and non-decreasing offsets.
Result<std::vector<EpochEntry>> parse_epoch_checkpoint(std::string_view text, std::string_view name);

std::string format_recovery_point(int64_t offset);
Result<int64_t> parse_recovery_point(std::string_view text, std::string_view name);

// Reads `path` if it exists (nullopt-like: `found` false), else returns its text.
Result<std::pair<bool, std::string>> read_optional_text(io::Fs& fs, const std::string& path);

// The leader epoch cache: for each leader epoch, the first offset written in it. Answers
// OffsetForLeaderEpoch (end_offset_for) and is truncated with the log. Persisted to
// leader-epoch-checkpoint on every change (changes are rare: one per leadership change).
class LeaderEpochCache {
 public:
  LeaderEpochCache(io::Fs& fs, std::string path) : fs_(fs), path_(std::move(path)) {}

  // Loads the checkpoint (missing file: empty cache).
  Status load();
  const std::vector<EpochEntry>& entries() const { return entries_; }
  // The latest epoch, or -1 if none.
  int32_t latest_epoch() const { return entries_.empty() ? -1 : entries_.back().epoch; }

  // Records that `epoch` starts at `start_offset`. An epoch older than the latest is ignored (Kafka
  // logs and ignores it too); the same epoch again keeps its first start offset.
  // REQUIRES: start_offset >= the latest entry's start offset when epoch is newer.
  Status assign(int32_t epoch, int64_t start_offset);
  // Drops entries whose start offset is >= end_offset (the log was truncated to end_offset).
  Status truncate_from_end(int64_t end_offset);
  // The log now starts at start_offset: entries wholly before it go, the last of them moves up to it.
  Status truncate_from_start(int64_t start_offset);
  Status clear();

  // Kafka's endOffsetFor: (the largest epoch <= requested, the start offset of the next larger epoch),
  // (requested, log_end_offset) for the latest epoch, (-1, -1) when requested is newer than every epoch
  // or undefined (-1).
  std::pair<int32_t, int64_t> end_offset_for(int32_t requested_epoch, int64_t log_end_offset) const;

 private:
  Status persist();
  io::Fs& fs_;
  std::string path_;
  std::vector<EpochEntry> entries_;
};

}  // namespace kz::kafka::log
