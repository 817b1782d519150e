// LogSegment: one file of a partition's log and its two sparse indexes, with Kafka's names:
//   00000000000000000000.log        batches as stored (RecordBatch v2, offsets assigned)
//   00000000000000000000.index      offset index: 8-byte entries (offset - base u32, file position u32)
//   00000000000000000000.timeindex  time index: 12-byte entries (max timestamp so far i64, offset - base u32)
// all big-endian. An index entry is added once index.interval.bytes of log bytes have gone by since the
// previous one; the offset entry names the base offset of the batch at that position, the time entry the
// segment's largest timestamp so far and the last offset of the batch that carried it.
//
// Durability: flush() fsyncs the .log only; index files are written but fsynced only by
// flush_indexes() (at roll and close). That is safe because recovery rebuilds the indexes of every
// segment past the recovery point, and the recovery point only passes a segment once its indexes were
// synced. A segment object is used by one fiber at a time (the Log serializes mutations).
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/io/fs.h"
#include "core/kafka/records/record_batch.h"

namespace kz::kafka::log {

inline constexpr size_t kOffsetIndexEntryBytes = 8;
inline constexpr size_t kTimeIndexEntryBytes = 12;

// "%020d" + suffix: segment_file_name(42, ".log") == "00000000000000000042.log".
std::string segment_file_name(int64_t base_offset, std::string_view suffix);
// Parses "<20 digits><suffix>"; false for anything else.
bool parse_segment_file_name(std::string_view name, std::string_view suffix, int64_t* base_offset);

// What a scan or an append knows about one batch.
struct BatchHeader {
  uint64_t position = 0;  // in the segment file (in an append: in the appended bytes)
  int64_t base_offset = 0;
  int64_t last_offset = 0;
  int64_t max_timestamp_ms = kNoTimestamp;
  int32_t partition_leader_epoch = kNoPartitionLeaderEpoch;
  int32_t record_count = 0;
  uint32_t size_bytes = 0;
};

// Reads the fixed part of a batch header from at least kBatchHeaderBytes bytes (no CRC check).
// kCorruption when the length field or magic cannot belong to a v2 batch.
Result<BatchHeader> parse_batch_header(ByteSpan bytes, uint64_t position);

struct OffsetIndexEntry {
  int64_t offset = 0;
  uint32_t position = 0;
};
struct TimeIndexEntry {
  int64_t timestamp_ms = 0;
  int64_t offset = 0;
};

// A window of a segment file read in large chunks: headers and batches are served from memory.
class SegmentReader {
 public:
  SegmentReader(io::File& file, uint64_t end_bytes, size_t chunk_bytes)
      : file_(file), end_(end_bytes), chunk_(chunk_bytes) {}
  // The header of the batch at `position`; kCorruption (torn or bad) naming the position otherwise.
  Result<BatchHeader> header_at(uint64_t position);
  // The whole batch at `header` (which header_at returned), valid until the next call.
  Result<ByteSpan> batch_bytes(const BatchHeader& header);
  // Copies [from, to) into *out.
  Status copy(uint64_t from, uint64_t to, Bytes* out);
  uint64_t end_bytes() const { return end_; }

 private:
  Status ensure(uint64_t position, size_t size_bytes);
  io::File& file_;
  uint64_t end_;
  size_t chunk_;
  Bytes window_;
  uint64_t window_position_ = 0;
};

struct RecoverResult {
  uint64_t truncated_bytes = 0;  // 0: the segment was clean
  uint64_t valid_bytes = 0;
  std::string reason;  // why the tail was cut
};

class LogSegment {
 public:
  // Creates the three files (empty; existing ones are truncated).
  static Result<std::unique_ptr<LogSegment>> create(io::Fs& fs, const std::string& dir, int64_t base_offset,
                                                    int64_t now_ms);
  // Opens an existing .log. Then either load_indexes() (trusting the log) or recover().
  static Result<std::unique_ptr<LogSegment>> open(io::Fs& fs, const std::string& dir, int64_t base_offset,
                                                  int64_t now_ms);

  int64_t base_offset() const { return base_offset_; }
  uint64_t size_bytes() const { return size_bytes_; }
  bool empty() const { return size_bytes_ == 0; }
  // The offset after the last batch (base_offset() when empty).
  int64_t next_offset() const { return next_offset_; }
  int64_t max_timestamp_ms() const { return max_timestamp_ms_; }
  int64_t offset_of_max_timestamp() const { return offset_of_max_timestamp_; }
  // segment.ms counts from here: the creation time (wall clock) for a segment created by this process,
  // the first batch's max timestamp for one opened from disk. (Kafka always uses the first batch's
  // timestamp, so producers with old timestamps make it roll on every append; kz does not.)
  int64_t rolling_base_ms() const { return rolling_base_ms_; }
  bool dirty() const { return log_dirty_; }
  const std::string& log_path() const { return log_path_; }
  const std::vector<OffsetIndexEntry>& offset_index() const { return offset_index_; }
  const std::vector<TimeIndexEntry>& time_index() const { return time_index_; }

