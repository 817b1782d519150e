#include "core/kafka/records/compression.h"

#include <gtest/gtest.h>
#include <lz4frame.h>
#include <rapidcheck/gtest.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <string>
#include <vector>

namespace kz::kafka {
namespace {

const Compression kCodecs[] = {Compression::kGzip, Compression::kSnappy, Compression::kLz4, Compression::kZstd};

// Text-like bytes: compressible, but not trivially.
Bytes sample(size_t size_bytes, uint64_t seed = 1) {
  static const char* words[] = {"kafka ", "record ", "batch ", "offset ", "leader ", "epoch ", "crc ", "zstd "};
  Bytes out;
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  while (out.size() < size_bytes) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    const char* w = words[x % 8];
    for (const char* p = w; *p && out.size() < size_bytes; p++) out.push_back(static_cast<uint8_t>(*p));
  }
  return out;
}

Bytes compress_or_die(Compression codec, ByteSpan input, int8_t magic = 2) {
  Bytes out;
  CompressOptions options;
  options.magic = magic;
  Status s = compress(codec, input, options, &out);
  EXPECT_TRUE(s.is_ok()) << s.to_string();
  return out;
}

Result<Bytes> decompress_to(Compression codec, ByteSpan input, size_t limit_bytes, int8_t magic = 2) {
  Bytes out;
  DecompressOptions options;
  options.output_bytes_max = limit_bytes;
  options.magic = magic;
  KZ_RETURN_IF_ERROR(decompress(codec, input, options, &out));
  return out;
}

TEST(KafkaRecCompression, RoundTripEveryCodecAndSize) {
  for (Compression codec : kCodecs) {
    for (size_t size : {size_t{0}, size_t{1}, size_t{1000}, size_t{70000}, size_t{300000}}) {
      const Bytes input = sample(size, size + 3);
      const Bytes compressed = compress_or_die(codec, input);
      Result<Bytes> back = decompress_to(codec, compressed, 1 << 20);
      ASSERT_TRUE(back.is_ok()) << compression_name(codec) << " " << size << ": " << back.status().to_string();
      EXPECT_EQ(*back, input) << compression_name(codec) << " " << size;
      if (size >= 1000) {
        EXPECT_LT(compressed.size(), input.size()) << compression_name(codec);
      }
    }
  }
}

TEST(KafkaRecCompression, DecompressAppendsToExistingBytes) {
  for (Compression codec : kCodecs) {
    const Bytes input = sample(5000);
    Bytes out = {7, 7};
    ASSERT_TRUE(decompress(codec, compress_or_die(codec, input), DecompressOptions{}, &out).is_ok());
    ASSERT_EQ(out.size(), 5002u);
    EXPECT_EQ(out[0], 7);
    EXPECT_TRUE(std::equal(input.begin(), input.end(), out.begin() + 2));
  }
}

TEST(KafkaRecCompression, NamesRoundTrip) {
  for (int i = 0; i < kCompressionCodecs; i++) {
    const Compression c = static_cast<Compression>(i);
    ASSERT_TRUE(compression_from_name(compression_name(c)).is_ok());
    EXPECT_EQ(*compression_from_name(compression_name(c)), c);
  }
  EXPECT_FALSE(compression_from_name("brotli").is_ok());
  EXPECT_FALSE(compression_from_bits(5).is_ok());
  EXPECT_EQ(*compression_from_bits(3), Compression::kLz4);
}

TEST(KafkaRecCompression, GzipIsGzipFraming) {
  const Bytes out = compress_or_die(Compression::kGzip, sample(100));
  ASSERT_GE(out.size(), 18u);
  EXPECT_EQ(out[0], 0x1F);
  EXPECT_EQ(out[1], 0x8B);
  EXPECT_EQ(out[2], 8);  // deflate
}

TEST(KafkaRecCompression, GzipConcatenatedMembersDecodeAsOne) {
  const Bytes a = sample(3000, 1);
  const Bytes b = sample(2000, 2);
  Bytes both = compress_or_die(Compression::kGzip, a);
  const Bytes second = compress_or_die(Compression::kGzip, b);
  both.insert(both.end(), second.begin(), second.end());
  Result<Bytes> back = decompress_to(Compression::kGzip, both, 1 << 20);
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  Bytes expected = a;
  expected.insert(expected.end(), b.begin(), b.end());
  EXPECT_EQ(*back, expected);
  both.push_back(0);  // a stray byte after the last member
  EXPECT_FALSE(decompress_to(Compression::kGzip, both, 1 << 20).is_ok());
}

TEST(KafkaRecCompression, SnappyXerialFraming) {
  const Bytes input = sample(100000);
  const Bytes out = compress_or_die(Compression::kSnappy, input);
  const uint8_t header[16] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1};
  ASSERT_GE(out.size(), 16u);
  EXPECT_TRUE(std::equal(header, header + 16, out.begin()));
  // Blocks of at most 32 KiB of input each: 100000 bytes make 4, each [int32 length][raw snappy].
  size_t position = 16;
  Bytes joined;
  int blocks = 0;
  while (position < out.size()) {
    ASSERT_LE(position + 4, out.size());
    const size_t length = load_be32(out.data() + position);
    position += 4;
    ASSERT_LE(position + length, out.size());
    std::string block;
    ASSERT_TRUE(snappy::Uncompress(reinterpret_cast<const char*>(out.data() + position), length, &block));
    EXPECT_LE(block.size(), 32768u);
    joined.insert(joined.end(), block.begin(), block.end());
    position += length;
    blocks++;
  }
  EXPECT_EQ(blocks, 4);
  EXPECT_EQ(joined, input);
}

