#include "core/kafka/log/segment.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

namespace kz::kafka::log {

namespace {

constexpr uint64_t kMaxRelativeOffset = std::numeric_limits<int32_t>::max();

void put_be32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}
void put_be64(uint8_t* p, uint64_t v) {
  put_be32(p, static_cast<uint32_t>(v >> 32));
  put_be32(p + 4, static_cast<uint32_t>(v));
}

}  // namespace

std::string segment_file_name(int64_t base_offset, std::string_view suffix) {
  return fmt::format("{:020d}{}", base_offset, suffix);
}

bool parse_segment_file_name(std::string_view name, std::string_view suffix, int64_t* base_offset) {
  if (name.size() != 20 + suffix.size() || name.substr(20) != suffix) return false;
  int64_t v = 0;
  for (size_t i = 0; i < 20; i++) {
    const char c = name[i];
    if (c < '0' || c > '9') return false;
    if (v > (std::numeric_limits<int64_t>::max() - (c - '0')) / 10) return false;
    v = v * 10 + (c - '0');
  }
  *base_offset = v;
  return true;
}

Result<BatchHeader> parse_batch_header(ByteSpan bytes, uint64_t position) {
  KZ_ASSERT(bytes.size() >= kBatchHeaderBytes);
  BatchHeader h;
  h.position = position;
  const int32_t length = static_cast<int32_t>(load_be32(bytes.data() + batch_field::kBatchLength));
  if (length < static_cast<int32_t>(kBatchHeaderBytes - kLogOverheadBytes)) {
    return error(Code::kCorruption,
                 fmt::format("batch at position {}: batchLength {} is shorter than a header", position, length));
  }
  const int8_t magic = static_cast<int8_t>(bytes[batch_field::kMagic]);
  if (magic != kMagicV2) {
    return error(Code::kCorruption, fmt::format("batch at position {}: magic {} is not 2", position, magic));
  }
  h.size_bytes = static_cast<uint32_t>(length) + kLogOverheadBytes;
  h.base_offset = static_cast<int64_t>(load_be64(bytes.data() + batch_field::kBaseOffset));
  const int32_t delta = static_cast<int32_t>(load_be32(bytes.data() + batch_field::kLastOffsetDelta));
  if (h.base_offset < 0 || delta < 0 || h.base_offset > std::numeric_limits<int64_t>::max() - delta) {
    return error(Code::kCorruption, fmt::format("batch at position {}: bad offsets (base {}, lastOffsetDelta {})",
                                                position, h.base_offset, delta));
  }
  h.last_offset = h.base_offset + delta;
  h.max_timestamp_ms = static_cast<int64_t>(load_be64(bytes.data() + batch_field::kMaxTimestamp));
  h.partition_leader_epoch = static_cast<int32_t>(load_be32(bytes.data() + batch_field::kPartitionLeaderEpoch));
  h.record_count = static_cast<int32_t>(load_be32(bytes.data() + batch_field::kRecordCount));
  return h;
}

// ---- SegmentReader

Status SegmentReader::ensure(uint64_t position, size_t size_bytes) {
  KZ_ASSERT(position + size_bytes <= end_);
  if (position >= window_position_ && position + size_bytes <= window_position_ + window_.size()) {
    return Status::ok();
  }
  const uint64_t want = std::min<uint64_t>(std::max<uint64_t>(size_bytes, chunk_), end_ - position);
  window_.resize(want);
  window_position_ = position;
  Status s = file_.read_exact(position, std::span<uint8_t>(window_.data(), window_.size()));
  if (!s.is_ok()) {
    window_.clear();
    return s;
  }
  return Status::ok();
}

Result<BatchHeader> SegmentReader::header_at(uint64_t position) {
  KZ_ASSERT(position <= end_);
  if (end_ - position < kBatchHeaderBytes) {
    return error(Code::kCorruption, fmt::format("torn batch at position {}: {} bytes left, less than a header",
                                                position, end_ - position));
  }
  KZ_RETURN_IF_ERROR(ensure(position, kBatchHeaderBytes));
  const ByteSpan bytes(window_.data() + (position - window_position_), kBatchHeaderBytes);
  KZ_ASSIGN_OR_RETURN(BatchHeader h, parse_batch_header(bytes, position));
  if (h.size_bytes > end_ - position) {
    return error(Code::kCorruption, fmt::format("torn batch at position {}: {} bytes long, {} left", position,
                                                h.size_bytes, end_ - position));
  }
  return h;
}

