// TxnLog: the ZooKeeper server's write-ahead log of proposals, on io::Fs.
//
// Layout: a directory of files `log.<hex zxid of the file's first record>`. Each file starts with an
// 8-byte header ("KZTL", version u32) followed by records
//     [len u32][crc32c u32][zxid u64][payload: len bytes]        (big-endian)
// where the crc covers len, zxid and payload. zxids strictly increase across the whole log.
//
// Writing: append() buffers; flush() writes the buffer and fsyncs it once (group commit). Writes are
// serialised; the fsync runs after the write slot is released, so up to kMaxSyncsInFlight syncs can
// overlap (the next batch is written and its sync started while the previous sync is still running;
// the file system commits overlapping syncs together). A flush whose records another flush already
// wrote waits for that sync; a flush that finds the slot busy or all syncs in flight waits, and then
// carries every record appended in the meantime: many appenders, few fsyncs. A sync started after a
// write covers it, so durable_zxid() only ever advances over records that are on disk; a new file is
// started only with no sync in flight (records in it must not be acknowledged ahead of the old one's). When the current file has reached
// `file_bytes_target`, the next flush starts a new file (the directory is synced so the new name is
// durable). `force_sync = false` writes without fsync: a known-unsafe setting (acknowledged records
// can vanish on power loss), kept because zoo.cfg has it and the testbed must be able to catch it.
//
// Preallocation (`prealloc_bytes` > 0, zoo.cfg preAllocSize; off in simulation): a file is extended
// with zeros in blocks of `prealloc_bytes` (up to `file_bytes_target`) and synced before records are
// written into the zeroed space, as ZooKeeper does. An fdatasync then has only data to commit, not a
// new file size and block allocation each time. The log ends at the first all-zero tail: a zero tail
// after the last valid record is end-of-log, not damage.
//
// Recovery (open): every record of every file is validated. A bad record in the LAST file with no
// valid record after it is a torn or corrupt tail: the file is truncated there (warn log naming file
// and offset). A bad record followed by a valid one, or a bad record in any earlier file, is
// corruption in the middle: open fails with kCorruption naming the file and offset. Nothing is
// silently skipped. With preallocation on, a torn tail is overwritten with zeros instead of cut off
// (the file keeps its preallocated size), and so are the records truncate_after() drops. Lengths read from disk are bounded by `record_bytes_max` before any allocation.
//
// Errors: after a failed write or fsync the log's state is unknown; the log refuses every later
// operation with the same error, and its owner must reopen it (which recovers from what is on disk).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/io/env.h"
#include "core/runtime/sync.h"

namespace kz::zk::storage {

struct TxnLogOptions {
  std::string dir;
  uint64_t file_bytes_target = 64ULL << 20;  // roll to a new file once a file reaches this size
  bool force_sync = true;                    // zoo.cfg forceSync
  uint32_t record_bytes_max = 64U << 20;     // payload bound (untrusted lengths on recovery)
  uint64_t prealloc_bytes = 0;               // zoo.cfg preAllocSize; 0: files grow by appends
};

struct TxnRecord {
  uint64_t zxid = 0;
  std::vector<uint8_t> payload;
  friend bool operator==(const TxnRecord&, const TxnRecord&) = default;
};

// One file of the log, as known after recovery and writes.
struct TxnLogFile {
  std::string name;
  uint64_t first_zxid = 0;
  uint64_t last_zxid = 0;
  uint64_t size_bytes = 0;
};

class TxnLog {
 public:
  static constexpr uint32_t kHeaderBytes = 8;
  static constexpr uint32_t kRecordHeaderBytes = 16;
  static constexpr uint32_t kMaxSyncsInFlight = 4;

  // Opens the log in options.dir (created if missing) and recovers it (see the header comment).
  // `env` is copied; its fs and scheduler must outlive the log.
  static Result<std::unique_ptr<TxnLog>> open(const io::Env& env, TxnLogOptions options);
  ~TxnLog();
  TxnLog(const TxnLog&) = delete;
  TxnLog& operator=(const TxnLog&) = delete;

  // Buffers one record. REQUIRES: zxid > last_zxid(). Not durable until flush() returns ok.
  Status append(uint64_t zxid, std::span<const uint8_t> payload);
  // Makes every record appended before the call durable (see group commit above).
  Status flush();

  // The last record appended (buffered or written); 0 if the log is empty.
  uint64_t last_zxid() const { return last_zxid_; }
  // The last record a flush completed for.
  uint64_t durable_zxid() const { return durable_zxid_; }
  uint64_t flushes() const { return flushes_; }
  uint32_t syncs_in_flight() const { return syncs_in_flight_; }
  const std::vector<TxnLogFile>& files() const { return files_; }

  // Records with zxid > after_zxid, in order (written and buffered ones), stopping once
  // `payload_bytes_max` is reached (at least one record is returned if any).
  Result<std::vector<TxnRecord>> read_after(uint64_t after_zxid, uint64_t payload_bytes_max = UINT64_MAX);
  // Durably drops every record with zxid > zxid (ZAB's TRUNC; also used to discard a divergent
  // suffix). Buffered records beyond zxid are dropped too.
  Status truncate_after(uint64_t zxid);
  // Removes the files (never the last one) all of whose records are <= zxid: called with the
  // zxid of the oldest snapshot kept, whose state already contains those records.
  Status purge_before(uint64_t zxid);

 private:
  TxnLog(const io::Env& env, TxnLogOptions options);
  Status recover();
  Status recover_file(size_t index, bool last, uint64_t* prev_zxid);
  // Writes the pending records (no sync). REQUIRES: busy_.
  Status write_pending();
  // Extends the active file with zeros so that it holds `end` bytes, and syncs the extension.
  Status preallocate(uint64_t end);
  // Overwrites [from, to) of the active file with zeros (records dropped from a preallocated file).
  Status zero_range(uint64_t from, uint64_t to);
  void wait_for_change();  // parks until a write, sync, truncate or purge ends
  Status open_active_for_append();
  Status sticky() const { return failed_; }
  void lock();
  void unlock();
  std::string path_of(const std::string& name) const;

  io::Env env_;  // a copy: a handful of pointers and the node's logger
  TxnLogOptions options_;
  std::vector<TxnLogFile> files_;     // ascending by first_zxid
  std::unique_ptr<io::File> active_;  // the last file, open for appending
  uint64_t active_allocated_bytes_ = 0;  // active_'s size on disk (records, then preallocated zeros)
  std::vector<TxnRecord> pending_;    // appended, not yet written
  std::vector<TxnRecord> spare_batch_;  // write_pending's batch, emptied, kept for its capacity
  std::vector<uint8_t> write_buf_;      // write_pending's encoded bytes, reused
  uint64_t last_zxid_ = 0;
  uint64_t durable_zxid_ = 0;
  uint64_t written_zxid_ = 0;  // the last record written to the file (its sync may be in flight)
  uint32_t syncs_in_flight_ = 0;
  uint64_t flushes_ = 0;
  Status failed_;
  bool busy_ = false;  // a write, truncate or purge is in progress (it may block in the fs)
  rt::WaitList waiters_;
};

// "log.1f" <-> 0x1f. Parsing rejects anything but "log." followed by 1..16 lowercase hex digits.
std::string txn_log_file_name(uint64_t first_zxid);
bool parse_txn_log_file_name(std::string_view name, uint64_t* first_zxid);
// Shared by the snapshot names: prefix + lowercase hex.
bool parse_hex_suffix(std::string_view name, std::string_view prefix, uint64_t* value);

}  // namespace kz::zk::storage
