#include "sim/sim_disk.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <set>

namespace kz::sim {

namespace {
constexpr size_t kPathBytesMax = 4096;
}  // namespace

// ---------------------------------------------------------------- SimFile

// An open file of one process: the inode it names and the disk generation it was opened in. After
// a crash the generation is stale and every operation fails; the object may still be destroyed.
class SimFile final : public io::File {
 public:
  SimFile(SimDisk& disk, uint64_t inode, uint32_t generation, bool writable, std::string path)
      : disk_(disk), inode_(inode), generation_(generation), writable_(writable), path_(std::move(path)) {}
  ~SimFile() override {
    if (!closed_) disk_.release_handle(inode_, generation_);
  }

  Result<size_t> pread(uint64_t offset, std::span<uint8_t> buf) override {
    KZ_RETURN_IF_ERROR(check());
    wait(disk_.options_.latency.read_ns_min, disk_.options_.latency.read_ns_max);
    KZ_RETURN_IF_ERROR(check());
    return disk_.file_pread(inode_, offset, buf);
  }
  Status pwrite(uint64_t offset, std::span<const uint8_t> data) override {
    KZ_RETURN_IF_ERROR(check_writable());
    write_behind();
    KZ_RETURN_IF_ERROR(check());
    return disk_.file_pwrite(inode_, offset, data, path_);
  }
  Status append(std::span<const uint8_t> data) override {
    KZ_RETURN_IF_ERROR(check_writable());
    write_behind();
    KZ_RETURN_IF_ERROR(check());
    return disk_.file_pwrite(inode_, disk_.inode(inode_).data.size(), data, path_);
  }
  Result<uint64_t> size() override {
    KZ_RETURN_IF_ERROR(check());
    return static_cast<uint64_t>(disk_.inode(inode_).data.size());
  }
  Status truncate(uint64_t size) override {
    KZ_RETURN_IF_ERROR(check_writable());
    wait(disk_.options_.latency.write_ns_min, disk_.options_.latency.write_ns_max);
    KZ_RETURN_IF_ERROR(check());
    return disk_.file_truncate(inode_, size, path_);
  }
  Status sync() override {
    KZ_RETURN_IF_ERROR(check());
    wait(disk_.options_.latency.sync_ns_min, disk_.options_.latency.sync_ns_max);
    KZ_RETURN_IF_ERROR(check());
    return disk_.file_sync(inode_, path_);
  }
  Status close() override {
    if (closed_) return Status::ok();
    closed_ = true;
    disk_.release_handle(inode_, generation_);
    return Status::ok();
  }
  const std::string& path() const override { return path_; }

 private:
  Status check() const {
    if (closed_) return Status(Code::kClosed, path_ + ": file is closed");
    return disk_.check_handle(inode_, generation_, path_);
  }
  Status check_writable() const {
    KZ_RETURN_IF_ERROR(check());
    if (!writable_) return Status(Code::kInvalidArgument, path_ + ": file is not open for writing");
    return Status::ok();
  }
  // Write-behind (see the header): a write (pwrite, append) takes effect at once, and its latency
  // is owed by this handle until its next operation of another kind or its next write, which
  // sleeps it together with its own. A write followed by a sync thus costs one sleep, not two,
  // and the sync still returns only after both latencies.
  void write_behind() {
    int64_t ns = owed_ns_;
    owed_ns_ = disk_.draw_latency(disk_.options_.latency.write_ns_min, disk_.options_.latency.write_ns_max);
    disk_.sleep_ns(ns);
  }
  void wait(int64_t lo_ns, int64_t hi_ns) {
    int64_t ns = owed_ns_ + disk_.draw_latency(lo_ns, hi_ns);
    owed_ns_ = 0;
    disk_.sleep_ns(ns);
  }