Result<ByteSpan> SegmentReader::batch_bytes(const BatchHeader& header) {
  KZ_RETURN_IF_ERROR(ensure(header.position, header.size_bytes));
  return ByteSpan(window_.data() + (header.position - window_position_), header.size_bytes);
}

Status SegmentReader::copy(uint64_t from, uint64_t to, Bytes* out) {
  KZ_ASSERT(from <= to && to <= end_);
  const size_t old_size = out->size();
  out->resize(old_size + (to - from));
  if (from >= window_position_ && to <= window_position_ + window_.size()) {
    std::copy_n(window_.data() + (from - window_position_), to - from, out->data() + old_size);
    return Status::ok();
  }
  Status s = file_.read_exact(from, std::span<uint8_t>(out->data() + old_size, to - from));
  if (!s.is_ok()) out->resize(old_size);
  return s;
}

// ---- LogSegment

LogSegment::LogSegment(io::Fs& fs, std::string dir, int64_t base_offset, std::unique_ptr<io::File> log, int64_t now_ms)
    : fs_(fs),
      dir_(std::move(dir)),
      base_offset_(base_offset),
      log_path_(io::join_path(dir_, segment_file_name(base_offset, ".log"))),
      log_(std::move(log)),
      next_offset_(base_offset),
      rolling_base_ms_(now_ms) {}

std::string LogSegment::index_path() const {
  return io::join_path(dir_, segment_file_name(base_offset_, ".index"));
}
std::string LogSegment::time_index_path() const {
  return io::join_path(dir_, segment_file_name(base_offset_, ".timeindex"));
}

Result<std::unique_ptr<LogSegment>> LogSegment::create(io::Fs& fs, const std::string& dir, int64_t base_offset,
                                                       int64_t now_ms) {
  KZ_ASSERT(base_offset >= 0);
  const std::string path = io::join_path(dir, segment_file_name(base_offset, ".log"));
  KZ_ASSIGN_OR_RETURN(auto file, fs.open(path, io::OpenOptions::create_new()));
  std::unique_ptr<LogSegment> seg(new LogSegment(fs, dir, base_offset, std::move(file), now_ms));
  for (const std::string& p : {seg->index_path(), seg->time_index_path()}) {
    KZ_ASSIGN_OR_RETURN(auto f, fs.open(p, io::OpenOptions::create_new()));
    KZ_RETURN_IF_ERROR(f->close());
  }
  return seg;
}

Result<std::unique_ptr<LogSegment>> LogSegment::open(io::Fs& fs, const std::string& dir, int64_t base_offset,
                                                     int64_t now_ms) {
  const std::string path = io::join_path(dir, segment_file_name(base_offset, ".log"));
  KZ_ASSIGN_OR_RETURN(auto file, fs.open(path, io::OpenOptions::read_write()));
  KZ_ASSIGN_OR_RETURN(uint64_t size, file->size());
  std::unique_ptr<LogSegment> seg(new LogSegment(fs, dir, base_offset, std::move(file), now_ms));
  seg->size_bytes_ = size;
  return seg;
}

void LogSegment::reset_state() {
  next_offset_ = base_offset_;
  max_timestamp_ms_ = kNoTimestamp;
  offset_of_max_timestamp_ = -1;
  bytes_since_index_ = 0;
  offset_index_.clear();
  time_index_.clear();
  offset_index_written_ = 0;
  time_index_written_ = 0;
}

void LogSegment::index_batch(const BatchHeader& h, uint32_t index_interval_bytes) {
  KZ_ASSERT(h.base_offset >= next_offset_);
  KZ_ASSERT(static_cast<uint64_t>(h.last_offset - base_offset_) <= kMaxRelativeOffset);
  if (h.max_timestamp_ms > max_timestamp_ms_) {
    max_timestamp_ms_ = h.max_timestamp_ms;
    offset_of_max_timestamp_ = h.last_offset;
  }
  if (bytes_since_index_ >= index_interval_bytes) {
    offset_index_.push_back(OffsetIndexEntry{h.base_offset, static_cast<uint32_t>(h.position)});
    if (max_timestamp_ms_ >= 0 && (time_index_.empty() || max_timestamp_ms_ > time_index_.back().timestamp_ms)) {
      time_index_.push_back(TimeIndexEntry{max_timestamp_ms_, offset_of_max_timestamp_});
    }
    bytes_since_index_ = 0;
    index_dirty_ = true;
  }
  bytes_since_index_ += h.size_bytes;
  next_offset_ = h.last_offset + 1;
}

