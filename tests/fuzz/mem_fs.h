// A minimal in-memory io::Fs for the fuzz targets: files are byte vectors, directories are implied by
// paths, every write is immediately "durable" (no crash model; the simulated disk has that). Sizes are
// capped so a fuzz input cannot make the log allocate without bound.
#pragma once

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/io/fs.h"

namespace kz::fuzz {

class MemFs final : public io::Fs {
 public:
  static constexpr uint64_t kFileBytesMax = 64ULL << 20;

  std::map<std::string, std::vector<uint8_t>> files;

  class MemFile final : public io::File {
   public:
    MemFile(MemFs& fs, std::string path) : fs_(fs), path_(std::move(path)) {}
    Result<size_t> pread(uint64_t offset, std::span<uint8_t> buf) override {
      KZ_ASSIGN_OR_RETURN(auto* data, get());
      if (offset >= data->size()) return size_t{0};
      const size_t n = std::min<uint64_t>(buf.size(), data->size() - offset);
      std::copy_n(data->begin() + static_cast<std::ptrdiff_t>(offset), n, buf.begin());
      return n;
    }
    Status pwrite(uint64_t offset, std::span<const uint8_t> bytes) override {
      KZ_ASSIGN_OR_RETURN(auto* data, get());
      if (offset + bytes.size() > kFileBytesMax) return error(Code::kNoSpace, path_ + ": file too large");
      if (data->size() < offset + bytes.size()) data->resize(offset + bytes.size());
      std::copy(bytes.begin(), bytes.end(), data->begin() + static_cast<std::ptrdiff_t>(offset));
      return Status::ok();
    }
    Status append(std::span<const uint8_t> bytes) override {
      KZ_ASSIGN_OR_RETURN(auto* data, get());
      return pwrite(data->size(), bytes);
    }
    Result<uint64_t> size() override {
      KZ_ASSIGN_OR_RETURN(auto* data, get());
      return static_cast<uint64_t>(data->size());
    }
    Status truncate(uint64_t size) override {
      KZ_ASSIGN_OR_RETURN(auto* data, get());
      if (size > kFileBytesMax) return error(Code::kNoSpace, path_ + ": file too large");
      data->resize(size);
      return Status::ok();
    }
    Status sync() override { return Status::ok(); }
    Status close() override { return Status::ok(); }
    const std::string& path() const override { return path_; }

   private:
    Result<std::vector<uint8_t>*> get() {
      auto it = fs_.files.find(path_);
      if (it == fs_.files.end()) return error(Code::kIoError, path_ + ": removed");
      return &it->second;
    }
    MemFs& fs_;
    std::string path_;
  };

  Result<std::unique_ptr<io::File>> open(std::string_view path, io::OpenOptions options) override {
    std::string p(path);
    auto it = files.find(p);
    if (it == files.end()) {
      if (!options.create) return error(Code::kNotFound, p + ": not found");
      files[p];
    } else if (options.create && options.exclusive) {
      return error(Code::kAlreadyExists, p + ": exists");
    } else if (options.truncate) {
      it->second.clear();
    }
    return std::unique_ptr<io::File>(new MemFile(*this, p));
  }
  Status remove(std::string_view path) override {
    if (files.erase(std::string(path)) == 0) return error(Code::kNotFound, std::string(path) + ": not found");
    return Status::ok();
  }
  Status rename(std::string_view from, std::string_view to) override {
    auto it = files.find(std::string(from));
    if (it == files.end()) return error(Code::kNotFound, std::string(from) + ": not found");
    std::vector<uint8_t> data = std::move(it->second);
    files.erase(it);
    files[std::string(to)] = std::move(data);
    return Status::ok();
  }
  Result<std::vector<std::string>> list(std::string_view dir) override {
    const std::string prefix = std::string(dir) + "/";
    std::vector<std::string> names;
    for (const auto& [p, data] : files) {
      if (p.size() > prefix.size() && p.compare(0, prefix.size(), prefix) == 0 &&
          p.find('/', prefix.size()) == std::string::npos) {
        names.push_back(p.substr(prefix.size()));
      }
    }
    return names;
  }
  Status mkdirs(std::string_view) override { return Status::ok(); }
  Status sync_dir(std::string_view) override { return Status::ok(); }
  Result<bool> exists(std::string_view path) override { return files.count(std::string(path)) > 0; }
};

}  // namespace kz::fuzz