TEST(KafkaRecCompression, SnappyRawAcceptedOnDecode) {
  const Bytes input = sample(5000);
  std::string raw;
  snappy::Compress(reinterpret_cast<const char*>(input.data()), input.size(), &raw);
  Result<Bytes> back = decompress_to(Compression::kSnappy, as_bytes(raw), 1 << 20);
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_EQ(*back, input);
}

uint8_t lz4_header_checksum_byte(const Bytes& frame) {
  const size_t hc_at = 6 + ((frame[4] & 0x08) ? 8 : 0) + ((frame[4] & 0x01) ? 4 : 0);
  return frame[hc_at];
}

TEST(KafkaRecCompression, Xxhash32KnownValuesAndLz4HeaderChecksum) {
  EXPECT_EQ(xxhash32({}, 0), 0x02CC5D05u);
  // liblz4 computes the frame header checksum itself: ours must agree on its descriptor.
  const Bytes frame = compress_or_die(Compression::kLz4, sample(100));
  const size_t hc_at = 6;
  ASSERT_EQ(frame[4] & 0x09, 0);  // no content size, no dictionary: descriptor is FLG, BD
  EXPECT_EQ((xxhash32(ByteSpan(frame).subspan(4, 2), 0) >> 8) & 0xFF, frame[hc_at]);
  // Block independence (FLG bit 5) so Kafka's Java reader can decode each block alone.
  EXPECT_NE(frame[4] & 0x20, 0);
  // Long inputs exercise the 16-byte stripes: check against the 4-byte tail rule by splitting.
  const Bytes long_input = sample(1000);
  EXPECT_NE(xxhash32(long_input, 0), xxhash32(long_input, 1));
}

TEST(KafkaRecCompression, Lz4LegacyHeaderChecksumForMagic0) {
  const Bytes input = sample(20000);
  const Bytes v0 = compress_or_die(Compression::kLz4, input, 0);
  const Bytes v1 = compress_or_die(Compression::kLz4, input, 1);
  ASSERT_EQ(v0.size(), v1.size());
  // Only the header checksum differs; magic 0's hashes the frame magic too.
  EXPECT_NE(lz4_header_checksum_byte(v0), lz4_header_checksum_byte(v1));
  EXPECT_EQ((xxhash32(ByteSpan(v0).subspan(0, 6), 0) >> 8) & 0xFF, lz4_header_checksum_byte(v0));
  for (int8_t magic : {0, 1}) {
    Result<Bytes> back = decompress_to(Compression::kLz4, v0, 1 << 20, magic);
    ASSERT_TRUE(back.is_ok()) << back.status().to_string();
    EXPECT_EQ(*back, input);
  }
  Result<Bytes> strict = decompress_to(Compression::kLz4, v0, 1 << 20, 2);
  ASSERT_FALSE(strict.is_ok());
  EXPECT_NE(strict.status().message().find("header checksum"), std::string::npos) << strict.status().to_string();
  // The standard frame is what liblz4 itself accepts.
  LZ4F_dctx* dctx = nullptr;
  ASSERT_FALSE(LZ4F_isError(LZ4F_createDecompressionContext(&dctx, LZ4F_VERSION)));
  Bytes out(input.size());
  size_t dst = out.size();
  size_t src = v1.size();
  EXPECT_EQ(LZ4F_decompress(dctx, out.data(), &dst, v1.data(), &src, nullptr), 0u);
  LZ4F_freeDecompressionContext(dctx);
  EXPECT_EQ(out, input);
}