Status LogSegment::append(ByteSpan bytes, std::span<const BatchHeader> batches, uint32_t index_interval_bytes) {
  KZ_ASSERT(!batches.empty());
  KZ_ASSERT(batches.front().base_offset >= next_offset_);
  const uint64_t start = size_bytes_;
  KZ_ASSERT(start + bytes.size() <= std::numeric_limits<uint32_t>::max());
  Status s = log_->append(bytes);
  if (!s.is_ok()) {
    // A partial write must not stay: the next append would land after garbage.
    (void)log_->truncate(start);
    return s;
  }
  log_dirty_ = true;
  size_bytes_ = start + bytes.size();
  for (BatchHeader h : batches) {
    h.position += start;
    index_batch(h, index_interval_bytes);
  }
  return Status::ok();
}

uint64_t LogSegment::index_position_for(int64_t offset) const {
  auto it = std::upper_bound(offset_index_.begin(), offset_index_.end(), offset,
                             [](int64_t o, const OffsetIndexEntry& e) { return o < e.offset; });
  if (it == offset_index_.begin()) return 0;
  return std::prev(it)->position;
}

Result<std::optional<int64_t>> LogSegment::read(int64_t offset, size_t max_bytes, int64_t max_offset,
                                                bool min_one_batch, bool verify_crc, Bytes* out) {
  uint64_t position = index_position_for(offset);
  SegmentReader reader(*log_, size_bytes_, std::max<size_t>(max_bytes + 16 * 1024, 64 * 1024));
  // Skip the batches before `offset`.
  std::optional<BatchHeader> first;
  while (position < size_bytes_) {
    Result<BatchHeader> h = reader.header_at(position);
    if (!h.is_ok()) return h.status().with_context(log_path_);
    if (h->last_offset >= offset) {
      first = *h;
      break;
    }
    position += h->size_bytes;
  }
  if (!first) return std::optional<int64_t>();
  uint64_t end = first->position;
  for (uint64_t p = first->position; p < size_bytes_;) {
    Result<BatchHeader> h = reader.header_at(p);
    if (!h.is_ok()) return h.status().with_context(log_path_);
    if (h->base_offset >= max_offset) break;
    if (end - first->position + h->size_bytes > max_bytes && !(min_one_batch && end == first->position)) break;
    end += h->size_bytes;
    p += h->size_bytes;
  }
  const size_t out_start = out->size();
  Status s = reader.copy(first->position, end, out);
  if (!s.is_ok()) return s.with_context(log_path_);
  if (verify_crc) {
    for (size_t p = out_start; p < out->size();) {
      const uint32_t size =
          static_cast<uint32_t>(load_be32(out->data() + p + batch_field::kBatchLength)) + kLogOverheadBytes;
      Result<BatchView> view = BatchView::parse(ByteSpan(out->data() + p, size));
      if (!view.is_ok()) {
        out->resize(out_start);
        return view.status().with_context(
            fmt::format("{}: batch at position {}", log_path_, first->position + (p - out_start)));
      }
      p += size;
    }
  }
  return std::optional<int64_t>(first->base_offset);
}

Result<std::optional<int64_t>> LogSegment::offset_for_timestamp(int64_t timestamp_ms, int64_t min_offset) {
  if (max_timestamp_ms_ < timestamp_ms) return std::optional<int64_t>();
  // Entries (T, o) with T < timestamp_ms: every record up to o is older, start after it.
  int64_t start = min_offset;
  auto it = std::lower_bound(time_index_.begin(), time_index_.end(), timestamp_ms,
                             [](const TimeIndexEntry& e, int64_t t) { return e.timestamp_ms < t; });
  if (it != time_index_.begin()) start = std::max(start, std::prev(it)->offset + 1);
  SegmentReader reader(*log_, size_bytes_, 64 * 1024);
  Bytes scratch;
  for (uint64_t position = index_position_for(start); position < size_bytes_;) {
    Result<BatchHeader> h = reader.header_at(position);
    if (!h.is_ok()) return h.status().with_context(log_path_);
    position += h->size_bytes;
    if (h->last_offset < start || h->max_timestamp_ms < timestamp_ms) continue;
    Result<ByteSpan> bytes = reader.batch_bytes(*h);
    if (!bytes.is_ok()) return bytes.status().with_context(log_path_);
    Result<BatchView> view = BatchView::parse(*bytes);
    if (!view.is_ok())
      return view.status().with_context(fmt::format("{}: batch at position {}", log_path_, h->position));
    std::optional<int64_t> found;
    Status s = view->for_each_record(DecodeOptions{}, &scratch, [&](const RecordView& r) {
      if (!found && r.offset >= start && r.timestamp_ms >= timestamp_ms) found = r.offset;
      return Status::ok();
    });
    if (!s.is_ok()) return s.with_context(fmt::format("{}: batch at position {}", log_path_, h->position));
    if (found) return found;
  }
  return std::optional<int64_t>();
}

