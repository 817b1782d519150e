#include "core/zk/storage/epoch_file.h"

#include <fmt/format.h>

namespace kz::zk::storage {

Result<uint32_t> read_epoch_file(io::Fs& fs, std::string_view path) {
  KZ_ASSIGN_OR_RETURN(bool present, fs.exists(path));
  if (!present) return uint32_t{0};
  KZ_ASSIGN_OR_RETURN(std::vector<uint8_t> data, fs.read_file(path));
  // At most 10 digits and a newline: anything longer is not ours.
  if (data.size() < 2 || data.size() > 11 || data.back() != '\n') {
    return Status(Code::kCorruption, fmt::format("{}: malformed epoch file of {} bytes at offset 0", path, data.size()));
  }
  uint64_t epoch = 0;
  for (size_t i = 0; i + 1 < data.size(); i++) {
    uint8_t c = data[i];
    if (c < '0' || c > '9') {
      return Status(Code::kCorruption, fmt::format("{}: non-digit byte at offset {}", path, i));
    }
    epoch = epoch * 10 + (c - '0');
  }
  if (epoch > UINT32_MAX) return Status(Code::kCorruption, fmt::format("{}: epoch out of range at offset 0", path));
  return static_cast<uint32_t>(epoch);
}

Status write_epoch_file(io::Fs& fs, std::string_view path, uint32_t epoch) {
  std::string text = fmt::format("{}\n", epoch);
  return fs.write_file_atomic(path, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()))
      .with_context(fmt::format("write {}", path));
}

}  // namespace kz::zk::storage