  SimDisk& disk_;
  uint64_t inode_;
  uint32_t generation_;
  bool writable_;
  bool closed_ = false;
  std::string path_;
  int64_t owed_ns_ = 0;  // latency of the last write, not slept yet (node clock, slowdown included)
};

// ---------------------------------------------------------------- SimDisk: setup and paths

SimDisk::SimDisk(rt::Scheduler& sched, io::Clock& clock, rt::TraceSink* trace, uint64_t seed, uint32_t disk_id,
                 DiskOptions options)
    : sched_(sched), clock_(clock), trace_(trace), rng_(seed), disk_id_(disk_id), options_(options) {
  Inode& root = inodes_[kRootInode];
  root.is_dir = true;
}

SimDisk::~SimDisk() = default;

Result<std::vector<std::string_view>> SimDisk::split_path(std::string_view path) {
  if (path.size() > kPathBytesMax) {
    return Status(Code::kInvalidArgument, fmt::format("path of {} bytes is too long", path.size()));
  }
  std::vector<std::string_view> parts;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view part = path.substr(pos, slash - pos);
    pos = slash + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") return Status(Code::kInvalidArgument, fmt::format("path '{}' contains '..'", path));
    if (part.find('\0') != std::string_view::npos) {
      return Status(Code::kInvalidArgument, "path contains a NUL byte");
    }
    parts.push_back(part);
  }
  return parts;
}

SimDisk::Inode& SimDisk::inode(uint64_t id) {
  if (cached_inode_ != nullptr && id == cached_inode_id_) return *cached_inode_;
  auto it = inodes_.find(id);
  KZ_ASSERT_MSG(it != inodes_.end(), fmt::format("inode {} missing", id));
  cached_inode_id_ = id;
  cached_inode_ = &it->second;
  return it->second;
}

const SimDisk::Inode* SimDisk::find_inode(uint64_t id) const {
  if (cached_inode_ != nullptr && id == cached_inode_id_) return cached_inode_;
  auto it = inodes_.find(id);
  if (it == inodes_.end()) return nullptr;
  cached_inode_id_ = id;
  cached_inode_ = const_cast<Inode*>(&it->second);  // inodes_ is ours; the cache serves inode() too
  return &it->second;
}

Result<uint64_t> SimDisk::lookup(std::string_view path) {
  KZ_ASSIGN_OR_RETURN(std::vector<std::string_view> parts, split_path(path));
  uint64_t id = kRootInode;
  for (std::string_view part : parts) {
    Inode& dir = inode(id);
    if (!dir.is_dir) return Status(Code::kInvalidArgument, fmt::format("'{}': a path prefix is a file", path));
    auto it = dir.children.find(std::string(part));
    if (it == dir.children.end()) return uint64_t{0};
    id = it->second;
  }
  return id;
}

Result<std::pair<uint64_t, std::string>> SimDisk::lookup_parent(std::string_view path) {
  KZ_ASSIGN_OR_RETURN(std::vector<std::string_view> parts, split_path(path));
  if (parts.empty()) return Status(Code::kInvalidArgument, fmt::format("'{}' names the root directory", path));
  uint64_t id = kRootInode;
  for (size_t i = 0; i + 1 < parts.size(); i++) {
    Inode& dir = inode(id);
    auto it = dir.children.find(std::string(parts[i]));
    if (it == dir.children.end()) {
      return Status(Code::kNotFound, fmt::format("'{}': directory '{}' does not exist", path, parts[i]));
    }
    id = it->second;
    if (!inode(id).is_dir) {
      return Status(Code::kInvalidArgument, fmt::format("'{}': '{}' is not a directory", path, parts[i]));
    }
  }
  return std::make_pair(id, std::string(parts.back()));
}

uint64_t SimDisk::durable_lookup(std::string_view path) const {
  auto parts = split_path(path);
  if (!parts.is_ok()) return 0;
  uint64_t id = kRootInode;
  for (std::string_view part : *parts) {
    const Inode* dir = find_inode(id);
    if (dir == nullptr || !dir->is_dir) return 0;
    auto it = dir->durable_children.find(std::string(part));
    if (it == dir->durable_children.end()) return 0;
    id = it->second;
  }
  return id;
}

void SimDisk::durable_files(uint64_t dir, const std::string& prefix,
                            std::vector<std::pair<std::string, uint64_t>>* out) const {
  const Inode* d = find_inode(dir);
  if (d == nullptr) return;
  for (const auto& [name, child] : d->durable_children) {
    const Inode* c = find_inode(child);
    if (c == nullptr) continue;
    std::string path = io::join_path(prefix, name);
    if (c->is_dir) {
      durable_files(child, path, out);
    } else if (durable_size(*c) > 0) {
      out->emplace_back(path, child);
    }
  }
}

// ---------------------------------------------------------------- SimDisk: links

void SimDisk::link(uint64_t dir, const std::string& name, uint64_t child) {
  Inode& d = inode(dir);
  KZ_ASSERT(d.is_dir);
  KZ_ASSERT(!d.children.contains(name));
  d.children[name] = child;
  Inode& c = inode(child);
  KZ_ASSERT(c.parent == 0);
  c.parent = dir;
  c.name = name;
}