Status LogSegment::scan_tail(uint64_t position) {
  SegmentReader reader(*log_, size_bytes_, 64 * 1024);
  while (position < size_bytes_) {
    KZ_ASSIGN_OR_RETURN(BatchHeader h, reader.header_at(position));
    if (h.base_offset < next_offset_ && position != 0) {
      return error(Code::kCorruption, fmt::format("batch at position {}: base offset {} is before {}", position,
                                                  h.base_offset, next_offset_));
    }
    if (h.base_offset < base_offset_ || static_cast<uint64_t>(h.last_offset - base_offset_) > kMaxRelativeOffset) {
      return error(Code::kCorruption, fmt::format("batch at position {}: offsets {}..{} outside the segment", position,
                                                  h.base_offset, h.last_offset));
    }
    if (position == 0 && h.max_timestamp_ms >= 0) rolling_base_ms_ = h.max_timestamp_ms;
    if (h.max_timestamp_ms > max_timestamp_ms_) {
      max_timestamp_ms_ = h.max_timestamp_ms;
      offset_of_max_timestamp_ = h.last_offset;
    }
    next_offset_ = h.last_offset + 1;
    position += h.size_bytes;
  }
  return Status::ok();
}

Result<bool> LogSegment::load_indexes(std::string* reason) {
  reset_state();
  auto load = [&](const std::string& path, size_t entry_bytes, Bytes* out) -> Result<bool> {
    KZ_ASSIGN_OR_RETURN(bool exists, fs_.exists(path));
    if (!exists) {
      *reason = fmt::format("{} is missing", path);
      return false;
    }
    KZ_ASSIGN_OR_RETURN(*out, fs_.read_file(path));
    if (out->size() % entry_bytes != 0) {
      *reason = fmt::format("{}: size {} is not a multiple of {}", path, out->size(), entry_bytes);
      return false;
    }
    return true;
  };
  Bytes offset_bytes, time_bytes;
  KZ_ASSIGN_OR_RETURN(bool ok, load(index_path(), kOffsetIndexEntryBytes, &offset_bytes));
  if (!ok) return false;
  KZ_ASSIGN_OR_RETURN(ok, load(time_index_path(), kTimeIndexEntryBytes, &time_bytes));
  if (!ok) return false;
  for (size_t p = 0; p < offset_bytes.size(); p += kOffsetIndexEntryBytes) {
    const OffsetIndexEntry e{base_offset_ + load_be32(offset_bytes.data() + p), load_be32(offset_bytes.data() + p + 4)};
    if (e.position >= size_bytes_ || (!offset_index_.empty() && (e.offset <= offset_index_.back().offset ||
                                                                 e.position <= offset_index_.back().position))) {
      *reason = fmt::format("{}: entry {} (offset {}, position {}) is out of order or past the log's {} bytes",
                            index_path(), p / kOffsetIndexEntryBytes, e.offset, e.position, size_bytes_);
      return false;
    }
    offset_index_.push_back(e);
  }
  for (size_t p = 0; p < time_bytes.size(); p += kTimeIndexEntryBytes) {
    const TimeIndexEntry e{static_cast<int64_t>(load_be64(time_bytes.data() + p)),
                           base_offset_ + load_be32(time_bytes.data() + p + 8)};
    if (e.timestamp_ms < 0 || (!time_index_.empty() && (e.timestamp_ms <= time_index_.back().timestamp_ms ||
                                                        e.offset < time_index_.back().offset))) {
      *reason = fmt::format("{}: entry {} (timestamp {}, offset {}) is out of order", time_index_path(),
                            p / kTimeIndexEntryBytes, e.timestamp_ms, e.offset);
      return false;
    }
    time_index_.push_back(e);
  }
  offset_index_written_ = offset_index_.size();
  time_index_written_ = time_index_.size();
  uint64_t tail = 0;
  if (!offset_index_.empty()) {
    const OffsetIndexEntry& last = offset_index_.back();
    SegmentReader reader(*log_, size_bytes_, kBatchHeaderBytes);
    Result<BatchHeader> h = reader.header_at(last.position);
    if (!h.is_ok() || h->base_offset != last.offset) {
      *reason = fmt::format("{}: last entry (offset {}, position {}) does not point at that batch", index_path(),
                            last.offset, last.position);
      return false;
    }
    tail = last.position;
    next_offset_ = last.offset;
  }
  if (!time_index_.empty()) {
    max_timestamp_ms_ = time_index_.back().timestamp_ms;
    offset_of_max_timestamp_ = time_index_.back().offset;
  }
  // The first batch's timestamp for segment.ms.
  if (size_bytes_ >= kBatchHeaderBytes && tail != 0) {
    SegmentReader reader(*log_, size_bytes_, kBatchHeaderBytes);
    Result<BatchHeader> h = reader.header_at(0);
    if (h.is_ok() && h->max_timestamp_ms >= 0) rolling_base_ms_ = h->max_timestamp_ms;
  }
  Status s = scan_tail(tail);
  if (!s.is_ok()) {
    *reason = fmt::format("{}: {}", log_path_, s.message());
    return false;
  }
  if (!time_index_.empty() && time_index_.back().offset >= next_offset_) {
    *reason = fmt::format("{}: last entry names offset {}, past the log's end {}", time_index_path(),
                          time_index_.back().offset, next_offset_);
    return false;
  }
  // Appends continue the index as if it had been built here.
  bytes_since_index_ = size_bytes_ - (offset_index_.empty() ? 0 : offset_index_.back().position);
  return true;
}

