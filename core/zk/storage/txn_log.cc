#include "core/zk/storage/txn_log.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "core/zk/storage/checksum.h"

namespace kz::zk::storage {

namespace {
constexpr uint8_t kMagic[4] = {'K', 'Z', 'T', 'L'};
constexpr uint32_t kVersion = 1;
constexpr std::string_view kComponent = "txnlog";

void encode_header(std::vector<uint8_t>& out) {
  out.insert(out.end(), kMagic, kMagic + 4);
  uint8_t v[4];
  put_u32_be(v, kVersion);
  out.insert(out.end(), v, v + 4);
}

void encode_record(std::vector<uint8_t>& out, uint64_t zxid, std::span<const uint8_t> payload) {
  uint8_t header[TxnLog::kRecordHeaderBytes];
  put_u32_be(header, static_cast<uint32_t>(payload.size()));
  put_u64_be(header + 8, zxid);
  uint32_t crc = crc32c(std::span<const uint8_t>(header, 4));
  crc = crc32c_extend(crc, std::span<const uint8_t>(header + 8, 8));
  crc = crc32c_extend(crc, payload);
  put_u32_be(header + 4, crc);
  out.insert(out.end(), header, header + sizeof(header));
  out.insert(out.end(), payload.begin(), payload.end());
}

// A record that passes every check at `offset`; its total size in *record_bytes.
bool valid_record_at(std::span<const uint8_t> data, uint64_t offset, uint64_t prev_zxid, uint32_t record_bytes_max,
                     uint64_t* zxid, uint64_t* record_bytes) {
  if (offset + TxnLog::kRecordHeaderBytes > data.size()) return false;
  const uint8_t* h = data.data() + offset;
  uint32_t len = get_u32_be(h);
  if (len > record_bytes_max) return false;
  if (offset + TxnLog::kRecordHeaderBytes + len > data.size()) return false;
  uint64_t z = get_u64_be(h + 8);
  if (z <= prev_zxid) return false;
  uint32_t crc = crc32c(std::span<const uint8_t>(h, 4));
  crc = crc32c_extend(crc, std::span<const uint8_t>(h + 8, 8));
  crc = crc32c_extend(crc, std::span<const uint8_t>(h + TxnLog::kRecordHeaderBytes, len));
  if (crc != get_u32_be(h + 4)) return false;
  *zxid = z;
  *record_bytes = TxnLog::kRecordHeaderBytes + len;
  return true;
}

// Offset one past the last non-zero byte (0 if there is none).
uint64_t nonzero_end(std::span<const uint8_t> data) {
  uint64_t end = data.size();
  while (end > 0 && data[end - 1] == 0) end--;
  return end;
}

bool header_ok(std::span<const uint8_t> data) {
  return data.size() >= TxnLog::kHeaderBytes && std::memcmp(data.data(), kMagic, 4) == 0 &&
         get_u32_be(data.data() + 4) == kVersion;
}
}  // namespace

std::string txn_log_file_name(uint64_t first_zxid) { return fmt::format("log.{:x}", first_zxid); }

bool parse_hex_suffix(std::string_view name, std::string_view prefix, uint64_t* value) {
  if (name.size() <= prefix.size() || name.substr(0, prefix.size()) != prefix) return false;
  std::string_view hex = name.substr(prefix.size());
  if (hex.size() > 16) return false;
  uint64_t v = 0;
  for (char c : hex) {
    uint64_t d;
    if (c >= '0' && c <= '9') {
      d = static_cast<uint64_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      d = static_cast<uint64_t>(c - 'a' + 10);
    } else {
      return false;
    }
    v = (v << 4) | d;
  }
  *value = v;
  return true;
}

bool parse_txn_log_file_name(std::string_view name, uint64_t* first_zxid) {
  return parse_hex_suffix(name, "log.", first_zxid);
}

TxnLog::TxnLog(const io::Env& env, TxnLogOptions options) : env_(env), options_(std::move(options)) {}

TxnLog::~TxnLog() {
  if (active_) (void)active_->close();
}

std::string TxnLog::path_of(const std::string& name) const { return io::join_path(options_.dir, name); }

Result<std::unique_ptr<TxnLog>> TxnLog::open(const io::Env& env, TxnLogOptions options) {
  KZ_ASSERT(env.fs != nullptr);
  KZ_ASSERT(!options.dir.empty());
  KZ_ASSERT(options.file_bytes_target > 0);
  std::unique_ptr<TxnLog> log(new TxnLog(env, std::move(options)));
  KZ_RETURN_IF_ERROR(log->recover());
  return log;
}

void TxnLog::lock() {
  // Truncate and purge change files under the syncs' feet: they wait for every sync to finish.
  while (busy_ || syncs_in_flight_ > 0) wait_for_change();
  busy_ = true;
}

void TxnLog::unlock() {
  KZ_ASSERT(busy_);
  busy_ = false;
  if (!waiters_.empty()) waiters_.wake_all(*env_.sched);
}

Status TxnLog::recover() {
  io::Fs& fs = *env_.fs;
  KZ_RETURN_IF_ERROR(fs.mkdirs(options_.dir));
  KZ_ASSIGN_OR_RETURN(std::vector<std::string> names, fs.list(options_.dir));
  for (const std::string& name : names) {
    uint64_t first = 0;
    if (!parse_txn_log_file_name(name, &first)) continue;  // snapshots, epoch files, tmp files
    files_.push_back(TxnLogFile{name, first, 0, 0});
  }
  std::sort(files_.begin(), files_.end(),
            [](const TxnLogFile& a, const TxnLogFile& b) { return a.first_zxid < b.first_zxid; });
  uint64_t prev_zxid = 0;
  for (size_t i = 0; i < files_.size(); i++) {
    KZ_RETURN_IF_ERROR(recover_file(i, i + 1 == files_.size(), &prev_zxid));
  }
  // The last file may have lost all of its records to a torn tail: such a file names no record.
  if (!files_.empty() && files_.back().last_zxid == 0) {
    std::string name = files_.back().name;
    env_.log.warn(kComponent, "{}: no complete record, removing it", path_of(name));
    KZ_RETURN_IF_ERROR(fs.remove(path_of(name)));
    KZ_RETURN_IF_ERROR(fs.sync_dir(options_.dir));
    files_.pop_back();
  }
  last_zxid_ = files_.empty() ? 0 : files_.back().last_zxid;
  durable_zxid_ = last_zxid_;
  written_zxid_ = last_zxid_;
  if (!files_.empty()) {
    KZ_RETURN_IF_ERROR(open_active_for_append());
    // What recovery read may still be only in the page cache (a process crash keeps it, a later
    // power loss would not): make it durable before anyone builds on it.
    KZ_RETURN_IF_ERROR(active_->sync());
  }
  return Status::ok();
}

Status TxnLog::recover_file(size_t index, bool last, uint64_t* prev_zxid) {
  TxnLogFile& file = files_[index];
  std::string path = path_of(file.name);
  KZ_ASSIGN_OR_RETURN(std::vector<uint8_t> data, env_.fs->read_file(path));
  std::span<const uint8_t> bytes(data);
  if (!header_ok(bytes)) {
    if (!last) return Status(Code::kCorruption, fmt::format("{}: bad file header at offset 0", path));
    env_.log.warn(kComponent, "{}: torn file header at offset 0 ({} bytes), removing the file", path, data.size());
    file.size_bytes = 0;
    file.last_zxid = 0;
    return Status::ok();
  }
  uint64_t offset = kHeaderBytes;
  uint64_t zxid = 0;
  uint64_t record_bytes = 0;
  bool first = true;
  while (offset < data.size()) {
    if (!valid_record_at(bytes, offset, *prev_zxid, options_.record_bytes_max, &zxid, &record_bytes)) break;
    if (first && zxid != file.first_zxid) {
      return Status(Code::kCorruption, fmt::format("{}: first record at offset {} has zxid {:#x}, the name says {:#x}",
                                                   path, offset, zxid, file.first_zxid));
    }
    first = false;
    file.last_zxid = zxid;
    *prev_zxid = zxid;
    offset += record_bytes;
  }
  file.size_bytes = offset;
  if (offset == data.size()) return Status::ok();
  bool prealloc = options_.prealloc_bytes > 0;
  // With preallocation the log's content ends at its last non-zero byte; zeros after the last
  // record are the end of the log.
  uint64_t probe_end = prealloc ? nonzero_end(bytes) : data.size();
  if (probe_end <= offset) return Status::ok();
  // A bad record at `offset`. Is anything valid after it? Then it is not a tail.
  uint64_t bad_offset = offset;
  if (!last) {
    return Status(Code::kCorruption,
                  fmt::format("{}: bad record at offset {} (not the last log file)", path, bad_offset));
  }
  // A record has non-zero bytes (its zxid) in its first kRecordHeaderBytes: none starts in a zero tail.
  for (uint64_t probe = bad_offset + 1; probe < probe_end && probe + kRecordHeaderBytes <= data.size(); probe++) {
    if (valid_record_at(bytes, probe, *prev_zxid, options_.record_bytes_max, &zxid, &record_bytes)) {
      return Status(Code::kCorruption,
                    fmt::format("{}: bad record at offset {} followed by a valid record at offset {}", path,
                                bad_offset, probe));
    }
  }
  env_.log.warn(kComponent, "{}: torn tail at offset {} ({} bytes dropped), truncating", path, bad_offset,
                data.size() - bad_offset);
  KZ_ASSIGN_OR_RETURN(std::unique_ptr<io::File> f, env_.fs->open(path, io::OpenOptions::read_write()));
  env_.probe("zk.txnlog.torn_tail");
  if (prealloc) {
    // Keep the preallocated size: the torn bytes become zeros, the end-of-log mark.
    std::vector<uint8_t> zeros(probe_end - bad_offset, 0);
    KZ_RETURN_IF_ERROR(f->pwrite(bad_offset, zeros));
    KZ_RETURN_IF_ERROR(f->sync());
    KZ_RETURN_IF_ERROR(f->close());
    return Status::ok();
  }
  KZ_RETURN_IF_ERROR(f->truncate(bad_offset));
  KZ_RETURN_IF_ERROR(f->sync());
  KZ_RETURN_IF_ERROR(f->close());
  return Status::ok();
}

Status TxnLog::open_active_for_append() {
  KZ_ASSERT(!files_.empty());
  if (active_) (void)active_->close();
  active_.reset();
  KZ_ASSIGN_OR_RETURN(active_, env_.fs->open(path_of(files_.back().name), io::OpenOptions::read_write()));
  KZ_ASSIGN_OR_RETURN(active_allocated_bytes_, active_->size());
  KZ_ASSERT(active_allocated_bytes_ >= files_.back().size_bytes);
  return Status::ok();
}

Status TxnLog::preallocate(uint64_t end) {
  KZ_ASSERT(options_.prealloc_bytes > 0);
  KZ_ASSERT(end > active_allocated_bytes_);
  // Whole blocks, but none beyond the roll point: a file that will roll after this write gets
  // just what it needs.
  uint64_t target = active_allocated_bytes_;
  while (target < end) target += options_.prealloc_bytes;
  target = std::min(target, std::max(end, options_.file_bytes_target));
  KZ_RETURN_IF_ERROR(zero_range(active_allocated_bytes_, target));
  active_allocated_bytes_ = target;
  env_.probe("zk.txnlog.preallocate");
  // The new size and blocks are made durable once here, so the record syncs after it are data only.
  return active_->sync();
}

Status TxnLog::zero_range(uint64_t from, uint64_t to) {
  static constexpr uint64_t kChunkBytes = 1 << 20;
  std::vector<uint8_t> zeros(std::min(kChunkBytes, to - from), 0);
  for (uint64_t at = from; at < to; at += zeros.size()) {
    uint64_t n = std::min<uint64_t>(zeros.size(), to - at);
    KZ_RETURN_IF_ERROR(active_->pwrite(at, std::span<const uint8_t>(zeros.data(), n)));
  }
  return Status::ok();
}

Status TxnLog::append(uint64_t zxid, std::span<const uint8_t> payload) {
  KZ_RETURN_IF_ERROR(sticky());
  KZ_ASSERT_MSG(zxid > last_zxid_, fmt::format("txn log append of zxid {:#x} after {:#x}", zxid, last_zxid_));
  if (payload.size() > options_.record_bytes_max) {
    return Status(Code::kInvalidArgument,
                  fmt::format("txn of {} bytes exceeds the record bound {}", payload.size(), options_.record_bytes_max));
  }
  pending_.push_back(TxnRecord{zxid, std::vector<uint8_t>(payload.begin(), payload.end())});
  last_zxid_ = zxid;
  return Status::ok();
}

Status TxnLog::flush() {
  uint64_t target_zxid = last_zxid_;
  for (;;) {
    KZ_RETURN_IF_ERROR(sticky());
    if (durable_zxid_ >= target_zxid) return Status::ok();
    // Our records are written and the sync that wrote them is in flight: wait for it (or a later one).
    // Otherwise take the write slot, unless it is busy or kMaxSyncsInFlight syncs are running: then
    // wait, and the records appended meanwhile go out together (group commit).
    if (written_zxid_ >= target_zxid || busy_ || syncs_in_flight_ >= kMaxSyncsInFlight) {
      wait_for_change();
      continue;
    }
    busy_ = true;
    Status s = write_pending();
    uint64_t covered = written_zxid_;
    busy_ = false;
    if (s.is_ok() && options_.force_sync) {
      // The sync runs outside the write slot: the next batch can be written and its own sync started
      // while this one is in flight (the file system commits overlapping syncs together). A sync
      // started after a write covers it, so out-of-order completions only ever advance durability
      // over records that are already on disk. (A new file is only started with no sync in flight.)
      syncs_in_flight_++;
      struct InFlight {  // also on Cancelled (a killed node unwinds here)
        uint32_t& n;
        ~InFlight() { n--; }
      } in_flight{syncs_in_flight_};
      waiters_.wake_all(*env_.sched);  // the write slot is free
      if (env_.buggify("zk.txnlog.slow_sync")) env_.clock->sleep_for(ms_to_ns(1 + static_cast<int64_t>(env_.rng->below(10))));
      s = active_->sync();
    }
    if (s.is_ok()) {
      durable_zxid_ = std::max(durable_zxid_, covered);
      flushes_++;
    } else {
      failed_ = s;
    }
    if (!waiters_.empty()) waiters_.wake_all(*env_.sched);
  }
}

void TxnLog::wait_for_change() {
  rt::WaitNode w(waiters_, *env_.sched);
  env_.sched->park();
}

Status TxnLog::write_pending() {
  KZ_ASSERT(busy_);
  if (pending_.empty()) return Status::ok();
  bool new_file = files_.empty() || files_.back().size_bytes >= options_.file_bytes_target;
  if (new_file) {
    // Records acknowledged from the new file must not overtake unsynced ones of the file being
    // left: every sync in flight finishes first.
    while (syncs_in_flight_ > 0) wait_for_change();
  }
  // Records appended from here on go to the next flush. The batch vector and the byte buffer are
  // members reused from write to write (busy_ makes this the only writer): no allocation per batch.
  std::vector<TxnRecord> batch = std::move(spare_batch_);
  batch.clear();
  batch.swap(pending_);
  std::vector<uint8_t>& bytes = write_buf_;
  bytes.clear();
  if (new_file) {
    // The file being left is synced even with force_sync off: recovery can then only lose a
    // suffix of the log, never records in the middle.
    if (active_ && !options_.force_sync) KZ_RETURN_IF_ERROR(active_->sync());
    if (active_) KZ_RETURN_IF_ERROR(active_->close());
    active_.reset();
    std::string name = txn_log_file_name(batch.front().zxid);
    KZ_ASSIGN_OR_RETURN(active_, env_.fs->open(path_of(name), io::OpenOptions::create_new()));
    active_allocated_bytes_ = 0;
    files_.push_back(TxnLogFile{name, batch.front().zxid, 0, 0});
    encode_header(bytes);
  }
  for (const TxnRecord& r : batch) encode_record(bytes, r.zxid, r.payload);
  TxnLogFile& file = files_.back();
  uint64_t end = file.size_bytes + bytes.size();
  if (options_.prealloc_bytes > 0 && end > active_allocated_bytes_) KZ_RETURN_IF_ERROR(preallocate(end));
  if (file.size_bytes == active_allocated_bytes_) {
    KZ_RETURN_IF_ERROR(active_->append(bytes));
    active_allocated_bytes_ = end;
  } else {
    KZ_RETURN_IF_ERROR(active_->pwrite(file.size_bytes, bytes));  // into the zeroed space
    active_allocated_bytes_ = std::max(active_allocated_bytes_, end);
  }
  file.size_bytes += bytes.size();
  file.last_zxid = batch.back().zxid;
  written_zxid_ = batch.back().zxid;
  batch.clear();
  spare_batch_ = std::move(batch);
  // A new file's name must be durable too, or a crash loses the whole file with its records.
  if (new_file) KZ_RETURN_IF_ERROR(env_.fs->sync_dir(options_.dir));
  return Status::ok();
}

Result<std::vector<TxnRecord>> TxnLog::read_after(uint64_t after_zxid, uint64_t payload_bytes_max) {
  KZ_RETURN_IF_ERROR(sticky());
  std::vector<TxnRecord> out;
  uint64_t payload_bytes = 0;
  auto full = [&] { return !out.empty() && payload_bytes >= payload_bytes_max; };
  for (const TxnLogFile& file : files_) {
    if (full()) break;
    if (file.last_zxid <= after_zxid || file.size_bytes == 0) continue;
    std::string path = path_of(file.name);
    KZ_ASSIGN_OR_RETURN(std::vector<uint8_t> data, env_.fs->read_file(path));
    std::span<const uint8_t> bytes(data);
    uint64_t end = std::min<uint64_t>(file.size_bytes, data.size());
    uint64_t offset = kHeaderBytes;
    uint64_t prev = 0;
    while (offset < end && !full()) {
      uint64_t zxid = 0;
      uint64_t record_bytes = 0;
      if (!valid_record_at(bytes.first(end), offset, prev, options_.record_bytes_max, &zxid, &record_bytes)) {
        return Status(Code::kCorruption, fmt::format("{}: bad record at offset {}", path, offset));
      }
      prev = zxid;
      if (zxid > after_zxid) {
        auto payload = bytes.subspan(offset + kRecordHeaderBytes, record_bytes - kRecordHeaderBytes);
        out.push_back(TxnRecord{zxid, std::vector<uint8_t>(payload.begin(), payload.end())});
        payload_bytes += payload.size();
      }
      offset += record_bytes;
    }
  }
  for (const TxnRecord& r : pending_) {
    if (full()) break;
    if (r.zxid <= after_zxid) continue;
    if (!out.empty() && r.zxid <= out.back().zxid) continue;  // already written by a flush in progress
    out.push_back(r);
    payload_bytes += r.payload.size();
  }
  return out;
}

Status TxnLog::truncate_after(uint64_t zxid) {
  KZ_RETURN_IF_ERROR(sticky());
  lock();
  Status s = [&]() -> Status {
    // Buffered records beyond the point are dropped; those before it are written first.
    std::erase_if(pending_, [&](const TxnRecord& r) { return r.zxid > zxid; });
    KZ_RETURN_IF_ERROR(write_pending());
    if (active_ && options_.force_sync) KZ_RETURN_IF_ERROR(active_->sync());
    bool removed_any = false;
    while (!files_.empty() && files_.back().first_zxid > zxid) {
      if (active_) KZ_RETURN_IF_ERROR(active_->close());
      active_.reset();
      KZ_RETURN_IF_ERROR(env_.fs->remove(path_of(files_.back().name)));
      files_.pop_back();
      removed_any = true;
    }
    if (removed_any) KZ_RETURN_IF_ERROR(env_.fs->sync_dir(options_.dir));
    if (!files_.empty() && files_.back().last_zxid > zxid) {
      TxnLogFile& file = files_.back();
      std::string path = path_of(file.name);
      KZ_ASSIGN_OR_RETURN(std::vector<uint8_t> data, env_.fs->read_file(path));
      std::span<const uint8_t> bytes(data);
      uint64_t offset = kHeaderBytes;
      uint64_t prev = 0;
      uint64_t last_kept = 0;
      while (offset < file.size_bytes) {
        uint64_t z = 0;
        uint64_t record_bytes = 0;
        if (!valid_record_at(bytes, offset, prev, options_.record_bytes_max, &z, &record_bytes)) {
          return Status(Code::kCorruption, fmt::format("{}: bad record at offset {}", path, offset));
        }
        if (z > zxid) break;
        last_kept = z;
        prev = z;
        offset += record_bytes;
      }
      KZ_ASSERT(last_kept != 0);  // the file's first record is <= zxid (checked by the loop above)
      KZ_RETURN_IF_ERROR(open_active_for_append());
      if (options_.prealloc_bytes > 0) {
        // Keep the preallocated size: the dropped records become zeros (the end-of-log mark).
        KZ_RETURN_IF_ERROR(zero_range(offset, file.size_bytes));
      } else {
        KZ_RETURN_IF_ERROR(active_->truncate(offset));
        active_allocated_bytes_ = offset;
      }
      KZ_RETURN_IF_ERROR(active_->sync());
      file.size_bytes = offset;
      file.last_zxid = last_kept;
    } else if (!files_.empty() && !active_) {
      KZ_RETURN_IF_ERROR(open_active_for_append());
    }
    last_zxid_ = files_.empty() ? 0 : files_.back().last_zxid;
    durable_zxid_ = last_zxid_;
    written_zxid_ = last_zxid_;
    return Status::ok();
  }();
  if (!s.is_ok()) failed_ = s;
  unlock();
  return s;
}

Status TxnLog::purge_before(uint64_t zxid) {
  KZ_RETURN_IF_ERROR(sticky());
  lock();
  Status s = [&]() -> Status {
    size_t removable = 0;
    while (removable + 1 < files_.size() && files_[removable].last_zxid <= zxid) removable++;
    for (size_t i = 0; i < removable; i++) {
      KZ_RETURN_IF_ERROR(env_.fs->remove(path_of(files_[i].name)));
      env_.log.info(kComponent, "purged {}", path_of(files_[i].name));
    }
    files_.erase(files_.begin(), files_.begin() + static_cast<std::ptrdiff_t>(removable));
    if (removable > 0) KZ_RETURN_IF_ERROR(env_.fs->sync_dir(options_.dir));
    return Status::ok();
  }();
  if (!s.is_ok()) failed_ = s;
  unlock();
  return s;
}

}  // namespace kz::zk::storage