void SimDisk::unlink(uint64_t dir, const std::string& name) {
  Inode& d = inode(dir);
  auto it = d.children.find(name);
  KZ_ASSERT(it != d.children.end());
  Inode& c = inode(it->second);
  KZ_ASSERT(c.parent == dir);
  c.parent = 0;
  c.name.clear();
  d.children.erase(it);
}

void SimDisk::unlink_durable(uint64_t child) {
  Inode& c = inode(child);
  if (c.durable_parent == 0) return;
  Inode& d = inode(c.durable_parent);
  auto it = d.durable_children.find(c.durable_name);
  if (it != d.durable_children.end() && it->second == child) d.durable_children.erase(it);
  c.durable_parent = 0;
  c.durable_name.clear();
}

void SimDisk::link_durable(uint64_t dir, const std::string& name, uint64_t child) {
  Inode& d = inode(dir);
  auto it = d.durable_children.find(name);
  if (it != d.durable_children.end() && it->second == child) return;
  uint64_t replaced = 0;
  if (it != d.durable_children.end()) {
    replaced = it->second;
    Inode& r = inode(replaced);
    r.durable_parent = 0;
    r.durable_name.clear();
    d.durable_children.erase(it);
  }
  // No hard links: the child's older durable name goes (a rename is atomic on disk).
  unlink_durable(child);
  d.durable_children[name] = child;
  Inode& c = inode(child);
  c.durable_parent = dir;
  c.durable_name = name;
  if (replaced != 0) maybe_free(replaced);
}

void SimDisk::maybe_free(uint64_t id) {
  if (id == kRootInode) return;
  auto it = inodes_.find(id);
  if (it == inodes_.end()) return;
  Inode& n = it->second;
  if (n.parent != 0 || n.durable_parent != 0 || n.handles != 0) return;
  KZ_ASSERT(n.children.empty());
  std::vector<uint64_t> orphans;
  for (const auto& [name, child] : n.durable_children) orphans.push_back(child);
  for (uint64_t child : orphans) {
    Inode& c = inode(child);
    c.durable_parent = 0;
    c.durable_name.clear();
  }
  KZ_ASSERT(used_bytes_ >= n.data.size());
  used_bytes_ -= n.data.size();
  forget_cached_inode();
  inodes_.erase(it);
  for (uint64_t child : orphans) maybe_free(child);
}

// ---------------------------------------------------------------- SimDisk: io::Fs

Result<std::unique_ptr<io::File>> SimDisk::open(std::string_view path, io::OpenOptions options) {
  delay(options_.latency.meta_ns_min, options_.latency.meta_ns_max);
  if (options.truncate && !options.write) {
    return Status(Code::kInvalidArgument, fmt::format("open '{}': truncate requires write", path));
  }
  KZ_ASSIGN_OR_RETURN(auto where, lookup_parent(path));
  Inode& dir = inode(where.first);
  auto it = dir.children.find(where.second);
  uint64_t id = 0;
  if (it != dir.children.end()) {
    if (options.create && options.exclusive) {
      return Status(Code::kAlreadyExists, fmt::format("open '{}': file exists", path));
    }
    id = it->second;
    if (inode(id).is_dir) return Status(Code::kInvalidArgument, fmt::format("open '{}': is a directory", path));
    if (options.truncate && !inode(id).data.empty()) KZ_RETURN_IF_ERROR(file_truncate(id, 0, path));
  } else {
    if (!options.create) return Status(Code::kNotFound, fmt::format("open '{}': no such file", path));
    id = next_inode_++;
    inodes_[id];
    link(where.first, where.second, id);
  }
  inode(id).handles++;
  record(kDiskOpOpen, id);
  return std::unique_ptr<io::File>(std::make_unique<SimFile>(*this, id, generation_, options.write, std::string(path)));
}

Status SimDisk::remove(std::string_view path) {
  delay(options_.latency.meta_ns_min, options_.latency.meta_ns_max);
  KZ_ASSIGN_OR_RETURN(auto where, lookup_parent(path));
  Inode& dir = inode(where.first);
  auto it = dir.children.find(where.second);
  if (it == dir.children.end()) return Status(Code::kNotFound, fmt::format("remove '{}': no such file", path));
  uint64_t id = it->second;
  if (inode(id).is_dir && !inode(id).children.empty()) {
    return Status(Code::kIoError, fmt::format("remove '{}': directory not empty", path));
  }
  unlink(where.first, where.second);
  record(kDiskOpRemove, id);
  maybe_free(id);
  return Status::ok();
}

