#include "core/zk/storage/snapshot_store.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "core/zk/storage/checksum.h"

namespace kz::zk::storage {

namespace {
constexpr uint8_t kMagic[4] = {'K', 'Z', 'S', 'N'};
constexpr uint32_t kVersion = 1;
constexpr std::string_view kComponent = "snapshot";
}  // namespace

SnapshotStore::SnapshotStore(const io::Env& env, std::string dir, uint64_t state_bytes_max)
    : env_(env), dir_(std::move(dir)), state_bytes_max_(state_bytes_max) {}

std::string SnapshotStore::file_name(uint64_t zxid) { return fmt::format("snapshot.{:x}", zxid); }

std::string SnapshotStore::path_of(uint64_t zxid) const { return io::join_path(dir_, file_name(zxid)); }

Status SnapshotStore::init() { return env_.fs->mkdirs(dir_); }

Status SnapshotStore::write(uint64_t zxid, std::span<const uint8_t> state) {
  std::vector<uint8_t> bytes(kHeaderBytes);
  std::memcpy(bytes.data(), kMagic, 4);
  put_u32_be(bytes.data() + 4, kVersion);
  put_u64_be(bytes.data() + 8, zxid);
  put_u64_be(bytes.data() + 16, state.size());
  uint32_t crc = crc32c(std::span<const uint8_t>(bytes.data() + 8, 16));
  crc = crc32c_extend(crc, state);
  put_u32_be(bytes.data() + 24, crc);
  bytes.insert(bytes.end(), state.begin(), state.end());
  // write_file_atomic: tmp + sync + rename + sync_dir.
  return env_.fs->write_file_atomic(path_of(zxid), bytes).with_context("write " + file_name(zxid));
}

Result<std::vector<uint64_t>> SnapshotStore::list() {
  KZ_ASSIGN_OR_RETURN(std::vector<std::string> names, env_.fs->list(dir_));
  std::vector<uint64_t> zxids;
  for (const std::string& name : names) {
    uint64_t zxid = 0;
    if (parse_hex_suffix(name, "snapshot.", &zxid)) zxids.push_back(zxid);
  }
  std::sort(zxids.begin(), zxids.end());
  return zxids;
}

Result<Snapshot> SnapshotStore::load(uint64_t zxid) {
  std::string path = path_of(zxid);
  KZ_ASSIGN_OR_RETURN(std::unique_ptr<io::File> f, env_.fs->open(path, io::OpenOptions::read_only()));
  KZ_ASSIGN_OR_RETURN(uint64_t size, f->size());
  if (size < kHeaderBytes) {
    return Status(Code::kCorruption, fmt::format("{}: truncated header at offset 0 ({} bytes)", path, size));
  }
  uint8_t header[kHeaderBytes];
  KZ_RETURN_IF_ERROR(f->read_exact(0, header));
  if (std::memcmp(header, kMagic, 4) != 0 || get_u32_be(header + 4) != kVersion) {
    return Status(Code::kCorruption, fmt::format("{}: bad magic or version at offset 0", path));
  }
  uint64_t header_zxid = get_u64_be(header + 8);
  if (header_zxid != zxid) {
    return Status(Code::kCorruption,
                  fmt::format("{}: zxid {:#x} at offset 8 does not match the name", path, header_zxid));
  }
  uint64_t state_len = get_u64_be(header + 16);
  if (state_len > state_bytes_max_ || state_len != size - kHeaderBytes) {
    return Status(Code::kCorruption,
                  fmt::format("{}: state length {} at offset 16 does not fit the file of {} bytes", path, state_len, size));
  }
  Snapshot snap;
  snap.zxid = zxid;
  snap.state.resize(state_len);
  KZ_RETURN_IF_ERROR(f->read_exact(kHeaderBytes, snap.state));
  uint32_t crc = crc32c(std::span<const uint8_t>(header + 8, 16));
  crc = crc32c_extend(crc, snap.state);
  if (crc != get_u32_be(header + 24)) {
    return Status(Code::kCorruption, fmt::format("{}: crc mismatch over the state at offset {}", path, kHeaderBytes));
  }
  KZ_RETURN_IF_ERROR(f->close());
  return snap;
}

Result<std::optional<Snapshot>> SnapshotStore::load_latest() {
  KZ_ASSIGN_OR_RETURN(std::vector<uint64_t> zxids, list());
  for (auto it = zxids.rbegin(); it != zxids.rend(); ++it) {
    Result<Snapshot> snap = load(*it);
    if (snap.is_ok()) return std::optional<Snapshot>(std::move(*snap));
    if (!snap.status().is(Code::kCorruption)) return snap.status();
    env_.log.warn(kComponent, "skipping damaged snapshot: {}", snap.status().to_string());
  }
  return std::optional<Snapshot>();
}

Status SnapshotStore::purge(size_t retain_count, TxnLog* log) {
  size_t keep = std::max(retain_count, kRetainCountMin);
  KZ_ASSIGN_OR_RETURN(std::vector<uint64_t> zxids, list());
  if (zxids.size() <= keep) return Status::ok();
  size_t drop = zxids.size() - keep;
  for (size_t i = 0; i < drop; i++) {
    KZ_RETURN_IF_ERROR(env_.fs->remove(path_of(zxids[i])));
    env_.log.info(kComponent, "purged {}", file_name(zxids[i]));
  }
  KZ_RETURN_IF_ERROR(env_.fs->sync_dir(dir_));
  // Log records at or below the oldest kept snapshot are inside every snapshot kept.
  if (log != nullptr) KZ_RETURN_IF_ERROR(log->purge_before(zxids[drop]));
  return Status::ok();
}

}  // namespace kz::zk::storage
