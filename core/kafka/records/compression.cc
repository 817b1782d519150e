#include "core/kafka/records/compression.h"

#include <fmt/format.h>
#include <zlib.h>
#include <zstd.h>

#include <memory>

#include "core/kafka/records/compression_internal.h"

namespace kz::kafka {

namespace detail {

Status limit_error(std::string_view codec, size_t limit_bytes) {
  return error(Code::kCorruption,
               fmt::format("{} output exceeds the decompression limit of {} bytes", codec, limit_bytes));
}

Status BoundedOutput::finish(std::string_view codec) {
  if (over_limit()) {
    out_->resize(start_);
    return limit_error(codec, max_);
  }
  out_->resize(start_ + produced_);
  return Status::ok();
}

}  // namespace detail

namespace {

using detail::BoundedOutput;

// zlib counts in uInt; Kafka batches are below 2 GiB (int32 lengths), so this only guards misuse.
constexpr size_t kZlibInputBytesMax = size_t{1} << 31;

Status compress_gzip(ByteSpan input, const CompressOptions& options, Bytes* out) {
  if (input.size() >= kZlibInputBytesMax) return error(Code::kInvalidArgument, "gzip input over 2 GiB");
  z_stream zs{};
  const int level = options.level == 0 ? Z_DEFAULT_COMPRESSION : options.level;
  if (level != Z_DEFAULT_COMPRESSION && (level < 1 || level > 9)) {
    return error(Code::kInvalidArgument, fmt::format("gzip level {} not in 1..9", level));
  }
  // windowBits 15 + 16: a gzip header and trailer rather than zlib's.
  if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return error(Code::kIoError, "gzip: deflateInit2 failed");
  }
  const size_t start = out->size();
  const size_t bound = deflateBound(&zs, static_cast<uLong>(input.size()));
  out->resize(start + bound);
  zs.next_in = const_cast<Bytef*>(input.data());
  zs.avail_in = static_cast<uInt>(input.size());
  zs.next_out = out->data() + start;
  zs.avail_out = static_cast<uInt>(bound);
  const int rc = deflate(&zs, Z_FINISH);
  const size_t written = bound - zs.avail_out;
  deflateEnd(&zs);
  // deflateBound guarantees one Z_FINISH call completes.
  KZ_ASSERT_MSG(rc == Z_STREAM_END, fmt::format("deflate returned {}", rc));
  out->resize(start + written);
  return Status::ok();
}

Status decompress_gzip(ByteSpan input, size_t output_bytes_max, Bytes* out) {
  if (input.size() >= kZlibInputBytesMax) return error(Code::kCorruption, "gzip input over 2 GiB");
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) return error(Code::kIoError, "gzip: inflateInit2 failed");
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&zs, inflateEnd);
  zs.next_in = const_cast<Bytef*>(input.data());
  zs.avail_in = static_cast<uInt>(input.size());
  BoundedOutput output(out, output_bytes_max, input.size() * 4);
  for (;;) {
    std::span<uint8_t> space = output.space();
    if (space.empty()) return output.finish("gzip");
    const uInt avail = static_cast<uInt>(std::min<size_t>(space.size(), uInt{1} << 30));
    zs.next_out = space.data();
    zs.avail_out = avail;
    const int rc = inflate(&zs, Z_NO_FLUSH);
    output.commit(avail - zs.avail_out);
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) break;
      // Another gzip member follows (concatenated members are one valid gzip stream).
      const size_t at = input.size() - zs.avail_in;
      if (zs.avail_in < 2 || zs.next_in[0] != 0x1F || zs.next_in[1] != 0x8B) {
        return output.fail(error(Code::kCorruption,
                                 fmt::format("gzip: {} trailing bytes after the stream at offset {}", zs.avail_in, at)));
      }
      if (inflateReset(&zs) != Z_OK) return error(Code::kIoError, "gzip: inflateReset failed");
      continue;
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR && zs.avail_out == 0) continue;  // needs more output space
    Status status = rc == Z_BUF_ERROR
                        ? error(Code::kCorruption, fmt::format("gzip: truncated stream ({} bytes)", input.size()))
                        : error(Code::kCorruption, fmt::format("gzip: corrupt stream at input offset {}: {}",
                                                               input.size() - zs.avail_in,
                                                               zs.msg ? zs.msg : "inflate failed"));
    return output.fail(status);
  }
  return output.finish("gzip");
}