Result<RecoverResult> LogSegment::recover(uint32_t index_interval_bytes) {
  reset_state();
  RecoverResult result;
  SegmentReader reader(*log_, size_bytes_, size_t{1} << 20);
  uint64_t position = 0;
  while (position < size_bytes_) {
    Result<BatchHeader> h = reader.header_at(position);
    if (!h.is_ok()) {
      result.reason = h.status().message();
      break;
    }
    Result<ByteSpan> bytes = reader.batch_bytes(*h);
    if (!bytes.is_ok()) return bytes.status().with_context(log_path_);
    Result<BatchView> view = BatchView::parse(*bytes);
    if (!view.is_ok()) {
      result.reason = fmt::format("batch at position {}: {}", position, view.status().message());
      break;
    }
    if (h->base_offset < next_offset_ || static_cast<uint64_t>(h->last_offset - base_offset_) > kMaxRelativeOffset) {
      result.reason = fmt::format("batch at position {}: offsets {}..{} do not follow {} in a segment based at {}",
                                  position, h->base_offset, h->last_offset, next_offset_ - 1, base_offset_);
      break;
    }
    if (position == 0 && h->max_timestamp_ms >= 0) rolling_base_ms_ = h->max_timestamp_ms;
    index_batch(*h, index_interval_bytes);
    position += h->size_bytes;
  }
  result.valid_bytes = position;
  if (position < size_bytes_) {
    result.truncated_bytes = size_bytes_ - position;
    KZ_RETURN_IF_ERROR(log_->truncate(position));
    size_bytes_ = position;
    log_dirty_ = true;
  }
  KZ_RETURN_IF_ERROR(rewrite_index_files());
  return result;
}

Status LogSegment::truncate_to(int64_t offset) {
  if (offset >= next_offset_) return Status::ok();
  uint64_t position = index_position_for(offset);
  SegmentReader reader(*log_, size_bytes_, 64 * 1024);
  while (position < size_bytes_) {
    Result<BatchHeader> h = reader.header_at(position);
    if (!h.is_ok()) return h.status().with_context(log_path_);
    if (h->last_offset >= offset) break;
    position += h->size_bytes;
  }
  KZ_RETURN_IF_ERROR(log_->truncate(position));
  // Truncation must be durable before anyone relies on it (a follower re-fetches over it).
  KZ_RETURN_IF_ERROR(log_->sync());
  size_bytes_ = position;
  // Keep the index entries of kept batches (time entries name last offsets, all < offset when kept),
  // then re-derive next offset and max timestamp from the headers.
  std::vector<OffsetIndexEntry> offsets = offset_index_;
  while (!offsets.empty() && offsets.back().position >= position) offsets.pop_back();
  std::vector<TimeIndexEntry> times = time_index_;
  while (!times.empty() && times.back().offset >= offset) times.pop_back();
  reset_state();
  offset_index_ = std::move(offsets);
  time_index_ = std::move(times);
  KZ_RETURN_IF_ERROR(scan_tail(0));
  bytes_since_index_ = size_bytes_ - (offset_index_.empty() ? 0 : offset_index_.back().position);
  return rewrite_index_files();
}

