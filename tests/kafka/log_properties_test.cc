// Properties of the Kafka log on the simulated disk:
//   - after any crash or power loss the reopened log is a prefix of what was appended and holds
//     everything that was flushed (truncations included: truncated data never comes back); reads
//     return batches in offset order without gaps;
//   - compaction keeps the last value of every key (and only drops what a later record supersedes);
//   - damaged files (bit flips, cuts, garbage) give an error value or a logged truncation, never a crash.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <map>

#include "tests/kafka/log_testing.h"

namespace kz::kafka::log {
namespace {

using testing::DiskBench;
using testing::kDir;
using testing::open_log;
using testing::read_all;

struct Appended {
  int64_t offset;
  std::string key;
  std::optional<std::string> value;
};

// A batch of `count` records with values derived from `tag`, optionally compressed.
Bytes gen_batch(int count, uint64_t tag, Compression compression, int64_t timestamp_ms, std::vector<Appended>* model,
                int64_t first_offset) {
  std::vector<Record> records;
  for (int i = 0; i < count; i++) {
    Record r;
    r.offset = i;
    r.timestamp_ms = timestamp_ms;
    const std::string key = "key" + std::to_string((tag + static_cast<uint64_t>(i)) % 7);
    const std::string value = "value-" + std::to_string(tag) + "-" + std::string(tag % 40, 'v');
    r.key = Bytes(key.begin(), key.end());
    r.value = Bytes(value.begin(), value.end());
    records.push_back(std::move(r));
    model->push_back(Appended{first_offset + i, key, value});
  }
  BatchOptions options;
  options.compression = compression;
  return *build_batch(options, records);
}

void check_matches_model(const std::vector<Record>& got, const std::vector<Appended>& model) {
  RC_ASSERT(got.size() <= model.size());
  for (size_t i = 0; i < got.size(); i++) {
    RC_ASSERT(got[i].offset == static_cast<int64_t>(i));
    RC_ASSERT(testing::str(got[i].key) == model[i].key);
    RC_ASSERT(testing::str(got[i].value) == *model[i].value);
  }
}

RC_GTEST_PROP(KafkaLogProps, CrashesKeepAPrefixThatHoldsEverythingFlushed, ()) {
  const uint64_t seed = *rc::gen::arbitrary<uint64_t>();
  DiskBench b(seed, *rc::gen::element(0.0, 0.5, 1.0));
  LogConfig c;
  c.segment_bytes = *rc::gen::inRange<uint64_t>(200, 3000);
  c.index_interval_bytes = *rc::gen::inRange<uint32_t>(0, 600);
  if (*rc::gen::arbitrary<bool>()) c.flush_interval_messages = *rc::gen::inRange<int64_t>(1, 20);
  std::vector<Appended> model;
  int64_t durable = 0;
  auto log = open_log(b, c);
  const int rounds = *rc::gen::inRange(1, 4);
  for (int round = 0; round < rounds; round++) {
    const int ops = *rc::gen::inRange(1, 30);
    for (int op = 0; op < ops; op++) {
      const int kind = *rc::gen::inRange(0, 11);
      if (kind == 10) {
        // A follower truncating: durable at once, and nothing past it may come back after a crash.
        const int64_t target = *rc::gen::inRange<int64_t>(0, log->log_end_offset() + 1);
        RC_ASSERT(log->truncate_to(target).is_ok());
        RC_ASSERT(log->log_end_offset() <= target || target >= static_cast<int64_t>(model.size()));
        model.resize(static_cast<size_t>(log->log_end_offset()));
        durable = std::min(durable, log->log_end_offset());
      } else if (kind < 7) {
        const int count = *rc::gen::inRange(1, 6);
        const auto codec = *rc::gen::element(Compression::kNone, Compression::kLz4, Compression::kZstd);
        Bytes batch = gen_batch(count, *rc::gen::inRange<uint64_t>(0, 1000), codec, b.clock.wall_ms(), &model,
                                log->log_end_offset());
        auto a = log->append_as_leader(batch, round);
        RC_ASSERT(a.is_ok());
        RC_ASSERT(a->first_offset == static_cast<int64_t>(model.size()) - count);
        RC_ASSERT(a->first_offset >= log->log_start_offset());
        if (a->flushed) durable = log->log_end_offset();
      } else if (kind < 9) {
        RC_ASSERT(log->flush().is_ok());
        durable = log->log_end_offset();
      } else {
        RC_ASSERT(log->close().is_ok());
        durable = log->log_end_offset();
        log = open_log(b, c);
      }
    }
    log.reset();
    b.disk.crash(/*tear=*/*rc::gen::arbitrary<bool>());
    log = open_log(b, c);
    const int64_t leo = log->log_end_offset();
    RC_ASSERT(leo >= durable);
    RC_ASSERT(leo <= static_cast<int64_t>(model.size()));
    auto all = read_all(*log, *rc::gen::inRange<size_t>(1, 2000));
    RC_ASSERT(all.is_ok());
    RC_ASSERT(static_cast<int64_t>(all->size()) == leo);
    check_matches_model(*all, model);
    // Epochs never name offsets past the end.
    for (const EpochEntry& e : log->epochs()) RC_ASSERT(e.start_offset <= leo);
    model.resize(static_cast<size_t>(leo));
    durable = leo;
  }
}

RC_GTEST_PROP(KafkaLogProps, CompactionKeepsTheLastValueOfEveryKey, ()) {
  DiskBench b(*rc::gen::arbitrary<uint64_t>());
  LogConfig c;
  c.segment_bytes = *rc::gen::inRange<uint64_t>(200, 1500);
  c.index_interval_bytes = *rc::gen::inRange<uint32_t>(0, 300);
  c.cleanup_compact = true;
  c.delete_retention_ms = 1'000'000;
  auto log = open_log(b, c);
  const int64_t t0 = b.clock.wall_ms();
  std::vector<Appended> model;
  const int batches = *rc::gen::inRange(1, 40);
  for (int i = 0; i < batches; i++) {
    std::vector<std::pair<std::string, std::optional<std::string>>> kvs;
    const int count = *rc::gen::inRange(1, 4);
    for (int j = 0; j < count; j++) {
      const std::string key = "k" + std::to_string(*rc::gen::inRange(0, 6));
      std::optional<std::string> value;
      if (*rc::gen::inRange(0, 5) != 0)
        value = "v" + std::to_string(model.size()) + std::string(*rc::gen::inRange(0, 30), 'x');
      kvs.push_back({key, value});
      model.push_back(Appended{static_cast<int64_t>(model.size()), key, value});
    }
    RC_ASSERT(log->append_as_leader(testing::keyed_batch(kvs, t0 + i), 0).is_ok());
  }
  log->set_high_watermark(*rc::gen::arbitrary<bool>() ? log->log_end_offset()
                                                      : *rc::gen::inRange<int64_t>(0, log->log_end_offset() + 1));
  const bool drop_tombstones = *rc::gen::arbitrary<bool>();
  const int64_t now = drop_tombstones ? t0 + 10'000'000 : t0;
  auto r = log->compact(now);
  RC_ASSERT(r.is_ok());
  RC_CLASSIFY(r->records_removed > 0, "compacted");
  RC_CLASSIFY(r->tombstones_removed > 0, "tombstones removed");
  // The range compaction may touch: segments below the active one and the high watermark.
  int64_t bound = 0;
  auto segs = log->segments();
  for (size_t i = 0; i + 1 < segs.size(); i++) {
    if (segs[i + 1].base_offset <= log->high_watermark()) bound = segs[i + 1].base_offset;
  }
  std::map<std::string, int64_t> last_in_range;
  for (const Appended& a : model) {
    if (a.offset < bound) last_in_range[a.key] = a.offset;
  }
  if (*rc::gen::arbitrary<bool>()) {
    RC_ASSERT(log->flush().is_ok());  // what compaction wrote must survive without it
    log.reset();
    b.disk.crash(*rc::gen::arbitrary<bool>());
    log = open_log(b, c);
  }
  auto all = read_all(*log, *rc::gen::inRange<size_t>(1, 1000));
  RC_ASSERT(all.is_ok());
  std::map<int64_t, const Record*> by_offset;
  for (const Record& rec : *all) by_offset[rec.offset] = &rec;
  for (const Appended& a : model) {
    auto it = by_offset.find(a.offset);
    const bool superseded = a.offset < bound && last_in_range.at(a.key) != a.offset;
    const bool dropped_tombstone = a.offset < bound && !a.value && drop_tombstones;
    if (a.offset >= bound || (!superseded && !dropped_tombstone)) {
      // Kept, unchanged: the latest value of each key in the range, and everything past it.
      RC_ASSERT(it != by_offset.end());
      RC_ASSERT(testing::str(it->second->key) == a.key);
      RC_ASSERT(testing::str(it->second->value) == (a.value ? *a.value : "<null>"));
    } else {
      RC_ASSERT(it == by_offset.end());
    }
  }
  RC_ASSERT(all->size() == static_cast<size_t>(std::count_if(model.begin(), model.end(), [&](const Appended& a) {
              return a.offset >= bound || (last_in_range.at(a.key) == a.offset && (a.value || !drop_tombstones));
            })));
  RC_ASSERT(log->log_end_offset() == static_cast<int64_t>(model.size()));
}

RC_GTEST_PROP(KafkaLogProps, DamagedFilesGiveErrorsOrLoggedTruncationsNeverCrashes, ()) {
  DiskBench b(*rc::gen::arbitrary<uint64_t>());
  LogConfig c;
  c.segment_bytes = *rc::gen::inRange<uint64_t>(300, 1500);
  c.index_interval_bytes = *rc::gen::inRange<uint32_t>(0, 300);
  std::vector<Appended> model;
  {
    auto log = open_log(b, c);
    const int batches = *rc::gen::inRange(1, 25);
    for (int i = 0; i < batches; i++) {
      Bytes batch = gen_batch(*rc::gen::inRange(1, 4), static_cast<uint64_t>(i), Compression::kNone, b.clock.wall_ms(),
                              &model, log->log_end_offset());
      RC_ASSERT(log->append_as_leader(batch, i / 5).is_ok());
    }
    if (*rc::gen::arbitrary<bool>()) {
      RC_ASSERT(log->close().is_ok());
    } else {
      RC_ASSERT(log->flush().is_ok());
    }
  }
  auto names = *b.disk.list(kDir);
  const int damages = *rc::gen::inRange(1, 4);
  for (int d = 0; d < damages; d++) {
    const std::string file = io::join_path(kDir, *rc::gen::elementOf(names));
    auto bytes = b.disk.read_file(file);
    if (!bytes.is_ok()) continue;
    Bytes data = *bytes;
    switch (*rc::gen::inRange(0, 4)) {
      case 0:  // bit flips
        for (int i = *rc::gen::inRange(1, 4); i > 0 && !data.empty(); i--) {
          data[*rc::gen::inRange<size_t>(0, data.size())] ^= static_cast<uint8_t>(1u << *rc::gen::inRange(0, 8));
        }
        break;
      case 1:  // cut
        data.resize(*rc::gen::inRange<size_t>(0, data.size() + 1));
        break;
      case 2: {  // garbage appended
        const Bytes garbage = *rc::gen::container<Bytes>(rc::gen::arbitrary<uint8_t>());
        data.insert(data.end(), garbage.begin(), garbage.end());
        break;
      }
      default:  // overwritten with garbage
        for (uint8_t& x : data) x = *rc::gen::arbitrary<uint8_t>();
        break;
    }
    RC_ASSERT(b.disk.write_file_atomic(file, data).is_ok());
  }
  auto log = Log::open(b.disk, kDir, c, b.clock, b.env.log);
  if (!log.is_ok()) {
    RC_ASSERT(!log.status().message().empty());
    RC_TAG("open failed");
    return;
  }
  RC_TAG("opened");
  auto all = read_all(**log);
  if (!all.is_ok()) {
    RC_ASSERT(!all.status().message().empty());
  }
  // The damaged log still takes appends and reads them back.
  Bytes batch = gen_batch(2, 999, Compression::kNone, b.clock.wall_ms(), &model, 0);
  const int64_t leo = (*log)->log_end_offset();
  auto a = (*log)->append_as_leader(batch, 100);
  RC_ASSERT(a.is_ok());
  RC_ASSERT(a->first_offset == leo);
  auto r = (*log)->read(leo);
  RC_ASSERT(r.is_ok());
  RC_ASSERT(r->first_batch_offset == leo);
}

}  // namespace
}  // namespace kz::kafka::log
