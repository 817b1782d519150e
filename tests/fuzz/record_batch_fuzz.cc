// libFuzzer target: RecordBatch v2 decoding (the bytes of Produce requests and of log segments):
// BatchReader over concatenated batches, every record decoded (decompression bounded by 16x the
// input, so a decompression bomb is an error, not an allocation), control records parsed, and the
// mixed v2/legacy record set decoder; each input twice, as given and with its batch CRCs fixed up,
// and a batch compressed from the input with one byte changed (nearly-valid compressed streams).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

#include "core/kafka/records/batch_builder.h"
#include "core/kafka/records/legacy_message_set.h"
#include "core/kafka/records/record_batch.h"
#include "tests/fuzz/fix_crcs.h"

namespace {

void decode_all(kz::kafka::ByteSpan bytes) {
  using namespace kz::kafka;
  const size_t size = bytes.size();
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
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  decode_all(kz::kafka::ByteSpan(data, size));
  // Again with every batch's CRC made right, to reach record decoding and decompression.
  std::vector<uint8_t> fixed(data, data + size);
  kz::fuzz::fix_batch_crcs(fixed);
  decode_all(fixed);
  // And a batch built from the input with one of the codecs, one byte of it changed: the decompressors
  // get nearly-valid streams, which random bytes rarely are.
  if (size >= 3) {
    using namespace kz::kafka;
    std::vector<Record> records(1);
    records[0].value = Bytes(data + 3, data + size);
    records[0].key = Bytes(data, data + 3);
    BatchOptions options;
    options.compression = static_cast<Compression>(data[0] % kCompressionCodecs);
    kz::Result<Bytes> built = build_batch(options, records);
    if (built.is_ok() && built->size() > kBatchHeaderBytes) {
      const size_t at = kBatchHeaderBytes + (size_t{data[1]} << 8 | data[2]) % (built->size() - kBatchHeaderBytes);
      (*built)[at] ^= static_cast<uint8_t>(data[size - 1] | 1);
      kz::fuzz::fix_batch_crcs(*built);
      decode_all(*built);
    }
  }
  return 0;
}
