// LZ4 frames as Kafka clients write them, including the wrong header checksum of magic 0 (KIP-57).
//
// Frame header: magic 0x184D2204 (little-endian), FLG, BD, [content size u64], [dict id u32], HC.
// HC is the second byte of xxHash32(FLG..last descriptor byte, seed 0). Kafka's first LZ4 writer hashed
// from the frame magic instead; Kafka kept writing that for magic 0 messages so old readers still work.
#include <fmt/format.h>
#include <lz4frame.h>

#include <array>
#include <cstring>
#include <memory>

#include "core/kafka/records/compression_internal.h"

namespace kz::kafka {

namespace {

constexpr uint32_t kXxPrime1 = 2654435761U;
constexpr uint32_t kXxPrime2 = 2246822519U;
constexpr uint32_t kXxPrime3 = 3266489917U;
constexpr uint32_t kXxPrime4 = 668265263U;
constexpr uint32_t kXxPrime5 = 374761393U;

inline uint32_t rotl32(uint32_t v, int r) { return (v << r) | (v >> (32 - r)); }
inline uint32_t load_le32(const uint8_t* p) {
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}

}  // namespace

uint32_t xxhash32(ByteSpan data, uint32_t seed) {
  const uint8_t* p = data.data();
  size_t n = data.size();
  uint32_t h;
  if (n >= 16) {
    uint32_t v[4] = {seed + kXxPrime1 + kXxPrime2, seed + kXxPrime2, seed, seed - kXxPrime1};
    while (n >= 16) {
      for (int i = 0; i < 4; i++) {
        v[i] = rotl32(v[i] + load_le32(p + 4 * i) * kXxPrime2, 13) * kXxPrime1;
      }
      p += 16;
      n -= 16;
    }
    h = rotl32(v[0], 1) + rotl32(v[1], 7) + rotl32(v[2], 12) + rotl32(v[3], 18);
  } else {
    h = seed + kXxPrime5;
  }
  h += static_cast<uint32_t>(data.size());
  while (n >= 4) {
    h = rotl32(h + load_le32(p) * kXxPrime3, 17) * kXxPrime4;
    p += 4;
    n -= 4;
  }
  while (n > 0) {
    h = rotl32(h + *p * kXxPrime5, 11) * kXxPrime1;
    p++;
    n--;
  }
  h ^= h >> 15;
  h *= kXxPrime2;
  h ^= h >> 13;
  h *= kXxPrime3;
  h ^= h >> 16;
  return h;
}

namespace detail {

namespace {

constexpr uint32_t kLz4FrameMagic = 0x184D2204;
constexpr uint32_t kLz4SkippableMagicMask = 0xFFFFFFF0;
constexpr uint32_t kLz4SkippableMagic = 0x184D2A50;
constexpr size_t kLz4HeaderBytesMax = 4 + 2 + 8 + 4 + 1;

// Length of the frame header up to (not including) HC, or 0 if `frame` is too short to tell.
size_t descriptor_end(ByteSpan frame) {
  if (frame.size() < 5) return 0;
  const uint8_t flg = frame[4];
  return 6 + ((flg & 0x08) ? 8 : 0) + ((flg & 0x01) ? 4 : 0);
}

uint8_t header_checksum(ByteSpan frame, size_t hc_at) { return (xxhash32(frame.subspan(4, hc_at - 4), 0) >> 8) & 0xFF; }
uint8_t kafka_legacy_header_checksum(ByteSpan frame, size_t hc_at) {
  return (xxhash32(frame.subspan(0, hc_at), 0) >> 8) & 0xFF;
}

using DctxPtr = std::unique_ptr<LZ4F_dctx, LZ4F_errorCode_t (*)(LZ4F_dctx*)>;

// Feeds `src` to the decoder until it is consumed; sets *frame_done when the frame's end mark and
// checksum (if any) have been read.
Status feed(LZ4F_dctx* dctx, ByteSpan src, size_t src_at, BoundedOutput* output, size_t* consumed_bytes,
            bool* frame_done) {
  size_t position = 0;
  *frame_done = false;
  for (;;) {
    std::span<uint8_t> space = output->space();
    if (space.empty()) break;  // over the limit: the caller's finish() reports it
    size_t dst_bytes = space.size();
    size_t src_bytes = src.size() - position;
    const size_t rc = LZ4F_decompress(dctx, space.data(), &dst_bytes, src.data() + position, &src_bytes, nullptr);
    if (LZ4F_isError(rc)) {
      return error(Code::kCorruption, fmt::format("lz4: corrupt frame near offset {}: {}", src_at + position,
                                                  LZ4F_getErrorName(rc)));
    }
    output->commit(dst_bytes);
    position += src_bytes;
    if (dst_bytes == 0 && src_bytes == 0 && rc != 0) {
      return error(Code::kCorruption, fmt::format("lz4: decoder stalled at offset {}", src_at + position));
    }
    if (rc == 0) {
      *frame_done = true;
      break;
    }
    // Output still buffered inside the decoder comes out on the next call even with no input left.
    if (position == src.size() && dst_bytes < space.size()) break;
  }
  *consumed_bytes = position;
  return Status::ok();
}

}  // namespace

Status compress_lz4(ByteSpan input, const CompressOptions& options, Bytes* out) {
  LZ4F_preferences_t prefs;
  std::memset(&prefs, 0, sizeof(prefs));
  // Kafka's Java reader decodes each block on its own: blocks must be independent.
  prefs.frameInfo.blockSizeID = LZ4F_max64KB;
  prefs.frameInfo.blockMode = LZ4F_blockIndependent;
  prefs.compressionLevel = options.level;
  const size_t start = out->size();
  const size_t bound = LZ4F_compressFrameBound(input.size(), &prefs);
  out->resize(start + bound);
  const size_t rc = LZ4F_compressFrame(out->data() + start, bound, input.data(), input.size(), &prefs);
  KZ_ASSERT_MSG(!LZ4F_isError(rc), LZ4F_getErrorName(rc));  // the bound is always enough
  out->resize(start + rc);
  if (options.magic == 0) {
    ByteSpan frame(out->data() + start, rc);
    const size_t hc_at = descriptor_end(frame);
    KZ_ASSERT(hc_at > 0 && hc_at < frame.size());
    (*out)[start + hc_at] = kafka_legacy_header_checksum(frame, hc_at);
  }
  return Status::ok();
}

Status decompress_lz4(ByteSpan input, const DecompressOptions& options, Bytes* out) {
  LZ4F_dctx* raw = nullptr;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&raw, LZ4F_VERSION))) {
    return error(Code::kIoError, "lz4: cannot create a decompression context");
  }
  DctxPtr dctx(raw, LZ4F_freeDecompressionContext);
  BoundedOutput output(out, options.output_bytes_max, input.size() * 4);
  if (input.empty()) return output.fail(error(Code::kCorruption, "lz4: empty input"));
  size_t position = 0;
  // One or more frames (skippable frames are skipped), each checked before the decoder sees it.
  while (position < input.size() && !output.over_limit()) {
    ByteSpan frame = input.subspan(position);
    if (frame.size() < 4) {
      return output.fail(error(Code::kCorruption, fmt::format("lz4: truncated frame magic at offset {}", position)));
    }
    const uint32_t magic = load_le32(frame.data());
    if ((magic & kLz4SkippableMagicMask) == kLz4SkippableMagic) {
      if (frame.size() < 8 || frame.size() - 8 < load_le32(frame.data() + 4)) {
        return output.fail(error(Code::kCorruption, fmt::format("lz4: truncated skippable frame at offset {}", position)));
      }
      position += 8 + load_le32(frame.data() + 4);
      continue;
    }
    if (magic != kLz4FrameMagic) {
      return output.fail(error(Code::kCorruption, fmt::format("lz4: bad frame magic {:#010x} at offset {}", magic, position)));
    }
    const size_t hc_at = descriptor_end(frame);
    if (hc_at == 0 || frame.size() <= hc_at) {
      return output.fail(error(Code::kCorruption, fmt::format("lz4: truncated frame header at offset {}", position)));
    }
    // The decoder verifies HC itself; a legacy checksum is swapped for the right one first.
    std::array<uint8_t, kLz4HeaderBytesMax> header{};
    KZ_ASSERT(hc_at + 1 <= header.size());
    std::memcpy(header.data(), frame.data(), hc_at + 1);
    const uint8_t hc = frame[hc_at];
    if (hc != header_checksum(frame, hc_at)) {
      const bool legacy_allowed = options.magic < 2;
      if (!legacy_allowed || hc != kafka_legacy_header_checksum(frame, hc_at)) {
        return output.fail(error(Code::kCorruption, fmt::format("lz4: header checksum mismatch at offset {}", position)));
      }
      header[hc_at] = header_checksum(frame, hc_at);
    }
    size_t consumed = 0;
    bool frame_done = false;
    Status s = feed(dctx.get(), ByteSpan(header.data(), hc_at + 1), position, &output, &consumed, &frame_done);
    if (!s.is_ok()) return output.fail(s);
    if (output.over_limit()) break;
    if (frame_done || consumed != hc_at + 1) {
      return output.fail(error(Code::kCorruption, fmt::format("lz4: bad frame header at offset {}", position)));
    }
    position += hc_at + 1;
    s = feed(dctx.get(), input.subspan(position), position, &output, &consumed, &frame_done);
    if (!s.is_ok()) return output.fail(s);
    if (output.over_limit()) break;
    if (!frame_done) {
      return output.fail(error(Code::kCorruption, fmt::format("lz4: truncated frame ({} bytes)", input.size())));
    }
    position += consumed;
  }
  return output.finish("lz4");
}

}  // namespace detail
}  // namespace kz::kafka