Status SimDisk::rename(std::string_view from, std::string_view to) {
  delay(options_.latency.meta_ns_min, options_.latency.meta_ns_max);
  KZ_ASSIGN_OR_RETURN(auto src, lookup_parent(from));
  KZ_ASSIGN_OR_RETURN(auto dst, lookup_parent(to));
  Inode& src_dir = inode(src.first);
  auto it = src_dir.children.find(src.second);
  if (it == src_dir.children.end()) return Status(Code::kNotFound, fmt::format("rename '{}': no such file", from));
  uint64_t id = it->second;
  bool is_dir = inode(id).is_dir;
  if (is_dir) {
    for (uint64_t up = dst.first; up != 0; up = inode(up).parent) {
      if (up == id) return Status(Code::kInvalidArgument, fmt::format("rename '{}' into itself ('{}')", from, to));
    }
  }
  Inode& dst_dir = inode(dst.first);
  auto target = dst_dir.children.find(dst.second);
  uint64_t replaced = 0;
  if (target != dst_dir.children.end()) {
    replaced = target->second;
    if (replaced == id) return Status::ok();
    Inode& t = inode(replaced);
    if (t.is_dir != is_dir) {
      return Status(Code::kInvalidArgument, fmt::format("rename '{}' to '{}': file/directory mismatch", from, to));
    }
    if (t.is_dir && !t.children.empty()) {
      return Status(Code::kIoError, fmt::format("rename '{}' to '{}': target directory not empty", from, to));
    }
    unlink(dst.first, dst.second);
  }
  unlink(src.first, src.second);
  link(dst.first, dst.second, id);
  record(kDiskOpRename, id);
  if (replaced != 0) maybe_free(replaced);
  return Status::ok();
}

Result<std::vector<std::string>> SimDisk::list(std::string_view dir) {
  delay(options_.latency.meta_ns_min, options_.latency.meta_ns_max);
  KZ_ASSIGN_OR_RETURN(uint64_t id, lookup(dir));
  if (id == 0) return Status(Code::kNotFound, fmt::format("list '{}': no such directory", dir));
  const Inode& d = inode(id);
  if (!d.is_dir) return Status(Code::kInvalidArgument, fmt::format("list '{}': not a directory", dir));
  std::vector<std::string> names;
  names.reserve(d.children.size());
  for (const auto& [name, child] : d.children) names.push_back(name);
  return names;
}

Status SimDisk::mkdirs(std::string_view dir) {
  delay(options_.latency.meta_ns_min, options_.latency.meta_ns_max);
  KZ_ASSIGN_OR_RETURN(std::vector<std::string_view> parts, split_path(dir));
  uint64_t id = kRootInode;
  for (std::string_view part : parts) {
    std::string name(part);
    Inode& d = inode(id);
    auto it = d.children.find(name);
    if (it != d.children.end()) {
      id = it->second;
      if (!inode(id).is_dir) return Status(Code::kAlreadyExists, fmt::format("mkdirs '{}': '{}' is a file", dir, name));
      continue;
    }
    uint64_t child = next_inode_++;
    inodes_[child].is_dir = true;
    link(id, name, child);
    link_durable(id, name, child);  // see the header: directory creation is durable at once
    record(kDiskOpMkdirs, child);
    id = child;
  }
  return Status::ok();
}

Status SimDisk::sync_dir(std::string_view dir) {
  delay(options_.latency.sync_ns_min, options_.latency.sync_ns_max);
  KZ_ASSIGN_OR_RETURN(uint64_t id, lookup(dir));
  if (id == 0) return Status(Code::kNotFound, fmt::format("sync_dir '{}': no such directory", dir));
  if (!inode(id).is_dir) return Status(Code::kInvalidArgument, fmt::format("sync_dir '{}': not a directory", dir));
  if (take_sync_failure()) {
    record(kDiskOpSyncFailed, id);
    return Status(Code::kIoError, fmt::format("sync_dir '{}': fsync failed (injected)", dir));
  }
  Inode& d = inode(id);
  std::vector<uint64_t> dropped;
  for (auto it = d.durable_children.begin(); it != d.durable_children.end();) {
    auto now = d.children.find(it->first);
    if (now != d.children.end() && now->second == it->second) {
      ++it;
      continue;
    }
    Inode& c = inode(it->second);
    c.durable_parent = 0;
    c.durable_name.clear();
    dropped.push_back(it->second);
    it = d.durable_children.erase(it);
  }
  std::vector<std::pair<std::string, uint64_t>> entries(d.children.begin(), d.children.end());
  for (const auto& [name, child] : entries) link_durable(id, name, child);
  for (uint64_t child : dropped) maybe_free(child);
  record(kDiskOpSyncDir, id);
  return Status::ok();
}

