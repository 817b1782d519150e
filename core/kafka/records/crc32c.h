// Checksums of Kafka's record formats: CRC32C (Castagnoli) guards RecordBatch v2, CRC32 (IEEE) guards
// the legacy message sets (magic 0 and 1).
//
// CRC32C uses the SSE4.2 crc32 instruction when the CPU has it (checked once at run time, so the build
// needs no -msse4.2) and a table-driven fallback otherwise. Both give identical results; the choice
// only changes speed, so it does not break determinism.
//
// All functions take and return finished CRC values (as stored in the formats), so
// crc32c_extend(crc32c(a), b) == crc32c(a ++ b).
#pragma once

#include <cstdint>
#include <span>

namespace kz::kafka {

// CRC32C of `data`, with the fastest implementation available.
uint32_t crc32c(std::span<const uint8_t> data);
uint32_t crc32c_extend(uint32_t crc, std::span<const uint8_t> data);

// The implementations, exposed for tests and the benchmark.
uint32_t crc32c_extend_portable(uint32_t crc, std::span<const uint8_t> data);
bool crc32c_hardware_available();
// REQUIRES: crc32c_hardware_available().
uint32_t crc32c_extend_hardware(uint32_t crc, std::span<const uint8_t> data);

// CRC32 (IEEE 802.3, the zip/zlib polynomial).
uint32_t crc32_ieee(std::span<const uint8_t> data);

}  // namespace kz::kafka