  // Appends batches whose offsets are assigned (one write). `batches` describes them in order, with
  // positions relative to `bytes`. On error nothing is kept (the file is cut back).
  // REQUIRES: batches[0].base_offset >= next_offset(), and every offset within 2^31 of base_offset().
  Status append(ByteSpan bytes, std::span<const BatchHeader> batches, uint32_t index_interval_bytes);

  // Reads whole batches starting with the first whose last offset >= `offset`, at most max_bytes
  // (but at least one batch if min_one_batch), stopping before a batch whose base offset >=
  // max_offset. Appends them to *out and returns the first returned batch's base offset; nullopt if
  // no batch of this segment reaches `offset`. With verify_crc, a batch that fails its CRC is kCorruption
  // naming the file and position.
  Result<std::optional<int64_t>> read(int64_t offset, size_t max_bytes, int64_t max_offset, bool min_one_batch,
                                      bool verify_crc, Bytes* out);
  // The first offset >= min_offset whose record timestamp is >= timestamp_ms (ListOffsets by time),
  // nullopt if none here. The time index skips the prefix known to be older.
  Result<std::optional<int64_t>> offset_for_timestamp(int64_t timestamp_ms, int64_t min_offset);
  // Calls fn(header, bytes) for every batch, in order (full CRC validation first). For compaction.
  template <typename Fn>
  Status for_each_batch(Fn&& fn);

  // Loads the index files and checks they are plausible (sorted, inside the log, the last offset entry
  // pointing at a batch with its offset); derives next_offset and the max timestamp from the index and
  // a scan of the bytes after its last entry. Returns false with *reason if the indexes (or that tail)
  // cannot be trusted: the caller then recovers the segment.
  Result<bool> load_indexes(std::string* reason);
  // Validates every batch (length, magic, CRC, offsets increasing from base_offset), cuts the file at the
  // first bad one, and rebuilds both indexes from the valid batches.
  Result<RecoverResult> recover(uint32_t index_interval_bytes);

  // Drops every batch whose last offset >= offset (so a batch holding `offset` goes whole).
  Status truncate_to(int64_t offset);

  // Writes pending index entries and fsyncs the log file.
  Status flush();
  // Writes pending index entries and fsyncs both index files.
  Status flush_indexes();
  Status close();
  // Closes and removes the three files (directory sync is the caller's).
  Status remove_files();

  std::string index_path() const;
  std::string time_index_path() const;

 private:
  LogSegment(io::Fs& fs, std::string dir, int64_t base_offset, std::unique_ptr<io::File> log, int64_t now_ms);

  void reset_state();
  void index_batch(const BatchHeader& h, uint32_t index_interval_bytes);
  // Position of the largest offset index entry <= offset (0 if none).
  uint64_t index_position_for(int64_t offset) const;
  Status write_pending_index_entries();
  Status rewrite_index_files();
  // Scans headers from `position` to the end, updating next offset / max timestamp (no index entries).
  Status scan_tail(uint64_t position);

  io::Fs& fs_;
  std::string dir_;
  int64_t base_offset_;
  std::string log_path_;
  std::unique_ptr<io::File> log_;
  uint64_t size_bytes_ = 0;
  int64_t next_offset_;
  int64_t max_timestamp_ms_ = kNoTimestamp;
  int64_t offset_of_max_timestamp_ = -1;
  int64_t rolling_base_ms_;
  uint64_t bytes_since_index_ = 0;
  bool log_dirty_ = false;
  bool index_dirty_ = false;
  std::vector<OffsetIndexEntry> offset_index_;
  std::vector<TimeIndexEntry> time_index_;
  // Entries [written, size) are not in the files yet.
  size_t offset_index_written_ = 0;
  size_t time_index_written_ = 0;
};

template <typename Fn>
Status LogSegment::for_each_batch(Fn&& fn) {
  SegmentReader reader(*log_, size_bytes_, size_t{1} << 20);
  uint64_t position = 0;
  while (position < size_bytes_) {
    KZ_ASSIGN_OR_RETURN(BatchHeader h, reader.header_at(position));
    KZ_ASSIGN_OR_RETURN(ByteSpan bytes, reader.batch_bytes(h));
    Result<BatchView> view = BatchView::parse(bytes);
    if (!view.is_ok()) return view.status().with_context(fmt::format("{} at position {}", log_path_, position));
    KZ_RETURN_IF_ERROR(fn(h, *view));
    position += h.size_bytes;
  }
  return Status::ok();
}

}  // namespace kz::kafka::log
