// Helpers for the Kafka log tests: a simulated disk with an Env (tests/zk/storage/storage_bench.h),
// batch builders, and reading a whole log back as records.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/kafka/log/log.h"
#include "core/kafka/records/batch_builder.h"
#include "tests/zk/storage/storage_bench.h"

namespace kz::kafka::log::testing {

using zk::storage::testing::DiskBench;

inline constexpr const char* kDir = "data/topic-0";

// A batch as a producer sends it (base offset 0), `count` records "k<key_base+i>" = "<value>-<i>".
inline Bytes producer_batch(int count, std::string_view value, int64_t timestamp_ms = 1'700'000'000'000,
                            Compression compression = Compression::kNone, int key_base = 0) {
  std::vector<Record> records;
  for (int i = 0; i < count; i++) {
    Record r;
    r.offset = i;
    r.timestamp_ms = timestamp_ms;
    const std::string key = "k" + std::to_string(key_base + i);
    const std::string v = std::string(value) + "-" + std::to_string(i);
    r.key = Bytes(key.begin(), key.end());
    r.value = Bytes(v.begin(), v.end());
    records.push_back(std::move(r));
  }
  BatchOptions options;
  options.compression = compression;
  Result<Bytes> b = build_batch(options, records);
  KZ_ASSERT_MSG(b.is_ok(), b.status().to_string());
  return std::move(*b);
}

// One batch of keyed records (value nullopt: a tombstone).
inline Bytes keyed_batch(const std::vector<std::pair<std::string, std::optional<std::string>>>& kvs,
                         int64_t timestamp_ms) {
  std::vector<Record> records;
  for (size_t i = 0; i < kvs.size(); i++) {
    Record r;
    r.offset = static_cast<int64_t>(i);
    r.timestamp_ms = timestamp_ms;
    r.key = Bytes(kvs[i].first.begin(), kvs[i].first.end());
    if (kvs[i].second) r.value = Bytes(kvs[i].second->begin(), kvs[i].second->end());
    records.push_back(std::move(r));
  }
  Result<Bytes> b = build_batch(BatchOptions{}, records);
  KZ_ASSERT_MSG(b.is_ok(), b.status().to_string());
  return std::move(*b);
}

inline std::unique_ptr<Log> open_log(DiskBench& b, const LogConfig& config = {}) {
  auto log = Log::open(b.disk, kDir, config, b.clock, b.env.log);
  KZ_ASSERT_MSG(log.is_ok(), log.status().to_string());
  return std::move(*log);
}

// Every record of the log, in the order reads return them; checks that batches come in increasing
// offset order and that each read starts at the batch holding the requested offset.
inline Result<std::vector<Record>> read_all(Log& log, size_t max_bytes = 1000) {
  std::vector<Record> out;
  int64_t offset = log.log_start_offset();
  while (offset < log.log_end_offset()) {
    ReadOptions options;
    options.max_bytes = max_bytes;
    KZ_ASSIGN_OR_RETURN(FetchResult r, log.read(offset, options));
    if (r.records.empty()) break;  // a compaction gap at the very end
    BatchReader reader(r.records);
    int64_t next = offset;
    for (;;) {
      KZ_ASSIGN_OR_RETURN(std::optional<BatchView> batch, reader.next());
      if (!batch) break;
      if (batch->last_offset() < next) {
        return error(Code::kCorruption,
                     fmt::format("batch {}..{} does not reach {}", batch->base_offset(), batch->last_offset(), next));
      }
      std::vector<Record> records;
      KZ_RETURN_IF_ERROR(batch->decode_records(DecodeOptions{}, &records));
      for (Record& rec : records) {
        if (!out.empty() && rec.offset <= out.back().offset) {
          return error(Code::kCorruption, fmt::format("offset {} after {}", rec.offset, out.back().offset));
        }
        out.push_back(std::move(rec));
      }
      next = batch->next_offset();
    }
    if (reader.partial_tail_bytes() != 0) return error(Code::kCorruption, "a read returned a partial batch");
    KZ_ASSERT(next > offset);
    offset = next;
  }
  return out;
}

inline std::string str(const std::optional<Bytes>& b) {
  return b ? std::string(b->begin(), b->end()) : "<null>";
}

}  // namespace kz::kafka::log::testing