Result<bool> SimDisk::exists(std::string_view path) {
  delay(options_.latency.meta_ns_min, options_.latency.meta_ns_max);
  KZ_ASSIGN_OR_RETURN(uint64_t id, lookup(path));
  return id != 0;
}

// ---------------------------------------------------------------- SimDisk: file operations

Status SimDisk::check_handle(uint64_t id, uint32_t generation, std::string_view path) const {
  if (generation != generation_) {
    return Status(Code::kIoError, fmt::format("{}: file handle of a crashed process", path));
  }
  KZ_ASSERT_MSG(find_inode(id) != nullptr, fmt::format("{}: open file lost its inode", path));
  return Status::ok();
}

Result<size_t> SimDisk::file_pread(uint64_t id, uint64_t offset, std::span<uint8_t> buf) {
  const Inode& f = inode(id);
  if (offset >= f.data.size()) return size_t{0};
  size_t n = std::min<uint64_t>(buf.size(), f.data.size() - offset);
  std::memcpy(buf.data(), f.data.data() + offset, n);
  record(kDiskOpRead, n);
  return n;
}

Status SimDisk::file_pwrite(uint64_t id, uint64_t offset, std::span<const uint8_t> data, std::string_view path) {
  Inode& f = inode(id);
  if (offset > UINT64_MAX - data.size()) {
    return Status(Code::kInvalidArgument, fmt::format("{}: write at offset {} overflows", path, offset));
  }
  if (data.empty()) return Status::ok();
  uint64_t end = offset + data.size();
  uint64_t growth = end > f.data.size() ? end - f.data.size() : 0;
  if (!fits(growth)) {
    record(kDiskOpNoSpace, growth);
    return Status(Code::kNoSpace, fmt::format("{}: no space left writing {} bytes at offset {}", path, data.size(), offset));
  }
  if (f.durable_in_data && offset == f.data.size()) {
    // An append leaves the durable prefix alone; the op's bytes stay in `data` (see Inode).
    f.data.insert(f.data.end(), data.begin(), data.end());
    f.unsynced.push_back(PendingOp{.truncate = false, .offset = offset, .bytes = {}, .in_data_bytes = data.size()});
  } else {
    materialize_durable(f);
    PendingOp op{.truncate = false, .offset = offset, .bytes = std::vector<uint8_t>(data.begin(), data.end())};
    apply(f.data, op);
    f.unsynced.push_back(std::move(op));
  }
  used_bytes_ += growth;
  record(kDiskOpWrite, (offset << 20) ^ data.size());
  return Status::ok();
}

Status SimDisk::file_truncate(uint64_t id, uint64_t size, std::string_view path) {
  Inode& f = inode(id);
  uint64_t growth = size > f.data.size() ? size - f.data.size() : 0;
  if (!fits(growth)) {
    record(kDiskOpNoSpace, growth);
    return Status(Code::kNoSpace, fmt::format("{}: no space left truncating to {} bytes", path, size));
  }
  uint64_t old_size = f.data.size();
  materialize_durable(f);
  PendingOp op{.truncate = true, .offset = size, .bytes = {}};
  apply(f.data, op);
  f.unsynced.push_back(std::move(op));
  used_bytes_ = used_bytes_ + size - old_size;
  record(kDiskOpTruncate, size);
  return Status::ok();
}

