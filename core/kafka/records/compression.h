// Compression codecs of Kafka's record formats (the low 3 bits of a batch's or message's attributes),
// with the framings Kafka clients actually put on the wire:
//   gzip   RFC 1952 gzip members (not raw zlib).
//   snappy xerial framing: "\x82SNAPPY\0", int32 version, int32 compatible version, then
//          [int32 big-endian length][raw snappy block]...; raw snappy is accepted on decode too.
//   lz4    LZ4 frame format, independent 64 KiB blocks. Messages of magic 0 carry Kafka's old wrong
//          header checksum (hashed over the frame magic too, see KIP-57): written for magic 0,
//          accepted for magic 0 and 1 on decode, rejected for magic 2.
//   zstd   zstd frames (Kafka allows zstd with magic 2 only).
// Decompression never produces more than `output_bytes_max` bytes (a decompression bomb is an error,
// not an allocation) and corrupt or truncated input is a kCorruption error, never a crash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/base/status.h"
#include "core/kafka/records/byte_io.h"

namespace kz::kafka {

enum class Compression : uint8_t { kNone = 0, kGzip = 1, kSnappy = 2, kLz4 = 3, kZstd = 4 };
inline constexpr int kCompressionCodecs = 5;

std::string_view compression_name(Compression codec);
// "none", "gzip", "snappy", "lz4", "zstd".
Result<Compression> compression_from_name(std::string_view name);
// The 3 attribute bits; values 5..7 are not codecs.
Result<Compression> compression_from_bits(int bits);

struct CompressOptions {
  int level = 0;       // 0: the codec's default level
  int8_t magic = 2;    // message format the output is for (lz4's header checksum depends on it)
};

struct DecompressOptions {
  size_t output_bytes_max = size_t{64} << 20;
  int8_t magic = 2;
};

// Appends the compressed form of `input` to `out`. REQUIRES: codec != kNone.
Status compress(Compression codec, ByteSpan input, const CompressOptions& options, Bytes* out);
// Appends the decompressed form of `input` to `out`, at most options.output_bytes_max bytes.
// REQUIRES: codec != kNone.
Status decompress(Compression codec, ByteSpan input, const DecompressOptions& options, Bytes* out);

// xxHash32, used by the LZ4 frame header checksum; exposed for tests.
uint32_t xxhash32(ByteSpan data, uint32_t seed);

}  // namespace kz::kafka
