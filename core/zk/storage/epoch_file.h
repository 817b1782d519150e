// The two epoch files of a ZAB server (ZooKeeper's `acceptedEpoch` and `currentEpoch`): the last
// epoch it acknowledged a NEWEPOCH for, and the last epoch whose NEWLEADER it acknowledged. Both must
// be durable before the acknowledgement leaves the server (persist-before-send), so each write is
// atomic (tmp + fsync + rename + fsync of the directory). Contents: the epoch in decimal and '\n'.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/base/status.h"
#include "core/io/fs.h"

namespace kz::zk::storage {

inline constexpr std::string_view kAcceptedEpochFile = "acceptedEpoch";
inline constexpr std::string_view kCurrentEpochFile = "currentEpoch";

// A missing file reads as epoch 0 (a new server). A damaged one is kCorruption naming the file.
Result<uint32_t> read_epoch_file(io::Fs& fs, std::string_view path);
Status write_epoch_file(io::Fs& fs, std::string_view path, uint32_t epoch);

}  // namespace kz::zk::storage