Status compress_zstd(ByteSpan input, const CompressOptions& options, Bytes* out) {
  const int level = options.level == 0 ? ZSTD_CLEVEL_DEFAULT : options.level;
  if (level < ZSTD_minCLevel() || level > ZSTD_maxCLevel()) {
    return error(Code::kInvalidArgument, fmt::format("zstd level {} out of range", level));
  }
  const size_t start = out->size();
  const size_t bound = ZSTD_compressBound(input.size());
  out->resize(start + bound);
  const size_t rc = ZSTD_compress(out->data() + start, bound, input.data(), input.size(), level);
  KZ_ASSERT_MSG(!ZSTD_isError(rc), ZSTD_getErrorName(rc));  // the bound is always enough
  out->resize(start + rc);
  return Status::ok();
}

Status decompress_zstd(ByteSpan input, size_t output_bytes_max, Bytes* out) {
  std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> dctx(ZSTD_createDCtx(), ZSTD_freeDCtx);
  if (!dctx) return error(Code::kIoError, "zstd: cannot create a decompression context");
  // Cap the window a frame may demand: 8 MiB covers what streaming compressors pick at common levels,
  // larger only as far as the output limit (never above zstd's default cap of 128 MiB).
  int window_log = 23;
  while (window_log < 27 && (size_t{1} << window_log) < output_bytes_max) window_log++;
  ZSTD_DCtx_setParameter(dctx.get(), ZSTD_d_windowLogMax, window_log);
  size_t hint = input.size() * 4;
  const unsigned long long declared = ZSTD_getFrameContentSize(input.data(), input.size());
  if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != ZSTD_CONTENTSIZE_ERROR) {
    if (declared > output_bytes_max) return detail::limit_error("zstd", output_bytes_max);
    hint = static_cast<size_t>(declared) + 1;
  }
  BoundedOutput output(out, output_bytes_max, hint);
  ZSTD_inBuffer in{input.data(), input.size(), 0};
  size_t rc = 1;
  for (;;) {
    std::span<uint8_t> space = output.space();
    if (space.empty()) return output.finish("zstd");
    ZSTD_outBuffer o{space.data(), space.size(), 0};
    rc = ZSTD_decompressStream(dctx.get(), &o, &in);
    output.commit(o.pos);
    if (ZSTD_isError(rc)) {
      return output.fail(error(Code::kCorruption, fmt::format("zstd: corrupt input at offset {}: {}", in.pos,
                                                              ZSTD_getErrorName(rc))));
    }
    if (rc == 0 && in.pos == in.size) break;  // every frame complete, all input used
    if (in.pos == in.size && o.pos < o.size) {
      return output.fail(error(Code::kCorruption, fmt::format("zstd: truncated frame ({} bytes)", input.size())));
    }
  }
  return output.finish("zstd");
}

}  // namespace

std::string_view compression_name(Compression codec) {
  switch (codec) {
    case Compression::kNone: return "none";
    case Compression::kGzip: return "gzip";
    case Compression::kSnappy: return "snappy";
    case Compression::kLz4: return "lz4";
    case Compression::kZstd: return "zstd";
  }
  KZ_UNREACHABLE("bad Compression value");
}

Result<Compression> compression_from_name(std::string_view name) {
  for (int i = 0; i < kCompressionCodecs; i++) {
    if (compression_name(static_cast<Compression>(i)) == name) return static_cast<Compression>(i);
  }
  return error(Code::kInvalidArgument,
               fmt::format("unknown compression '{}' (none, gzip, snappy, lz4, zstd)", name));
}

Result<Compression> compression_from_bits(int bits) {
  KZ_ASSERT(bits >= 0 && bits <= 7);
  if (bits >= kCompressionCodecs) {
    return error(Code::kCorruption, fmt::format("unknown compression codec {}", bits));
  }
  return static_cast<Compression>(bits);
}

Status compress(Compression codec, ByteSpan input, const CompressOptions& options, Bytes* out) {
  KZ_ASSERT(out != nullptr);
  switch (codec) {
    case Compression::kNone: KZ_UNREACHABLE("compress with codec none");
    case Compression::kGzip: return compress_gzip(input, options, out);
    case Compression::kSnappy: return detail::compress_snappy(input, out);
    case Compression::kLz4: return detail::compress_lz4(input, options, out);
    case Compression::kZstd: return compress_zstd(input, options, out);
  }
  KZ_UNREACHABLE("bad Compression value");
}

Status decompress(Compression codec, ByteSpan input, const DecompressOptions& options, Bytes* out) {
  KZ_ASSERT(out != nullptr);
  switch (codec) {
    case Compression::kNone: KZ_UNREACHABLE("decompress with codec none");
    case Compression::kGzip: return decompress_gzip(input, options.output_bytes_max, out);
    case Compression::kSnappy: return detail::decompress_snappy(input, options.output_bytes_max, out);
    case Compression::kLz4: return detail::decompress_lz4(input, options, out);
    case Compression::kZstd: return decompress_zstd(input, options.output_bytes_max, out);
  }
  KZ_UNREACHABLE("bad Compression value");
}

}  // namespace kz::kafka
