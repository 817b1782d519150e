// Rewrites the CRC of every batch-shaped region of a buffer of concatenated v2 batches, so that a
// fuzzer's mutations get past the CRC check and reach record decoding and decompression. (Inputs are
// also decoded as given, so the CRC-failure paths stay covered.)
#pragma once

#include <cstdint>
#include <vector>

#include "core/kafka/records/byte_io.h"
#include "core/kafka/records/crc32c.h"
#include "core/kafka/records/record_batch.h"

namespace kz::fuzz {

inline void fix_batch_crcs(std::vector<uint8_t>& bytes) {
  using namespace kz::kafka;
  size_t pos = 0;
  while (bytes.size() - pos >= kBatchHeaderBytes) {
    const int32_t length = static_cast<int32_t>(load_be32(bytes.data() + pos + batch_field::kBatchLength));
    if (length < static_cast<int32_t>(kBatchHeaderBytes - kLogOverheadBytes) ||
        static_cast<size_t>(length) > bytes.size() - pos - kLogOverheadBytes) {
      return;
    }
    const size_t end = pos + kLogOverheadBytes + static_cast<size_t>(length);
    if (bytes[pos + batch_field::kMagic] == kMagicV2) {
      const uint32_t crc = crc32c(std::span<const uint8_t>(bytes.data() + pos + batch_field::kAttributes,
                                                           end - pos - batch_field::kAttributes));
      for (int i = 0; i < 4; i++) bytes[pos + batch_field::kCrc + i] = static_cast<uint8_t>(crc >> (24 - 8 * i));
    }
    pos = end;
  }
}

}  // namespace kz::fuzz
