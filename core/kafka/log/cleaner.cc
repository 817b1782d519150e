// Log compaction (cleanup.policy=compact): Log::compact and the rewrite of one segment.
//
// Crash safety: a segment is rewritten into NNN.log.cleaned, fsynced, then renamed over NNN.log (an
// atomic replace) after its index files were removed; open() deletes a leftover .cleaned and rebuilds
// missing indexes. A crash therefore leaves either the old or the new segment, both valid.
#include <fmt/format.h>

#include "core/kafka/log/log.h"
#include "core/kafka/records/batch_builder.h"

namespace kz::kafka::log {

Result<CompactionResult> Log::compact(int64_t now_ms) {
  KZ_ASSERT(!closed_);
  CompactionResult result;
  if (!config_.cleanup_compact) return result;
  const int64_t bound = std::min(active().base_offset(), high_watermark_);
  std::vector<int64_t> cleanable;
  for (auto it = segments_.begin(); std::next(it) != segments_.end(); ++it) {
    if (std::next(it)->first > bound) break;
    cleanable.push_back(it->first);
  }
  if (cleanable.empty()) return result;
  // Pass 1: the latest offset of every key in the cleanable range (an ordered map: no hash order).
  std::map<Bytes, int64_t> latest;
  Bytes scratch;
  for (int64_t base : cleanable) {
    Status s = segments_.at(base)->for_each_batch([&](const BatchHeader&, const BatchView& view) -> Status {
      if (view.is_control()) return Status::ok();
      return view.for_each_record(DecodeOptions{}, &scratch, [&](const RecordView& r) {
        if (r.key) latest[Bytes(r.key->begin(), r.key->end())] = r.offset;
        return Status::ok();
      });
    });
    if (!s.is_ok()) return s.with_context("compaction");
  }
  // Pass 2: rewrite each segment.
  for (int64_t base : cleanable) {
    KZ_RETURN_IF_ERROR(clean_segment(*segments_.at(base), latest, now_ms, &result));
  }
  logger_.info("log", "{}: compacted {} segments: {} records and {} tombstones removed, {} -> {} bytes", dir_,
               result.segments_cleaned, result.records_removed, result.tombstones_removed, result.bytes_before,
               result.bytes_after);
  return result;
}

Status Log::clean_segment(LogSegment& seg, const std::map<Bytes, int64_t>& latest, int64_t now_ms,
                          CompactionResult* result) {
  const int64_t base = seg.base_offset();
  const std::string cleaned_path = seg.log_path() + ".cleaned";
  KZ_ASSIGN_OR_RETURN(auto out, fs_.open(cleaned_path, io::OpenOptions::create_new()));
  Bytes pending;
  Bytes scratch;
  int64_t removed_here = 0;
  auto write_pending = [&]() -> Status {
    if (pending.empty()) return Status::ok();
    KZ_RETURN_IF_ERROR(out->append(pending));
    pending.clear();
    return Status::ok();
  };
  Status s = seg.for_each_batch([&](const BatchHeader&, const BatchView& view) -> Status {
    if (view.is_control()) {
      pending.insert(pending.end(), view.bytes().begin(), view.bytes().end());
      return Status::ok();
    }
    std::vector<Record> kept;
    int64_t removed = 0;
    KZ_RETURN_IF_ERROR(view.for_each_record(DecodeOptions{}, &scratch, [&](const RecordView& r) {
      bool keep = true;
      if (r.key) {
        auto it = latest.find(Bytes(r.key->begin(), r.key->end()));
        if (it != latest.end() && it->second != r.offset) keep = false;  // a later value exists
      }
      if (keep && !r.value && r.timestamp_ms + config_.delete_retention_ms <= now_ms) {
        keep = false;  // a tombstone past delete.retention.ms
        result->tombstones_removed++;
      }
      if (keep) {
        kept.push_back(r.to_record());
      } else {
        removed++;
      }
      return Status::ok();
    }));
    removed_here += removed;
    if (removed == 0) {
      pending.insert(pending.end(), view.bytes().begin(), view.bytes().end());
    } else if (!kept.empty()) {
      BatchOptions options;
      options.base_offset = view.base_offset();
      options.partition_leader_epoch = view.partition_leader_epoch();
      options.compression = view.compression();
      options.timestamp_type = view.timestamp_type();
      options.is_transactional = view.is_transactional();
      options.producer_id = view.producer_id();
      options.producer_epoch = view.producer_epoch();
      options.base_sequence = view.base_sequence();
      KZ_RETURN_IF_ERROR(append_batch(options, kept, &pending));
    }
    if (pending.size() >= (size_t{1} << 20)) return write_pending();
    return Status::ok();
  });
  if (s.is_ok()) s = write_pending();
  if (s.is_ok() && removed_here > 0) s = out->sync();
  (void)out->close();
  if (!s.is_ok() || removed_here == 0) {
    KZ_RETURN_IF_ERROR(fs_.remove(cleaned_path));
    if (!s.is_ok()) return s.with_context(fmt::format("compacting {}", seg.log_path()));
    return Status::ok();
  }
  result->segments_cleaned++;
  result->records_removed += removed_here;
  result->bytes_before += seg.size_bytes();
  // Swap: the old indexes go first (a crash before the rename leaves the old log with indexes to
  // rebuild), then the cleaned file replaces the log atomically.
  const std::string log_path = seg.log_path();
  KZ_RETURN_IF_ERROR(seg.close());
  for (const std::string& p : {seg.index_path(), seg.time_index_path()}) {
    KZ_ASSIGN_OR_RETURN(bool exists, fs_.exists(p));
    if (exists) KZ_RETURN_IF_ERROR(fs_.remove(p));
  }
  segments_.erase(base);  // `seg` is gone from here on
  KZ_RETURN_IF_ERROR(fs_.rename(cleaned_path, log_path));
  KZ_RETURN_IF_ERROR(fs_.sync_dir(dir_));
  KZ_ASSIGN_OR_RETURN(auto fresh, LogSegment::open(fs_, dir_, base, clock_.wall_ms()));
  KZ_ASSIGN_OR_RETURN(RecoverResult r, fresh->recover(config_.index_interval_bytes));
  if (r.truncated_bytes != 0) {
    return error(Code::kCorruption, fmt::format("{}: the cleaned segment does not validate: {}", log_path, r.reason));
  }
  KZ_RETURN_IF_ERROR(fresh->flush_indexes());
  result->bytes_after += fresh->size_bytes();
  segments_[base] = std::move(fresh);
  return Status::ok();
}

}  // namespace kz::kafka::log
