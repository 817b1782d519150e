// A fresh directory under /tmp for one test, removed with everything in it when the test ends.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>

#include "core/base/assert.h"

namespace kz::testing {

class TempDir {
 public:
  TempDir() {
    std::string pattern = "/tmp/kz_test_XXXXXX";
    char* made = mkdtemp(pattern.data());
    KZ_ASSERT_MSG(made != nullptr, "mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace kz::testing