Status SimDisk::file_sync(uint64_t id, std::string_view path) {
  if (take_sync_failure()) {
    record(kDiskOpSyncFailed, id);
    return Status(Code::kIoError, fmt::format("{}: fsync failed (injected)", path));
  }
  Inode& f = inode(id);
  if (f.durable_in_data) {
    // The pending ops are appends of data's bytes past the durable prefix: the prefix grows to all.
    KZ_ASSERT(f.unsynced.empty() || f.unsynced.back().offset + f.unsynced.back().in_data_bytes == f.data.size());
    f.durable_prefix_bytes = f.data.size();
  } else {
    for (const PendingOp& op : f.unsynced) apply(f.durable, op);
    KZ_ASSERT(f.durable.size() == f.data.size());
  }
  f.unsynced.clear();
  record(kDiskOpSync, f.data.size());
  return Status::ok();
}

void SimDisk::release_handle(uint64_t id, uint32_t generation) {
  if (generation != generation_) return;  // the crash already dropped every handle
  Inode& f = inode(id);
  KZ_ASSERT(f.handles > 0);
  f.handles--;
  maybe_free(id);
}

void SimDisk::materialize_durable(Inode& f) {
  if (!f.durable_in_data) return;
  KZ_ASSERT(f.durable_prefix_bytes <= f.data.size());
  auto at = [&f](uint64_t offset) { return f.data.begin() + static_cast<ptrdiff_t>(offset); };
  f.durable.assign(f.data.begin(), at(f.durable_prefix_bytes));
  for (PendingOp& op : f.unsynced) {
    KZ_ASSERT(!op.truncate && op.bytes.empty() && op.offset + op.in_data_bytes <= f.data.size());
    op.bytes.assign(at(op.offset), at(op.offset + op.in_data_bytes));
    op.in_data_bytes = 0;
  }
  f.durable_in_data = false;
  f.durable_prefix_bytes = 0;
}

void SimDisk::apply(std::vector<uint8_t>& bytes, const PendingOp& op) {
  KZ_ASSERT(op.in_data_bytes == 0);  // materialize_durable first
  if (op.truncate) {
    bytes.resize(op.offset);
    return;
  }
  if (op.offset == bytes.size()) {  // an append (the common case): no zero-fill before the copy
    bytes.insert(bytes.end(), op.bytes.begin(), op.bytes.end());
    return;
  }
  if (op.offset + op.bytes.size() > bytes.size()) bytes.resize(op.offset + op.bytes.size());
  std::memcpy(bytes.data() + op.offset, op.bytes.data(), op.bytes.size());
}

bool SimDisk::fits(uint64_t growth) const {
  if (growth == 0) return true;
  if (full_) return false;
  return growth <= options_.capacity_bytes && used_bytes_ <= options_.capacity_bytes - growth;
}

bool SimDisk::take_sync_failure() {
  if (sync_failures_pending_ == 0) return false;
  sync_failures_pending_--;
  return true;
}

void SimDisk::delay(int64_t lo_ns, int64_t hi_ns) { sleep_ns(draw_latency(lo_ns, hi_ns)); }

int64_t SimDisk::draw_latency(int64_t lo_ns, int64_t hi_ns) {
  if (hi_ns <= 0) return 0;
  if (sched_.current() == nullptr || std::uncaught_exceptions() > 0) return 0;
  return rng_.between(std::max<int64_t>(0, lo_ns), std::max(lo_ns, hi_ns)) * slowdown_;
}

void SimDisk::sleep_ns(int64_t ns) {
  if (ns <= 0) return;
  if (sched_.current() == nullptr || std::uncaught_exceptions() > 0) return;
  clock_.sleep_for(ns);
}

// ---------------------------------------------------------------- SimDisk: crash and faults

