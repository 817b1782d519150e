// Snappy in the xerial framing Kafka's Java client writes (and raw snappy, which some clients send).
#include <fmt/format.h>
#include <snappy.h>

#include <array>
#include <cstring>

#include "core/kafka/records/compression_internal.h"

namespace kz::kafka::detail {

namespace {

constexpr std::array<uint8_t, 8> kXerialMagic = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
constexpr size_t kXerialHeaderBytes = 16;  // magic, int32 version, int32 compatible version
constexpr int32_t kXerialVersion = 1;
constexpr int32_t kXerialCompatibleVersion = 1;
// xerial's default block size, which Kafka's Java producer uses.
constexpr size_t kXerialBlockBytes = 32 * 1024;

bool has_xerial_magic(ByteSpan input) {
  return input.size() >= kXerialMagic.size() && std::memcmp(input.data(), kXerialMagic.data(), kXerialMagic.size()) == 0;
}

// Appends one raw snappy block's contents, bounded by what the limit leaves.
Status uncompress_block(ByteSpan block, size_t at, size_t output_bytes_max, size_t* produced_bytes, Bytes* out) {
  const char* src = reinterpret_cast<const char*>(block.data());
  size_t block_bytes = 0;
  if (!snappy::GetUncompressedLength(src, block.size(), &block_bytes)) {
    return error(Code::kCorruption, fmt::format("snappy: bad block header at offset {}", at));
  }
  if (block_bytes > output_bytes_max - *produced_bytes) return limit_error("snappy", output_bytes_max);
  const size_t start = out->size();
  out->resize(start + block_bytes);
  if (!snappy::RawUncompress(src, block.size(), reinterpret_cast<char*>(out->data() + start))) {
    out->resize(start);
    return error(Code::kCorruption, fmt::format("snappy: corrupt block at offset {}", at));
  }
  *produced_bytes += block_bytes;
  return Status::ok();
}

}  // namespace

Status compress_snappy(ByteSpan input, Bytes* out) {
  ByteWriter w(out);
  w.put_bytes(kXerialMagic);
  w.put_i32(kXerialVersion);
  w.put_i32(kXerialCompatibleVersion);
  size_t position = 0;
  // An empty input still gets the header alone, which decodes back to nothing.
  while (position < input.size()) {
    const size_t piece = std::min(kXerialBlockBytes, input.size() - position);
    const size_t length_at = out->size();
    w.put_i32(0);  // patched below
    const size_t block_at = out->size();
    out->resize(block_at + snappy::MaxCompressedLength(piece));
    size_t block_bytes = 0;
    snappy::RawCompress(reinterpret_cast<const char*>(input.data() + position), piece,
                        reinterpret_cast<char*>(out->data() + block_at), &block_bytes);
    out->resize(block_at + block_bytes);
    store_be32(out->data() + length_at, static_cast<uint32_t>(block_bytes));
    position += piece;
  }
  return Status::ok();
}

Status decompress_snappy(ByteSpan input, size_t output_bytes_max, Bytes* out) {
  const size_t start = out->size();
  size_t produced = 0;
  if (!has_xerial_magic(input)) {
    Status s = uncompress_block(input, 0, output_bytes_max, &produced, out);
    if (!s.is_ok()) out->resize(start);
    return s;
  }
  ByteReader r(input);
  KZ_RETURN_IF_ERROR(r.skip("snappy xerial magic", kXerialMagic.size()));
  int32_t version = 0;
  int32_t compatible = 0;
  KZ_RETURN_IF_ERROR(r.read_i32("snappy xerial version", &version));
  KZ_RETURN_IF_ERROR(r.read_i32("snappy xerial compatible version", &compatible));
  // xerial readers refuse streams that need a newer reader than version 1.
  if (compatible > kXerialVersion || compatible < 0) {
    return error(Code::kCorruption, fmt::format("snappy: unsupported xerial compatible version {}", compatible));
  }
  static_assert(kXerialHeaderBytes == 16);
  while (!r.at_end()) {
    int32_t block_bytes = 0;
    Status s = r.read_i32("snappy xerial block length", &block_bytes);
    if (s.is_ok() && block_bytes < 0) {
      s = error(Code::kCorruption, fmt::format("snappy: negative block length {} at offset {}", block_bytes,
                                               r.offset_bytes() - 4));
    }
    ByteSpan block;
    const size_t block_at = r.offset_bytes();
    if (s.is_ok()) s = r.read_span("snappy xerial block", static_cast<size_t>(block_bytes), &block);
    if (s.is_ok()) s = uncompress_block(block, block_at, output_bytes_max, &produced, out);
    if (!s.is_ok()) {
      out->resize(start);
      return s;
    }
  }
  return Status::ok();
}

}  // namespace kz::kafka::detail
