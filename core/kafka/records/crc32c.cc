#include "core/kafka/records/crc32c.h"

#include <zlib.h>

#include <array>
#include <cstring>

#include "core/base/assert.h"

namespace kz::kafka {

namespace {

constexpr uint32_t kCastagnoliReflected = 0x82F63B78;

// Slicing-by-8 tables: table[k][b] is the CRC register after feeding byte b followed by k zero bytes.
using SliceTables = std::array<std::array<uint32_t, 256>, 8>;

constexpr SliceTables make_slice_tables() {
  SliceTables t{};
  for (uint32_t b = 0; b < 256; b++) {
    uint32_t crc = b;
    for (int bit = 0; bit < 8; bit++) crc = (crc >> 1) ^ ((crc & 1) ? kCastagnoliReflected : 0);
    t[0][b] = crc;
  }
  for (uint32_t b = 0; b < 256; b++) {
    for (int k = 1; k < 8; k++) t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xFF];
  }
  return t;
}

constexpr SliceTables kSlice = make_slice_tables();

inline uint64_t load_le64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;  // x86-64 and every target kz builds for are little-endian
}

// Raw register update (no pre/post inversion).
uint32_t portable_update(uint32_t crc, const uint8_t* p, size_t n) {
  while (n >= 8) {
    const uint64_t v = load_le64(p) ^ crc;
    crc = kSlice[7][v & 0xFF] ^ kSlice[6][(v >> 8) & 0xFF] ^ kSlice[5][(v >> 16) & 0xFF] ^
          kSlice[4][(v >> 24) & 0xFF] ^ kSlice[3][(v >> 32) & 0xFF] ^ kSlice[2][(v >> 40) & 0xFF] ^
          kSlice[1][(v >> 48) & 0xFF] ^ kSlice[0][v >> 56];
    p += 8;
    n -= 8;
  }
  while (n > 0) {
    crc = (crc >> 8) ^ kSlice[0][(crc ^ *p) & 0xFF];
    p++;
    n--;
  }
  return crc;
}

// The hardware path runs three independent crc32 streams over adjacent blocks, so the instruction's
// 3-cycle latency is hidden, then merges them: appending n bytes to a register is linear, so
// crc(A ++ B) = shift_n(crc(A)) ^ crc_from_zero(B), where shift_n advances a register over n zero
// bytes. shift_n is a 32x32 bit matrix, tabulated per byte of the register.
constexpr size_t kLongBlockBytes = 8192;
constexpr size_t kShortBlockBytes = 256;

using ShiftTable = std::array<std::array<uint32_t, 256>, 4>;

ShiftTable make_shift_table(size_t zero_bytes) {
  // Column i: the register 1<<i advanced over `zero_bytes` zero bytes.
  std::array<uint32_t, 32> column{};
  for (int i = 0; i < 32; i++) {
    uint32_t crc = uint32_t{1} << i;
    for (size_t z = 0; z < zero_bytes; z++) crc = (crc >> 8) ^ kSlice[0][crc & 0xFF];
    column[i] = crc;
  }
  ShiftTable table{};
  for (int k = 0; k < 4; k++) {
    for (uint32_t b = 0; b < 256; b++) {
      uint32_t v = 0;
      for (int bit = 0; bit < 8; bit++) {
        if (b & (1u << bit)) v ^= column[8 * k + bit];
      }
      table[k][b] = v;
    }
  }
  return table;
}

inline uint32_t shift(const ShiftTable& t, uint32_t crc) {
  return t[0][crc & 0xFF] ^ t[1][(crc >> 8) & 0xFF] ^ t[2][(crc >> 16) & 0xFF] ^ t[3][crc >> 24];
}

struct ShiftTables {
  ShiftTable long_blocks = make_shift_table(kLongBlockBytes);
  ShiftTable short_blocks = make_shift_table(kShortBlockBytes);
};

const ShiftTables& shift_tables() {
  static const ShiftTables tables;  // built once, about a millisecond
  return tables;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) inline uint32_t hw_u64(uint32_t crc, const uint8_t* p) {
  return static_cast<uint32_t>(__builtin_ia32_crc32di(crc, load_le64(p)));
}

// Three streams over adjacent blocks of kBlockBytes each, while at least three blocks remain.
// (A template rather than a lambda: lambdas do not inherit the target attribute.)
template <size_t kBlockBytes>
__attribute__((target("sse4.2"))) inline uint32_t hardware_three_way(uint32_t crc, const ShiftTable& table,
                                                                       const uint8_t** p_inout, size_t* n_inout) {
  const uint8_t* p = *p_inout;
  size_t n = *n_inout;
  while (n >= 3 * kBlockBytes) {
    uint32_t crc1 = 0;
    uint32_t crc2 = 0;
    const uint8_t* end = p + kBlockBytes;
    do {
      crc = hw_u64(crc, p);
      crc1 = hw_u64(crc1, p + kBlockBytes);
      crc2 = hw_u64(crc2, p + 2 * kBlockBytes);
      p += 8;
    } while (p < end);
    crc = shift(table, crc) ^ crc1;
    crc = shift(table, crc) ^ crc2;
    p += 2 * kBlockBytes;
    n -= 3 * kBlockBytes;
  }
  *p_inout = p;
  *n_inout = n;
  return crc;
}

__attribute__((target("sse4.2"))) uint32_t hardware_update(uint32_t crc, const uint8_t* p, size_t n) {
  if (n >= 3 * kShortBlockBytes) {
    const ShiftTables& tables = shift_tables();
    crc = hardware_three_way<kLongBlockBytes>(crc, tables.long_blocks, &p, &n);
    crc = hardware_three_way<kShortBlockBytes>(crc, tables.short_blocks, &p, &n);
  }
  while (n >= 8) {
    crc = hw_u64(crc, p);
    p += 8;
    n -= 8;
  }
  while (n > 0) {
    crc = __builtin_ia32_crc32qi(crc, *p);
    p++;
    n--;
  }
  return crc;
}

bool detect_hardware() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2");
}
#else
uint32_t hardware_update(uint32_t crc, const uint8_t* p, size_t n) { KZ_UNREACHABLE("no crc32c instruction"); }
bool detect_hardware() { return false; }
#endif

const bool g_hardware = detect_hardware();

}  // namespace

bool crc32c_hardware_available() { return g_hardware; }

uint32_t crc32c_extend_portable(uint32_t crc, std::span<const uint8_t> data) {
  return ~portable_update(~crc, data.data(), data.size());
}

uint32_t crc32c_extend_hardware(uint32_t crc, std::span<const uint8_t> data) {
  KZ_ASSERT(g_hardware);
  return ~hardware_update(~crc, data.data(), data.size());
}

uint32_t crc32c_extend(uint32_t crc, std::span<const uint8_t> data) {
  if (g_hardware) return ~hardware_update(~crc, data.data(), data.size());
  return ~portable_update(~crc, data.data(), data.size());
}

uint32_t crc32c(std::span<const uint8_t> data) { return crc32c_extend(0, data); }

uint32_t crc32_ieee(std::span<const uint8_t> data) {
  uLong crc = ::crc32(0L, Z_NULL, 0);
  const uint8_t* p = data.data();
  size_t n = data.size();
  // zlib takes a uInt length; feed large inputs in pieces.
  while (n > 0) {
    const uInt piece = static_cast<uInt>(n > (1u << 30) ? (1u << 30) : n);
    crc = ::crc32(crc, p, piece);
    p += piece;
    n -= piece;
  }
  return static_cast<uint32_t>(crc);
}

}  // namespace kz::kafka