TEST(KafkaRecCompression, Lz4LinkedBlocksFromOtherWritersDecode) {
  // librdkafka-style frames may link blocks and carry a content checksum and size.
  const Bytes input = sample(200000);
  LZ4F_preferences_t prefs{};
  prefs.frameInfo.blockMode = LZ4F_blockLinked;
  prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
  prefs.frameInfo.contentSize = input.size();
  Bytes frame(LZ4F_compressFrameBound(input.size(), &prefs));
  const size_t n = LZ4F_compressFrame(frame.data(), frame.size(), input.data(), input.size(), &prefs);
  ASSERT_FALSE(LZ4F_isError(n));
  frame.resize(n);
  Result<Bytes> back = decompress_to(Compression::kLz4, frame, 1 << 20);
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_EQ(*back, input);
  // The content checksum catches a flipped payload byte.
  frame[frame.size() / 2] ^= 0x10;
  EXPECT_FALSE(decompress_to(Compression::kLz4, frame, 1 << 20).is_ok());
}

TEST(KafkaRecCompression, BombsAreRejectedAtTheLimit) {
  const Bytes zeros(4 << 20, 0);
  for (Compression codec : kCodecs) {
    const Bytes compressed = compress_or_die(codec, zeros);
    EXPECT_LT(compressed.size(), zeros.size() / 20) << compression_name(codec);
    Result<Bytes> small = decompress_to(codec, compressed, 1 << 20);
    ASSERT_FALSE(small.is_ok()) << compression_name(codec);
    EXPECT_EQ(small.status().code(), Code::kCorruption);
    EXPECT_NE(small.status().message().find("limit"), std::string::npos) << small.status().to_string();
    EXPECT_FALSE(decompress_to(codec, compressed, zeros.size() - 1).is_ok()) << compression_name(codec);
    Result<Bytes> exact = decompress_to(codec, compressed, zeros.size());
    ASSERT_TRUE(exact.is_ok()) << compression_name(codec) << ": " << exact.status().to_string();
    EXPECT_EQ(exact->size(), zeros.size());
  }
}

TEST(KafkaRecCompression, FailedDecompressLeavesOutputUntouched) {
  for (Compression codec : kCodecs) {
    Bytes compressed = compress_or_die(codec, sample(50000));
    compressed.resize(compressed.size() / 2);
    Bytes out = {1, 2, 3};
    EXPECT_FALSE(decompress(codec, compressed, DecompressOptions{}, &out).is_ok()) << compression_name(codec);
    EXPECT_EQ(out, (Bytes{1, 2, 3})) << compression_name(codec);
  }
}

TEST(KafkaRecCompression, GarbageAndEmptyInputAreErrors) {
  const Bytes garbage = sample(300, 9);
  for (Compression codec : kCodecs) {
    EXPECT_FALSE(decompress_to(codec, garbage, 1 << 20).is_ok()) << compression_name(codec);
    EXPECT_FALSE(decompress_to(codec, {}, 1 << 20).is_ok()) << compression_name(codec);
  }
}

// Every prefix of a compressed stream is an error or a (shorter) correct prefix of the input, never
// a crash; checked exhaustively on one small stream per codec.
TEST(KafkaRecCompression, EveryTruncationIsHandled) {
  const Bytes input = sample(3000, 4);
  for (Compression codec : kCodecs) {
    const Bytes compressed = compress_or_die(codec, input);
    for (size_t n = 0; n < compressed.size(); n++) {
      Result<Bytes> r = decompress_to(codec, ByteSpan(compressed).first(n), 1 << 20);
      if (r.is_ok()) {
        // Only possible for framings whose prefix is itself complete (a snappy frame cut between blocks).
        EXPECT_LT(r->size(), input.size()) << compression_name(codec) << " cut at " << n;
        EXPECT_TRUE(std::equal(r->begin(), r->end(), input.begin())) << compression_name(codec);
      } else {
        EXPECT_EQ(r.status().code(), Code::kCorruption) << r.status().to_string();
      }
    }
  }
}

RC_GTEST_PROP(KafkaRecCompressionProp, RoundTripAndBitFlips, (const std::vector<uint8_t>& input)) {
  const Compression codec = *rc::gen::elementOf(std::vector<Compression>(std::begin(kCodecs), std::end(kCodecs)));
  Bytes compressed;
  RC_ASSERT(compress(codec, input, CompressOptions{}, &compressed).is_ok());
  Bytes back;
  RC_ASSERT(decompress(codec, compressed, DecompressOptions{}, &back).is_ok());
  RC_ASSERT(back == input);
  // A flipped bit must not crash; codecs without checksums may decode to something else.
  const size_t bit = *rc::gen::inRange<size_t>(0, compressed.size() * 8);
  compressed[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
  Bytes flipped;
  DecompressOptions small;
  small.output_bytes_max = input.size() + 1024;
  Status s = decompress(codec, compressed, small, &flipped);
  RC_ASSERT(s.is_ok() || s.code() == Code::kCorruption);
  RC_ASSERT(flipped.size() <= small.output_bytes_max);
}

}  // namespace
}  // namespace kz::kafka
