// libFuzzer target: opening a Kafka log directory whose files come from the fuzzer (segments,
// indexes, checkpoints), then reading everything, appending, truncating and compacting. Recovery must
// turn any bytes into an error value or a logged truncation, never a crash or an unbounded allocation.
//
// Input format (big-endian, every length clipped to what remains):
//   u8 segment count (1 + n % 3), u8 flags (bit 0: recovery-point file, bit 1: leader-epoch-checkpoint,
//   bit 2: compact policy, bit 3: fix up the segments' batch CRCs so mutations get past them), u8 recovery point, then
//   per segment: u16 base offset, u16 log length, log bytes, u8 index length, index bytes, u8 time index length, time
//   index bytes; the rest is the leader-epoch-checkpoint text (when its flag is set).
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/kafka/log/log.h"
#include "core/kafka/records/batch_builder.h"
#include "tests/fuzz/fix_crcs.h"
#include "tests/fuzz/mem_fs.h"

namespace {

class FixedClock final : public kz::io::Clock {
 public:
  int64_t now_ns() override { return 1'000'000'000; }
  int64_t wall_ms() override { return 1'700'000'000'000; }
  void sleep_for(int64_t) override {}
  int64_t deadline_after_ns(int64_t d) override { return now_ns() + d; }
};

struct Input {
  const uint8_t* p;
  size_t left;
  uint32_t take(int bytes) {
    uint32_t v = 0;
    for (int i = 0; i < bytes; i++) {
      v <<= 8;
      if (left > 0) v |= *p++, left--;
    }
    return v;
  }
  std::vector<uint8_t> bytes(size_t n) {
    n = std::min(n, left);
    std::vector<uint8_t> out(p, p + n);
    p += n, left -= n;
    return out;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kz;
  using namespace kz::kafka;
  fuzz::MemFs fs;
  const std::string dir = "t-0";
  Input in{data, size};
  const int segments = 1 + static_cast<int>(in.take(1) % 3);
  const uint32_t flags = in.take(1);
  const uint32_t recovery_point = in.take(1);
  for (int i = 0; i < segments; i++) {
    const int64_t base = in.take(2);
    std::vector<uint8_t> segment = in.bytes(in.take(2));
    if (flags & 8) fuzz::fix_batch_crcs(segment);
    fs.files[io::join_path(dir, log::segment_file_name(base, ".log"))] = std::move(segment);
    fs.files[io::join_path(dir, log::segment_file_name(base, ".index"))] = in.bytes(in.take(1));
    fs.files[io::join_path(dir, log::segment_file_name(base, ".timeindex"))] = in.bytes(in.take(1));
  }
  if (flags & 1) {
    const std::string text = log::format_recovery_point(recovery_point);
    fs.files[io::join_path(dir, log::kRecoveryPointFile)] = std::vector<uint8_t>(text.begin(), text.end());
  }
  if (flags & 2) fs.files[io::join_path(dir, log::kLeaderEpochCheckpointFile)] = in.bytes(in.left);

  FixedClock clock;
  log::LogConfig config;
  config.segment_bytes = 4096;
  config.index_interval_bytes = 64;
  config.cleanup_compact = (flags & 4) != 0;
  Result<std::unique_ptr<log::Log>> opened = log::Log::open(fs, dir, config, clock, Logger());
  if (!opened.is_ok()) return 0;
  log::Log& l = **opened;
  KZ_ASSERT(l.log_start_offset() <= l.log_end_offset());
  // Read everything (bounded: each read moves forward or stops).
  int64_t offset = l.log_start_offset();
  for (int i = 0; i < 10000 && offset < l.log_end_offset(); i++) {
    log::ReadOptions options;
    options.max_bytes = 512;
    Result<log::FetchResult> r = l.read(offset, options);
    if (!r.is_ok() || r->records.empty()) break;
    BatchReader reader(r->records);
    int64_t next = offset;
    for (;;) {
      Result<std::optional<BatchView>> b = reader.next();
      if (!b.is_ok() || !*b) break;
      next = std::max(next, (*b)->next_offset());
    }
    if (next <= offset) break;
    offset = next;
  }
  // The log keeps working: append, compact, truncate.
  Record rec;
  rec.offset = 0;
  rec.timestamp_ms = 1'700'000'000'000;
  rec.key = Bytes{'k'};
  rec.value = Bytes{'v'};
  Result<Bytes> batch = build_batch(BatchOptions{}, std::span<const Record>(&rec, 1));
  KZ_ASSERT(batch.is_ok());
  const int64_t leo = l.log_end_offset();
  Result<log::AppendInfo> a = l.append_as_leader(*batch, 1'000'000);
  if (a.is_ok()) {
    KZ_ASSERT(a->first_offset == leo);
    l.set_high_watermark(l.log_end_offset());
    (void)l.compact(1'800'000'000'000);
    (void)l.truncate_to(l.log_start_offset() + (l.log_end_offset() - l.log_start_offset()) / 2);
  }
  (void)l.close();
  return 0;
}
