// CRC32C (Castagnoli) over the records and files of the ZooKeeper storage (txn log, snapshots).
// A small table-driven implementation of our own so the storage layer depends on nothing but the
// seam; throughput is not critical here (records are checked once on write and once on recovery).
#pragma once

#include <cstdint>
#include <span>

namespace kz::zk::storage {

// crc32c_extend(crc32c(a), b) == crc32c(a ++ b).
uint32_t crc32c_extend(uint32_t crc, std::span<const uint8_t> data);
inline uint32_t crc32c(std::span<const uint8_t> data) { return crc32c_extend(0, data); }

// Big-endian fixed-width helpers shared by the storage formats.
inline void put_u32_be(uint8_t* out, uint32_t v) {
  out[0] = static_cast<uint8_t>(v >> 24);
  out[1] = static_cast<uint8_t>(v >> 16);
  out[2] = static_cast<uint8_t>(v >> 8);
  out[3] = static_cast<uint8_t>(v);
}
inline void put_u64_be(uint8_t* out, uint64_t v) {
  put_u32_be(out, static_cast<uint32_t>(v >> 32));
  put_u32_be(out + 4, static_cast<uint32_t>(v));
}
inline uint32_t get_u32_be(const uint8_t* in) {
  return (static_cast<uint32_t>(in[0]) << 24) | (static_cast<uint32_t>(in[1]) << 16) |
         (static_cast<uint32_t>(in[2]) << 8) | static_cast<uint32_t>(in[3]);
}
inline uint64_t get_u64_be(const uint8_t* in) {
  return (static_cast<uint64_t>(get_u32_be(in)) << 32) | get_u32_be(in + 4);
}

}  // namespace kz::zk::storage
