#include "core/kafka/log/log.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

namespace kz::kafka::log {

namespace {

constexpr int64_t kMaxRelativeOffset = std::numeric_limits<int32_t>::max();

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::span<const uint8_t> as_span(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace

Log::Log(io::Fs& fs, std::string dir, LogConfig config, io::Clock& clock, Logger logger)
    : fs_(fs),
      dir_(std::move(dir)),
      config_(config),
      clock_(clock),
      logger_(std::move(logger)),
      epochs_(fs, io::join_path(dir_, kLeaderEpochCheckpointFile)) {}

Log::~Log() = default;

Result<std::unique_ptr<Log>> Log::open(io::Fs& fs, std::string dir, LogConfig config, io::Clock& clock, Logger logger) {
  KZ_RETURN_IF_ERROR(config.validate());
  std::unique_ptr<Log> log(new Log(fs, std::move(dir), config, clock, std::move(logger)));
  Status s = log->load();
  if (!s.is_ok()) return s.with_context(fmt::format("open log {}", log->dir_));
  return log;
}

Status Log::remove_leftovers(const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    int64_t base = 0;
    bool orphan_index = false;
    if (parse_segment_file_name(name, ".index", &base) || parse_segment_file_name(name, ".timeindex", &base)) {
      orphan_index = std::find(names.begin(), names.end(), segment_file_name(base, ".log")) == names.end();
    }
    if (orphan_index || ends_with(name, ".cleaned") || ends_with(name, ".deleted") || ends_with(name, ".swap") ||
        ends_with(name, ".tmp")) {
      logger_.info("log", "{}: removing leftover {}", dir_, name);
      KZ_RETURN_IF_ERROR(fs_.remove(io::join_path(dir_, name)));
      dir_dirty_ = true;
    }
  }
  return Status::ok();
}

Status Log::load() {
  KZ_RETURN_IF_ERROR(fs_.mkdirs(dir_));
  KZ_ASSIGN_OR_RETURN(std::vector<std::string> names, fs_.list(dir_));
  KZ_RETURN_IF_ERROR(remove_leftovers(names));
  KZ_RETURN_IF_ERROR(epochs_.load());
  const std::string rp_path = io::join_path(dir_, kRecoveryPointFile);
  KZ_ASSIGN_OR_RETURN(auto rp_file, read_optional_text(fs_, rp_path));
  if (rp_file.first) {
    KZ_ASSIGN_OR_RETURN(recovery_point_, parse_recovery_point(rp_file.second, rp_path));
  }
  std::vector<int64_t> bases;
  for (const std::string& name : names) {
    int64_t base = 0;
    if (parse_segment_file_name(name, ".log", &base)) bases.push_back(base);
  }
  std::sort(bases.begin(), bases.end());
  const int64_t now_ms = clock_.wall_ms();
  if (bases.empty()) {
    KZ_ASSIGN_OR_RETURN(auto seg, LogSegment::create(fs_, dir_, 0, now_ms));
    segments_[0] = std::move(seg);
    KZ_RETURN_IF_ERROR(fs_.sync_dir(dir_));
    dir_dirty_ = false;
    recovery_point_ = 0;
    flushed_offset_ = 0;
    KZ_RETURN_IF_ERROR(epochs_.truncate_from_end(0));
    return Status::ok();
  }
  bool recovered_any = false;
  for (size_t i = 0; i < bases.size(); i++) {
    KZ_ASSIGN_OR_RETURN(auto seg, LogSegment::open(fs_, dir_, bases[i], now_ms));
    const bool last = i + 1 == bases.size();
    const int64_t upper = last ? std::numeric_limits<int64_t>::max() : bases[i + 1];
    bool recover = upper > recovery_point_ && !last;
    if (!recover) {
      std::string reason;
      KZ_ASSIGN_OR_RETURN(bool ok, seg->load_indexes(&reason));
      if (last && (!ok || seg->next_offset() > recovery_point_)) {
        // The active segment holds data past the recovery point (an unclean shutdown): validate it.
        logger_.info("log", "{}: recovering {} past the recovery point {}", dir_, seg->log_path(), recovery_point_);
        recover = true;
      } else if (!ok) {
        logger_.warn("log", "{}: rebuilding the indexes of {}: {}", dir_, seg->log_path(), reason);
        recover = true;
      }
    }
    if (!segments_.empty() && !seg->empty()) {
      const LogSegment& prev = *segments_.rbegin()->second;
      if (prev.next_offset() > seg->base_offset()) {
        return error(Code::kCorruption, fmt::format("{} ends at offset {}, after {} starts", prev.log_path(),
                                                    prev.next_offset() - 1, seg->log_path()));
      }
    }
    if (recover) {
      recovered_any = true;
      KZ_ASSIGN_OR_RETURN(RecoverResult r, seg->recover(config_.index_interval_bytes));
      if (r.truncated_bytes > 0) {
        logger_.warn("log", "{}: truncated {} bytes at position {} (next offset {}): {}", seg->log_path(),
                     r.truncated_bytes, r.valid_bytes, seg->next_offset(), r.reason);
        segments_[bases[i]] = std::move(seg);
        // Everything after a cut is not a continuation of the log: drop later segments.
        for (size_t j = i + 1; j < bases.size(); j++) {
          logger_.warn("log", "{}: deleting segment {} after the truncated tail", dir_,
                       segment_file_name(bases[j], ".log"));
          KZ_ASSIGN_OR_RETURN(auto later, LogSegment::open(fs_, dir_, bases[j], now_ms));
          KZ_RETURN_IF_ERROR(later->remove_files());
          dir_dirty_ = true;
        }
        break;
      }
    }
    segments_[bases[i]] = std::move(seg);
  }
  const int64_t leo = log_end_offset();
  recovery_point_ = std::min(recovery_point_, leo);
  flushed_offset_ = recovery_point_;
  high_watermark_ = log_start_offset();
  KZ_RETURN_IF_ERROR(epochs_.truncate_from_end(leo));
  KZ_RETURN_IF_ERROR(epochs_.truncate_from_start(log_start_offset()));
  if (recovered_any || dir_dirty_) {
    // What recovery kept is made durable once, so the next open starts from here.
    KZ_RETURN_IF_ERROR(flush());
    for (auto& [base, seg] : segments_) KZ_RETURN_IF_ERROR(seg->flush_indexes());
    KZ_RETURN_IF_ERROR(checkpoint_recovery_point());
  }
  return Status::ok();
}

int64_t Log::log_start_offset() const {
  return segments_.begin()->first;
}
int64_t Log::log_end_offset() const {
  return active().next_offset();
}

void Log::set_high_watermark(int64_t offset) {
  KZ_ASSERT_MSG(offset <= log_end_offset(), fmt::format("high watermark {} > LEO {}", offset, log_end_offset()));
  KZ_ASSERT_MSG(offset >= log_start_offset(),
                fmt::format("high watermark {} < log start {}", offset, log_start_offset()));
  high_watermark_ = offset;
}

uint64_t Log::size_bytes() const {
  uint64_t total = 0;
  for (const auto& [base, seg] : segments_) total += seg->size_bytes();
  return total;
}

std::vector<SegmentInfo> Log::segments() const {
  std::vector<SegmentInfo> out;
  for (const auto& [base, seg] : segments_) {
    out.push_back(SegmentInfo{base, seg->next_offset(), seg->size_bytes(), seg->max_timestamp_ms()});
  }
  return out;
}

Status Log::validate_batches(ByteSpan bytes, bool check_records, std::vector<BatchHeader>* headers) {
  if (bytes.empty()) return error(Code::kInvalidArgument, "append of no batches");
  size_t position = 0;
  Bytes scratch;
  while (position < bytes.size()) {
    const size_t left = bytes.size() - position;
    if (left < kBatchHeaderBytes) {
      return error(Code::kInvalidArgument, fmt::format("truncated batch at position {}: {} bytes", position, left));
    }
    const int8_t magic = static_cast<int8_t>(bytes[position + kMagicOffset]);
    if (magic != kMagicV2) {
      return error(Code::kInvalidArgument,
                   fmt::format("batch at position {}: magic {} (only v2 batches are stored)", position, magic));
    }
    Result<BatchHeader> h = parse_batch_header(bytes.subspan(position, kBatchHeaderBytes), position);
    if (!h.is_ok()) return error(Code::kInvalidArgument, h.status().message());
    if (h->size_bytes > left) {
      return error(Code::kInvalidArgument,
                   fmt::format("batch at position {}: {} bytes long, only {} given", position, h->size_bytes, left));
    }
    if (h->size_bytes > config_.max_message_bytes) {
      return error(Code::kInvalidArgument, fmt::format("record too large: batch at position {} is {} bytes, "
                                                       "max.message.bytes is {}",
                                                       position, h->size_bytes, config_.max_message_bytes));
    }
    Result<BatchView> view = BatchView::parse(bytes.subspan(position, h->size_bytes));
    if (!view.is_ok()) {
      return error(Code::kInvalidArgument,
                   fmt::format("corrupt batch at position {}: {}", position, view.status().message()));
    }
    if (check_records) {
      if (view->record_count() < 1 || int64_t{view->record_count()} != int64_t{view->last_offset_delta()} + 1) {
        return error(Code::kInvalidArgument, fmt::format("batch at position {}: {} records with lastOffsetDelta {}",
                                                         position, view->record_count(), view->last_offset_delta()));
      }
      int32_t expected_delta = 0;
      Status s = view->for_each_record(DecodeOptions{}, &scratch, [&](const RecordView& r) {
        if (r.offset_delta != expected_delta) {
          return error(Code::kInvalidArgument,
                       fmt::format("record {} has offset delta {}", expected_delta, r.offset_delta));
        }
        expected_delta++;
        return Status::ok();
      });
      if (!s.is_ok()) {
        return error(Code::kInvalidArgument,
                     fmt::format("invalid records in batch at position {}: {}", position, s.message()));
      }
    }
    headers->push_back(*h);
    position += h->size_bytes;
  }
  return Status::ok();
}

Result<AppendInfo> Log::append_as_leader(ByteSpan batches, int32_t leader_epoch) {
  KZ_ASSERT(!closed_);
  std::vector<BatchHeader> headers;
  KZ_RETURN_IF_ERROR(validate_batches(batches, /*check_records=*/true, &headers));
  if (leader_epoch >= 0 && leader_epoch < epochs_.latest_epoch()) {
    return error(Code::kInvalidArgument, fmt::format("leader epoch {} is older than the log's latest epoch {}",
                                                     leader_epoch, epochs_.latest_epoch()));
  }
  Bytes bytes(batches.begin(), batches.end());
  const int64_t now_ms = clock_.wall_ms();
  const bool log_append_time = config_.message_timestamp_type == TimestampType::kLogAppendTime;
  int64_t next = log_end_offset();
  for (BatchHeader& h : headers) {
    const std::span<uint8_t> batch(bytes.data() + h.position, h.size_bytes);
    set_base_offset(batch, next);
    set_partition_leader_epoch(batch, leader_epoch);
    if (log_append_time) {
      set_log_append_time(batch, now_ms);
      h.max_timestamp_ms = now_ms;
    }
    h.last_offset = next + (h.last_offset - h.base_offset);
    h.base_offset = next;
    h.partition_leader_epoch = leader_epoch;
    next = h.last_offset + 1;
  }
  if (leader_epoch >= 0 && leader_epoch > epochs_.latest_epoch()) {
    KZ_RETURN_IF_ERROR(epochs_.assign(leader_epoch, log_end_offset()));
  }
  KZ_ASSIGN_OR_RETURN(AppendInfo info, append_validated(bytes, std::move(headers)));
  if (log_append_time) info.log_append_time_ms = now_ms;
  return info;
}

Result<AppendInfo> Log::append_as_follower(ByteSpan batches) {
  KZ_ASSERT(!closed_);
  std::vector<BatchHeader> headers;
  KZ_RETURN_IF_ERROR(validate_batches(batches, /*check_records=*/false, &headers));
  int64_t next = log_end_offset();
  for (const BatchHeader& h : headers) {
    if (h.base_offset < next) {
      return error(Code::kInvalidArgument,
                   fmt::format("batch at position {} starts at offset {}, before {}", h.position, h.base_offset, next));
    }
    next = h.last_offset + 1;
  }
  for (const BatchHeader& h : headers) {
    if (h.partition_leader_epoch >= 0 && h.partition_leader_epoch > epochs_.latest_epoch()) {
      KZ_RETURN_IF_ERROR(epochs_.assign(h.partition_leader_epoch, h.base_offset));
    }
  }
  return append_validated(batches, std::move(headers));
}

Result<AppendInfo> Log::append_validated(ByteSpan bytes, std::vector<BatchHeader> headers) {
  KZ_ASSERT(!headers.empty());
  if (headers.back().last_offset - headers.front().base_offset > kMaxRelativeOffset) {
    return error(Code::kInvalidArgument, fmt::format("one append spans offsets {}..{}, more than a segment holds",
                                                     headers.front().base_offset, headers.back().last_offset));
  }
  KZ_RETURN_IF_ERROR(maybe_roll(bytes.size(), headers.front().base_offset, headers.back().last_offset));
  KZ_RETURN_IF_ERROR(active().append(bytes, headers, config_.index_interval_bytes));
  AppendInfo info;
  info.first_offset = headers.front().base_offset;
  info.last_offset = headers.back().last_offset;
  info.batch_count = static_cast<int32_t>(headers.size());
  info.size_bytes = bytes.size();
  for (const BatchHeader& h : headers) {
    info.record_count += h.record_count;
    if (h.max_timestamp_ms > info.max_timestamp_ms) {
      info.max_timestamp_ms = h.max_timestamp_ms;
      info.offset_of_max_timestamp = h.last_offset;
    }
  }
  unflushed_records_ += info.record_count;
  const int64_t now_ms = clock_.now_ns() / 1'000'000;
  if (first_unflushed_ms_ < 0) first_unflushed_ms_ = now_ms;
  if (unflushed_records_ >= config_.flush_interval_messages ||
      now_ms - first_unflushed_ms_ >= config_.flush_interval_ms) {
    KZ_RETURN_IF_ERROR(flush());
    info.flushed = true;
  }
  return info;
}

Status Log::maybe_roll(uint64_t append_bytes, int64_t first_offset, int64_t last_offset) {
  LogSegment& a = active();
  const bool offsets_overflow = last_offset - a.base_offset() > kMaxRelativeOffset;
  if (a.empty()) {
    return offsets_overflow ? roll(first_offset) : Status::ok();
  }
  const bool full = a.size_bytes() + append_bytes > config_.segment_bytes;
  const bool old = clock_.wall_ms() - a.rolling_base_ms() >= config_.segment_ms;
  if (full || old || offsets_overflow) return roll(std::max(first_offset, log_end_offset()));
  return Status::ok();
}

Status Log::roll(int64_t new_base) {
  LogSegment& old = active();
  KZ_ASSERT(new_base >= old.next_offset());
  KZ_RETURN_IF_ERROR(old.flush());
  KZ_RETURN_IF_ERROR(old.flush_indexes());
  const int64_t old_next = old.next_offset();
  if (old.empty()) {
    KZ_ASSERT(new_base != old.base_offset());
    KZ_RETURN_IF_ERROR(old.remove_files());
    segments_.erase(old.base_offset());
  }
  KZ_ASSIGN_OR_RETURN(auto seg, LogSegment::create(fs_, dir_, new_base, clock_.wall_ms()));
  segments_[new_base] = std::move(seg);
  dir_dirty_ = true;
  logger_.debug("log", "{}: rolled to segment {}", dir_, new_base);
  // Every earlier segment was synced when it was rolled: all below old_next is durable.
  flushed_offset_ = std::max(flushed_offset_, old_next);
  unflushed_records_ = 0;
  first_unflushed_ms_ = -1;
  return checkpoint_recovery_point();  // also syncs the directory (the new segment's entries)
}

Status Log::flush() {
  for (auto& [base, seg] : segments_) {
    if (seg->dirty()) KZ_RETURN_IF_ERROR(seg->flush());
  }
  if (dir_dirty_) {
    KZ_RETURN_IF_ERROR(fs_.sync_dir(dir_));
    dir_dirty_ = false;
  }
  flushed_offset_ = log_end_offset();
  unflushed_records_ = 0;
  first_unflushed_ms_ = -1;
  return Status::ok();
}

Status Log::maybe_flush() {
  if (first_unflushed_ms_ < 0) return Status::ok();
  if (clock_.now_ns() / 1'000'000 - first_unflushed_ms_ >= config_.flush_interval_ms) return flush();
  return Status::ok();
}

Status Log::checkpoint_recovery_point() {
  // The indexes of every segment below the active one were synced at roll; the active one's are
  // synced here if the checkpoint covers it.
  const int64_t point = flushed_offset_;
  if (point > active().base_offset()) KZ_RETURN_IF_ERROR(active().flush_indexes());
  KZ_RETURN_IF_ERROR(
      fs_.write_file_atomic(io::join_path(dir_, kRecoveryPointFile), as_span(format_recovery_point(point))));
  dir_dirty_ = false;
  recovery_point_ = point;
  return Status::ok();
}

Result<FetchResult> Log::read(int64_t offset, const ReadOptions& options) {
  const int64_t start = log_start_offset();
  const int64_t end = log_end_offset();
  if (offset < start || offset > end) {
    return error(Code::kNotFound, fmt::format("offset {} is out of range [{}, {}] of {}", offset, start, end, dir_));
  }
  FetchResult result;
  result.high_watermark = high_watermark_;
  result.log_start_offset = start;
  result.log_end_offset = end;
  const int64_t max_offset = options.max_offset < 0 ? end : std::min(options.max_offset, end);
  if (offset >= max_offset) return result;
  auto it = segments_.upper_bound(offset);
  KZ_ASSERT(it != segments_.begin());
  for (--it; it != segments_.end(); ++it) {
    KZ_ASSIGN_OR_RETURN(std::optional<int64_t> first,
                        it->second->read(offset, options.max_bytes, max_offset, options.min_one_batch,
                                         config_.verify_crc_on_read, &result.records));
    if (first) {
      result.first_batch_offset = *first;
      break;
    }
  }
  return result;
}

Result<std::optional<int64_t>> Log::offset_for_timestamp(int64_t timestamp_ms) {
  for (auto& [base, seg] : segments_) {
    KZ_ASSIGN_OR_RETURN(std::optional<int64_t> found, seg->offset_for_timestamp(timestamp_ms, base));
    if (found) return found;
  }
  return std::optional<int64_t>();
}

Status Log::delete_segments(std::vector<int64_t> bases) {
  for (int64_t base : bases) {
    auto it = segments_.find(base);
    KZ_ASSERT(it != segments_.end());
    KZ_RETURN_IF_ERROR(it->second->remove_files());
    segments_.erase(it);
  }
  if (!bases.empty()) KZ_RETURN_IF_ERROR(fs_.sync_dir(dir_));
  return Status::ok();
}

Status Log::truncate_to(int64_t offset) {
  KZ_ASSERT(offset >= 0);
  if (offset >= log_end_offset()) return Status::ok();
  if (offset <= log_start_offset()) return truncate_fully_and_start_at(offset);
  logger_.info("log", "{}: truncating from offset {} to {}", dir_, log_end_offset(), offset);
  std::vector<int64_t> doomed;
  for (auto it = segments_.lower_bound(offset); it != segments_.end(); ++it) doomed.push_back(it->first);
  // lower_bound: segments starting at or after offset go whole; offset > log start keeps the first.
  KZ_ASSERT(doomed.size() < segments_.size());
  KZ_RETURN_IF_ERROR(delete_segments(std::move(doomed)));
  KZ_RETURN_IF_ERROR(active().truncate_to(offset));
  KZ_RETURN_IF_ERROR(active().flush_indexes());
  const int64_t leo = log_end_offset();
  KZ_RETURN_IF_ERROR(epochs_.truncate_from_end(leo));
  high_watermark_ = std::min(high_watermark_, leo);
  flushed_offset_ = std::min(flushed_offset_, leo);
  if (recovery_point_ > leo) KZ_RETURN_IF_ERROR(checkpoint_recovery_point());
  return Status::ok();
}

Status Log::truncate_fully_and_start_at(int64_t offset) {
  KZ_ASSERT(offset >= 0);
  logger_.info("log", "{}: deleting all segments, restarting at offset {}", dir_, offset);
  std::vector<int64_t> all;
  for (const auto& [base, seg] : segments_) all.push_back(base);
  for (int64_t base : all) {
    KZ_RETURN_IF_ERROR(segments_.at(base)->remove_files());
    segments_.erase(base);
  }
  KZ_ASSIGN_OR_RETURN(auto seg, LogSegment::create(fs_, dir_, offset, clock_.wall_ms()));
  segments_[offset] = std::move(seg);
  KZ_RETURN_IF_ERROR(epochs_.clear());
  high_watermark_ = offset;
  flushed_offset_ = offset;
  unflushed_records_ = 0;
  first_unflushed_ms_ = -1;
  return checkpoint_recovery_point();
}

std::pair<int32_t, int64_t> Log::end_offset_for_epoch(int32_t epoch) const {
  return epochs_.end_offset_for(epoch, log_end_offset());
}

Result<RetentionResult> Log::apply_retention(int64_t now_ms) {
  KZ_ASSERT(!closed_);
  RetentionResult result;
  result.log_start_offset = log_start_offset();
  if (!config_.cleanup_delete) return result;
  uint64_t total = size_bytes();
  std::vector<int64_t> doomed;
  bool active_goes = false;
  for (auto it = segments_.begin(); it != segments_.end(); ++it) {
    const LogSegment& seg = *it->second;
    const bool is_active = std::next(it) == segments_.end();
    const int64_t upper = is_active ? log_end_offset() : std::next(it)->first;
    if (upper > high_watermark_ || (is_active && seg.empty())) break;
    const bool by_time = config_.retention_ms >= 0 && seg.max_timestamp_ms() >= 0 &&
                         now_ms - seg.max_timestamp_ms() > config_.retention_ms;
    const bool by_size =
        config_.retention_bytes >= 0 && total - seg.size_bytes() >= static_cast<uint64_t>(config_.retention_bytes);
    if (!by_time && !by_size) break;
    logger_.info("log", "{}: deleting segment {} ({} bytes, offsets {}..{}) by retention {}", dir_,
                 segment_file_name(it->first, ".log"), seg.size_bytes(), it->first, upper - 1,
                 by_time ? "time" : "size");
    doomed.push_back(it->first);
    total -= seg.size_bytes();
    result.bytes_deleted += seg.size_bytes();
    active_goes = is_active;
  }
  if (doomed.empty()) return result;
  if (active_goes) KZ_RETURN_IF_ERROR(roll(log_end_offset()));
  result.segments_deleted = static_cast<int>(doomed.size());
  KZ_RETURN_IF_ERROR(delete_segments(std::move(doomed)));
  const int64_t start = log_start_offset();
  KZ_RETURN_IF_ERROR(epochs_.truncate_from_start(start));
  high_watermark_ = std::max(high_watermark_, start);
  flushed_offset_ = std::max(flushed_offset_, start);
  if (recovery_point_ < start) KZ_RETURN_IF_ERROR(checkpoint_recovery_point());
  result.log_start_offset = start;
  return result;
}

Status Log::close() {
  if (closed_) return Status::ok();
  KZ_RETURN_IF_ERROR(flush());
  for (auto& [base, seg] : segments_) KZ_RETURN_IF_ERROR(seg->flush_indexes());
  KZ_RETURN_IF_ERROR(checkpoint_recovery_point());
  for (auto& [base, seg] : segments_) KZ_RETURN_IF_ERROR(seg->close());
  closed_ = true;
  return Status::ok();
}

}  // namespace kz::kafka::log