Status LogSegment::write_pending_index_entries() {
  if (offset_index_written_ == offset_index_.size() && time_index_written_ == time_index_.size()) {
    return Status::ok();
  }
  Bytes bytes;
  if (offset_index_written_ < offset_index_.size()) {
    bytes.resize((offset_index_.size() - offset_index_written_) * kOffsetIndexEntryBytes);
    uint8_t* p = bytes.data();
    for (size_t i = offset_index_written_; i < offset_index_.size(); i++, p += kOffsetIndexEntryBytes) {
      put_be32(p, static_cast<uint32_t>(offset_index_[i].offset - base_offset_));
      put_be32(p + 4, offset_index_[i].position);
    }
    KZ_ASSIGN_OR_RETURN(auto f, fs_.open(index_path(), io::OpenOptions::create_or_open()));
    KZ_RETURN_IF_ERROR(f->pwrite(offset_index_written_ * kOffsetIndexEntryBytes, bytes));
    offset_index_written_ = offset_index_.size();
    KZ_RETURN_IF_ERROR(f->close());
  }
  if (time_index_written_ < time_index_.size()) {
    bytes.assign((time_index_.size() - time_index_written_) * kTimeIndexEntryBytes, 0);
    uint8_t* p = bytes.data();
    for (size_t i = time_index_written_; i < time_index_.size(); i++, p += kTimeIndexEntryBytes) {
      put_be64(p, static_cast<uint64_t>(time_index_[i].timestamp_ms));
      put_be32(p + 8, static_cast<uint32_t>(time_index_[i].offset - base_offset_));
    }
    KZ_ASSIGN_OR_RETURN(auto f, fs_.open(time_index_path(), io::OpenOptions::create_or_open()));
    KZ_RETURN_IF_ERROR(f->pwrite(time_index_written_ * kTimeIndexEntryBytes, bytes));
    time_index_written_ = time_index_.size();
    KZ_RETURN_IF_ERROR(f->close());
  }
  index_dirty_ = true;
  return Status::ok();
}

Status LogSegment::rewrite_index_files() {
  for (const std::string& p : {index_path(), time_index_path()}) {
    KZ_ASSIGN_OR_RETURN(auto f, fs_.open(p, io::OpenOptions::create_new()));
    KZ_RETURN_IF_ERROR(f->close());
  }
  offset_index_written_ = 0;
  time_index_written_ = 0;
  index_dirty_ = true;
  return write_pending_index_entries();
}

Status LogSegment::flush() {
  KZ_RETURN_IF_ERROR(write_pending_index_entries());
  if (log_dirty_) {
    KZ_RETURN_IF_ERROR(log_->sync());
    log_dirty_ = false;
  }
  return Status::ok();
}

Status LogSegment::flush_indexes() {
  KZ_RETURN_IF_ERROR(write_pending_index_entries());
  if (!index_dirty_) return Status::ok();
  for (const std::string& p : {index_path(), time_index_path()}) {
    KZ_ASSIGN_OR_RETURN(auto f, fs_.open(p, io::OpenOptions::create_or_open()));
    KZ_RETURN_IF_ERROR(f->sync());
    KZ_RETURN_IF_ERROR(f->close());
  }
  index_dirty_ = false;
  return Status::ok();
}

Status LogSegment::close() {
  KZ_RETURN_IF_ERROR(write_pending_index_entries());
  return log_->close();
}

Status LogSegment::remove_files() {
  (void)log_->close();
  KZ_RETURN_IF_ERROR(fs_.remove(log_path_));
  for (const std::string& p : {index_path(), time_index_path()}) {
    KZ_ASSIGN_OR_RETURN(bool exists, fs_.exists(p));
    if (exists) KZ_RETURN_IF_ERROR(fs_.remove(p));
  }
  return Status::ok();
}

}  // namespace kz::kafka::log
