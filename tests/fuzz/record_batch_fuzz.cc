// libFuzzer target: RecordBatch v2 decoding (the bytes of Produce requests and of log segments):
// BatchReader over concatenated batches, every record decoded (decompression bounded by 16x the
// input, so a decompression bomb is an error, not an allocation), control records parsed, and the
// mixed v2/legacy record set decoder.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

#include "core/kafka/records/batch_builder.h"
#include "core/kafka/records/legacy_message_set.h"
#include "core/kafka/records/record_batch.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kz::kafka;
  const ByteSpan bytes(data, size);
  DecodeOptions options;
  options.decompressed_bytes_max = std::max<size_t>(4096, size * 16);
  BatchReader reader(bytes);
  for (int i = 0; i < 1000; i++) {
    kz::Result<std::optional<BatchView>> batch = reader.next();
    if (!batch.is_ok() || !*batch) break;
    Bytes scratch;
    kz::Status s = (*batch)->for_each_record(options, &scratch, [&](const RecordView& r) {
      if ((*batch)->is_control()) (void)parse_control_record(r);
      return kz::Status::ok();
    });
    (void)s;
  }
  kz::Result<BatchView> one = BatchView::parse(bytes);
  if (one.is_ok()) {
    std::vector<Record> records;
    (void)one->decode_records(options, &records);
  }
  // Mixed v2 / legacy record sets (old Fetch and Produce versions).
  std::vector<Record> mixed;
  (void)decode_record_set(bytes, options, &mixed, nullptr);
  return 0;
}
