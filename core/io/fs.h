// The file-system seam: files with positional and appending writes, fsync, and directory operations.
// Paths are '/'-separated and relative to the node's data root (sim) or the process (real).
// Durability contract (what the simulated disk enforces, and what real disks promise):
//   - bytes written to a file are durable only after File::sync() returns ok;
//   - creating, renaming or removing a directory entry is durable only after sync_dir() of its
//     parent directory returns ok;
//   - a crash may keep any prefix of unsynced appends, and may tear the last written sector.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"

namespace kz::io {

struct OpenOptions {
  bool write = false;      // open for writing (reading is always allowed)
  bool create = false;     // create if missing
  bool truncate = false;   // drop existing contents
  bool exclusive = false;  // with create: fail with kAlreadyExists if present

  static OpenOptions read_only() { return {}; }
  static OpenOptions read_write() { return {.write = true}; }
  static OpenOptions create_or_open() { return {.write = true, .create = true}; }
  static OpenOptions create_new() { return {.write = true, .create = true, .truncate = true}; }
};

class File {
 public:
  virtual ~File() = default;
  // Reads up to buf.size() bytes at offset; fewer only at end of file.
  virtual Result<size_t> pread(uint64_t offset, std::span<uint8_t> buf) = 0;
  virtual Status pwrite(uint64_t offset, std::span<const uint8_t> data) = 0;
  // Writes at the current end of file.
  virtual Status append(std::span<const uint8_t> data) = 0;
  virtual Result<uint64_t> size() = 0;
  virtual Status truncate(uint64_t size) = 0;
  // fsync: data and size durable.
  virtual Status sync() = 0;
  virtual Status close() = 0;
  virtual const std::string& path() const = 0;

  // Reads exactly buf.size() bytes or fails with kCorruption naming the file and offset.
  Status read_exact(uint64_t offset, std::span<uint8_t> buf);
};

class Fs {
 public:
  virtual ~Fs() = default;
  virtual Result<std::unique_ptr<File>> open(std::string_view path, OpenOptions options) = 0;
  virtual Status remove(std::string_view path) = 0;
  virtual Status rename(std::string_view from, std::string_view to) = 0;
  // Names (not paths) of the entries of a directory, sorted.
  virtual Result<std::vector<std::string>> list(std::string_view dir) = 0;
  // Creates the directory and its parents; ok if it exists.
  virtual Status mkdirs(std::string_view dir) = 0;
  virtual Status sync_dir(std::string_view dir) = 0;
  virtual Result<bool> exists(std::string_view path) = 0;

  // Reads a whole file.
  Result<std::vector<uint8_t>> read_file(std::string_view path);
  // Writes a file durably: write to path.tmp, sync, rename over path, sync the directory.
  Status write_file_atomic(std::string_view path, std::span<const uint8_t> data);
};

// "a/b/c" -> "a/b"; "c" -> ".".
std::string parent_dir(std::string_view path);
std::string join_path(std::string_view dir, std::string_view name);

}  // namespace kz::io
