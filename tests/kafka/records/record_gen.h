// RapidCheck generators and helpers for Kafka record tests.
#pragma once

#include <rapidcheck.h>

#include <optional>
#include <string>
#include <vector>

#include "core/kafka/records/record_batch.h"

namespace kz::kafka::testing {

inline rc::Gen<std::optional<Bytes>> gen_nullable_bytes() {
  return rc::gen::oneOf(rc::gen::just(std::optional<Bytes>()),
                        rc::gen::map(rc::gen::container<Bytes>(rc::gen::arbitrary<uint8_t>()),
                                     [](Bytes b) { return std::optional<Bytes>(std::move(b)); }));
}

inline rc::Gen<RecordHeader> gen_header() {
  return rc::gen::build<RecordHeader>(rc::gen::set(&RecordHeader::key, rc::gen::string<std::string>()),
                                      rc::gen::set(&RecordHeader::value, gen_nullable_bytes()));
}

// Records at base_offset + increasing gaps, with timestamps on either side of the first.
inline rc::Gen<std::vector<Record>> gen_records(int64_t base_offset, bool with_headers = true) {
  return rc::gen::exec([=] {
    const size_t count = *rc::gen::inRange<size_t>(1, 20);
    std::vector<Record> records;
    int64_t offset = base_offset;
    const int64_t timestamp0 = *rc::gen::inRange<int64_t>(-1, int64_t{1} << 45);
    for (size_t i = 0; i < count; i++) {
      Record r;
      r.offset = offset;
      r.timestamp_ms = timestamp0 + *rc::gen::inRange<int64_t>(-100000, 100000);
      r.key = *gen_nullable_bytes();
      r.value = *gen_nullable_bytes();
      if (with_headers) r.headers = *rc::gen::resize(4, rc::gen::container<std::vector<RecordHeader>>(gen_header()));
      records.push_back(std::move(r));
      offset += *rc::gen::inRange<int64_t>(1, 4);
    }
    return records;
  });
}

inline Record make_record(int64_t offset, int64_t timestamp_ms, std::string_view key, std::string_view value) {
  Record r;
  r.offset = offset;
  r.timestamp_ms = timestamp_ms;
  r.key = Bytes(key.begin(), key.end());
  r.value = Bytes(value.begin(), value.end());
  return r;
}

}  // namespace kz::kafka::testing
