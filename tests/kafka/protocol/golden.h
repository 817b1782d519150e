// Test support for the Kafka codec golden tests: an independent byte builder `B` that writes the
// Kafka wire types exactly as the protocol spec describes them (it shares no code with
// core/kafka/protocol/wire.cc), and check_golden(), which encodes a populated message, compares
// it with the hand-built bytes, decodes them back, and truncates them at every offset.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/kafka/protocol/protocol.h"

namespace kz::kafka::testing {

inline std::string hex(const std::vector<uint8_t>& bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

inline std::vector<uint8_t> unhex(std::string_view text) {
  std::vector<uint8_t> out;
  auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  for (size_t i = 0; i + 1 < text.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(nibble(text[i]) * 16 + nibble(text[i + 1])));
  }
  return out;
}

// Builds expected bytes field by field. `flexible` picks the KIP-482 compact encodings.
class B {
 public:
  explicit B(bool flexible) : flexible_(flexible) {}

  B& i8(int64_t v) { return be(v, 1); }
  B& boolean(bool v) { return be(v ? 1 : 0, 1); }
  B& i16(int64_t v) { return be(v, 2); }
  B& i32(int64_t v) { return be(v, 4); }
  B& i64(int64_t v) { return be(v, 8); }
  B& uv(uint64_t v) {
    do {
      uint8_t byte = v & 0x7f;
      v >>= 7;
      if (v != 0) byte |= 0x80;
      out_.push_back(byte);
    } while (v != 0);
    return *this;
  }
  B& raw(std::string_view s) {
    out_.insert(out_.end(), s.begin(), s.end());
    return *this;
  }
  B& str(std::string_view s) {
    if (flexible_) {
      uv(s.size() + 1);
    } else {
      i16(static_cast<int64_t>(s.size()));
    }
    return raw(s);
  }
  B& null_str() { return flexible_ ? uv(0) : i16(-1); }
  B& nstr(const std::optional<std::string>& s) { return s ? str(*s) : null_str(); }
  B& bytes(std::string_view s) {
    if (flexible_) {
      uv(s.size() + 1);
    } else {
      i32(static_cast<int64_t>(s.size()));
    }
    return raw(s);
  }
  B& null_bytes() { return flexible_ ? uv(0) : i32(-1); }
  B& arr(size_t n) { return flexible_ ? uv(n + 1) : i32(static_cast<int64_t>(n)); }
  B& null_arr() { return flexible_ ? uv(0) : i32(-1); }
  // An empty tagged-field section, present only in flexible versions.
  B& tags() { return flexible_ ? uv(0) : *this; }
  B& append(const std::vector<uint8_t>& bytes) {
    out_.insert(out_.end(), bytes.begin(), bytes.end());
    return *this;
  }

  bool flexible() const { return flexible_; }
  const std::vector<uint8_t>& bytes_out() const { return out_; }

 private:
  B& be(int64_t v, int width) {
    for (int i = width - 1; i >= 0; i--) out_.push_back(static_cast<uint8_t>(static_cast<uint64_t>(v) >> (8 * i)));
    return *this;
  }
  bool flexible_;
  std::vector<uint8_t> out_;
};

inline std::vector<uint8_t> to_bytes(std::string_view s) { return {s.begin(), s.end()}; }

// Encode == expected, decode(expected) == message with nothing left over, and every strict prefix
// of the expected bytes fails to decode with an error naming the API and version.
template <typename M>
void check_golden(const M& message, int16_t version, const std::vector<uint8_t>& expected, const char* direction) {
  SCOPED_TRACE(std::string(M::kApiName) + " " + direction + " v" + std::to_string(version));
  Writer writer;
  Status encoded = message.encode(writer, version);
  ASSERT_TRUE(encoded.is_ok()) << encoded.to_string();
  EXPECT_EQ(hex(writer.data()), hex(expected));

  M decoded;
  Reader reader(expected);
  Status status = decoded.decode(reader, version);
  ASSERT_TRUE(status.is_ok()) << status.to_string();
  EXPECT_EQ(reader.remaining_bytes(), 0u);
  EXPECT_TRUE(decoded == message) << "round trip changed a field";

  std::string prefix = std::string(M::kApiName) + " " + direction + " v" + std::to_string(version) + ": ";
  for (size_t n = 0; n < expected.size(); n++) {
    M truncated;
    Reader short_reader(std::span<const uint8_t>(expected.data(), n));
    Status error = truncated.decode(short_reader, version);
    ASSERT_FALSE(error.is_ok()) << "decoding the first " << n << " of " << expected.size() << " bytes succeeded";
    EXPECT_EQ(error.message().rfind(prefix, 0), 0u) << error.message();
  }
}

// A golden case: fill(version, message, bytes) populates a message for `version` and writes the
// bytes the spec says it encodes to.
template <typename M, typename Fill>
void check_versions(std::initializer_list<int16_t> versions, const char* direction, Fill fill) {
  for (int16_t version : versions) {
    M message;
    const ApiInfo* api = find_api(M::kApiKey);
    ASSERT_NE(api, nullptr);
    B b(is_flexible_version(*api, version));
    fill(version, message, b);
    check_golden(message, version, b.bytes_out(), direction);
  }
}

}  // namespace kz::kafka::testing