void SimDisk::crash(bool tear) {
  generation_++;
  record(kDiskOpCrash, tear ? 1 : 0);
  for (auto& [id, n] : inodes_) {
    if (n.is_dir) continue;
    materialize_durable(n);
    size_t pending = n.unsynced.size();
    if (pending > 0) {
      size_t keep = 0;
      if (rng_.chance(options_.crash_keep_prefix_probability)) keep = rng_.below(pending + 1);
      for (size_t i = 0; i < keep; i++) apply(n.durable, n.unsynced[i]);
      if (tear && keep < pending && !n.unsynced[keep].truncate && !n.unsynced[keep].bytes.empty()) {
        // The write in progress lands as whole sectors from its start: cut at its start (nothing)
        // or at one of the sector boundaries strictly inside it.
        const PendingOp& op = n.unsynced[keep];
        uint64_t end = op.offset + op.bytes.size();
        uint64_t first_boundary = (op.offset / kSectorBytes + 1) * kSectorBytes;
        uint64_t boundaries = first_boundary < end ? (end - 1 - first_boundary) / kSectorBytes + 1 : 0;
        uint64_t pick = rng_.below(boundaries + 1);
        if (pick > 0) {
          uint64_t cut = first_boundary + (pick - 1) * kSectorBytes;
          PendingOp torn{.truncate = false,
                         .offset = op.offset,
                         .bytes = std::vector<uint8_t>(op.bytes.begin(),
                                                       op.bytes.begin() + static_cast<ptrdiff_t>(cut - op.offset))};
          apply(n.durable, torn);
        }
      }
      n.unsynced.clear();
    }
    // What survived is all there is: the durable bytes become the volatile ones, and a prefix of them.
    n.data = std::move(n.durable);
    std::vector<uint8_t>().swap(n.durable);
    n.durable_in_data = true;
    n.durable_prefix_bytes = n.data.size();
  }
  // The namespace becomes what sync_dir made durable; what is not reachable from the root is gone.
  std::set<uint64_t> reachable{kRootInode};
  std::vector<uint64_t> stack{kRootInode};
  while (!stack.empty()) {
    uint64_t id = stack.back();
    stack.pop_back();
    for (const auto& [name, child] : inode(id).durable_children) {
      if (reachable.insert(child).second) stack.push_back(child);
    }
  }
  used_bytes_ = 0;
  for (auto it = inodes_.begin(); it != inodes_.end();) {
    if (!reachable.contains(it->first)) {
      forget_cached_inode();
      it = inodes_.erase(it);
      continue;
    }
    Inode& n = it->second;
    n.children = n.durable_children;
    n.parent = n.durable_parent;
    n.name = n.durable_name;
    n.handles = 0;
    used_bytes_ += n.data.size();
    ++it;
  }
}

Result<SimDisk::BitFlip> SimDisk::flip_bit(std::string_view path, uint64_t offset_lo, uint64_t offset_hi) {
  uint64_t id = 0;
  std::string name(path);
  if (path.empty()) {
    std::vector<std::pair<std::string, uint64_t>> files;
    durable_files(kRootInode, "", &files);
    if (files.empty()) return Status(Code::kNotFound, "flip_bit: no file has durable bytes");
    auto& pick = files[rng_.below(files.size())];
    name = pick.first;
    id = pick.second;
  } else {
    id = durable_lookup(path);
    if (id == 0 || inode(id).is_dir) return Status(Code::kNotFound, fmt::format("flip_bit: no durable file '{}'", path));
  }
  Inode& f = inode(id);
  materialize_durable(f);
  uint64_t hi = std::min<uint64_t>(offset_hi, f.durable.size());
  if (offset_lo >= hi) {
    return Status(Code::kNotFound, fmt::format("flip_bit: '{}' has no durable byte in [{}, {})", name, offset_lo, offset_hi));
  }
  BitFlip flip{.path = name, .offset = offset_lo + rng_.below(hi - offset_lo), .bit = static_cast<uint8_t>(rng_.below(8))};
  uint8_t mask = static_cast<uint8_t>(1u << flip.bit);
  f.durable[flip.offset] ^= mask;
  // Reads see the rot too, unless the byte was rewritten (or cut off) since the last sync.
  bool rewritten = false;
  for (const PendingOp& op : f.unsynced) {
    if (op.truncate ? op.offset <= flip.offset
                    : (flip.offset >= op.offset && flip.offset < op.offset + op.bytes.size())) {
      rewritten = true;
    }
  }
  if (!rewritten && flip.offset < f.data.size()) f.data[flip.offset] ^= mask;
  record(kDiskOpBitFlip, flip.offset);
  return flip;
}

std::optional<SimDisk::BitFlip> SimDisk::flip_random_bit() {
  auto flip = flip_bit();
  if (!flip.is_ok()) return std::nullopt;
  return *flip;
}

Result<std::vector<uint8_t>> SimDisk::durable_contents(std::string_view path) const {
  uint64_t id = durable_lookup(path);
  const Inode* f = id == 0 ? nullptr : find_inode(id);
  if (f == nullptr || f->is_dir) return Status(Code::kNotFound, fmt::format("no durable file '{}'", path));
  if (f->durable_in_data) {
    return std::vector<uint8_t>(f->data.begin(), f->data.begin() + static_cast<ptrdiff_t>(f->durable_prefix_bytes));
  }
  return f->durable;
}

}  // namespace kz::sim
