// The real file-system backend in a temporary directory: data operations, directory operations,
// the sync policy, and errors that name the path.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <string>
#include <vector>

#include "core/real/real_fs.h"
#include "tests/real/temp_dir.h"

namespace kz::real {
namespace {

std::span<const uint8_t> bytes(const std::string& s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

std::string read_all(io::Fs& fs, const std::string& path) {
  Result<std::vector<uint8_t>> data = fs.read_file(path);
  KZ_ASSERT_MSG(data.is_ok(), data.status().to_string());
  return std::string(data->begin(), data->end());
}

TEST(RealFs, WriteAppendPreadTruncate) {
  kz::testing::TempDir dir;
  RealFs fs(dir.path());
  auto f = fs.open("log.1", io::OpenOptions::create_new());
  ASSERT_TRUE(f.is_ok()) << f.status().to_string();
  EXPECT_EQ((*f)->path(), "log.1");
  ASSERT_TRUE((*f)->append(bytes("hello ")).is_ok());
  ASSERT_TRUE((*f)->append(bytes("world")).is_ok());
  EXPECT_EQ(*(*f)->size(), 11u);
  ASSERT_TRUE((*f)->pwrite(0, bytes("J")).is_ok());
  EXPECT_EQ(*(*f)->size(), 11u);
  // pwrite past the end grows the file (with a hole) and append follows it.
  ASSERT_TRUE((*f)->pwrite(13, bytes("!")).is_ok());
  EXPECT_EQ(*(*f)->size(), 14u);
  ASSERT_TRUE((*f)->append(bytes("?")).is_ok());

  std::vector<uint8_t> buf(32);
  Result<size_t> n = (*f)->pread(0, buf);
  ASSERT_TRUE(n.is_ok());
  EXPECT_EQ(*n, 15u);  // short only at end of file
  EXPECT_EQ(std::string(buf.begin(), buf.begin() + 11), "Jello world");
  EXPECT_EQ(buf[11], 0);
  EXPECT_EQ(buf[13], '!');
  EXPECT_EQ(buf[14], '?');
  n = (*f)->pread(100, buf);
  ASSERT_TRUE(n.is_ok());
  EXPECT_EQ(*n, 0u);
  // read_exact past the end is a corruption naming the file.
  Status short_read = (*f)->read_exact(10, buf);
  EXPECT_EQ(short_read.code(), Code::kCorruption);
  EXPECT_NE(short_read.message().find("log.1"), std::string::npos);

  ASSERT_TRUE((*f)->truncate(5).is_ok());
  EXPECT_EQ(*(*f)->size(), 5u);
  ASSERT_TRUE((*f)->append(bytes("!")).is_ok());
  ASSERT_TRUE((*f)->sync().is_ok());
  ASSERT_TRUE((*f)->close().is_ok());
  ASSERT_TRUE((*f)->close().is_ok());  // idempotent
  EXPECT_EQ((*f)->append(bytes("x")).code(), Code::kClosed);
  EXPECT_EQ(read_all(fs, "log.1"), "Jello!");

  struct stat st;
  ASSERT_EQ(::stat((dir.path() + "/log.1").c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 6);

  // Reopening finds the size; create_or_open keeps the contents, create_new drops them.
  auto again = fs.open("log.1", io::OpenOptions::create_or_open());
  ASSERT_TRUE(again.is_ok());
  EXPECT_EQ(*(*again)->size(), 6u);
  ASSERT_TRUE((*again)->append(bytes("+")).is_ok());
  ASSERT_TRUE((*again)->close().is_ok());
  EXPECT_EQ(read_all(fs, "log.1"), "Jello!+");
  auto fresh = fs.open("log.1", io::OpenOptions::create_new());
  ASSERT_TRUE(fresh.is_ok());
  EXPECT_EQ(*(*fresh)->size(), 0u);
}

TEST(RealFs, SyncUsesFdatasyncOnlyWhenTheSizeIsUnchanged) {
  kz::testing::TempDir dir;
  RealFs fs(dir.path());
  auto opened = fs.open("data", io::OpenOptions::create_new());
  ASSERT_TRUE(opened.is_ok());
  auto* f = static_cast<RealFile*>(opened->get());
  ASSERT_TRUE(f->append(bytes("abc")).is_ok());
  ASSERT_TRUE(f->sync().is_ok());  // size grew: fsync
  EXPECT_EQ(f->syncs_full(), 1u);
  EXPECT_EQ(f->syncs_data(), 0u);
  ASSERT_TRUE(f->pwrite(0, bytes("x")).is_ok());
  ASSERT_TRUE(f->sync().is_ok());  // overwrite in place: fdatasync
  EXPECT_EQ(f->syncs_full(), 1u);
  EXPECT_EQ(f->syncs_data(), 1u);
  ASSERT_TRUE(f->truncate(1).is_ok());
  ASSERT_TRUE(f->sync().is_ok());  // size shrank: fsync
  EXPECT_EQ(f->syncs_full(), 2u);
  ASSERT_TRUE(f->sync().is_ok());  // nothing changed: the cheap one
  EXPECT_EQ(f->syncs_data(), 2u);
}

TEST(RealFs, DirectoriesRenameListRemove) {
  kz::testing::TempDir dir;
  RealFs fs(dir.path());
  ASSERT_TRUE(fs.mkdirs("a/b/c").is_ok());
  ASSERT_TRUE(fs.mkdirs("a/b/c").is_ok());  // existing is fine
  EXPECT_TRUE(*fs.exists("a/b/c"));
  EXPECT_FALSE(*fs.exists("a/b/d"));
  EXPECT_FALSE(*fs.exists("a/nothing/below"));
  for (std::string name : {"zeta", "alpha", "mid", "0001"}) {
    ASSERT_TRUE(fs.write_file_atomic(io::join_path("a/b", name), bytes(name)).is_ok());
  }
  Result<std::vector<std::string>> names = fs.list("a/b");
  ASSERT_TRUE(names.is_ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"0001", "alpha", "c", "mid", "zeta"}));

  ASSERT_TRUE(fs.rename("a/b/alpha", "a/b/c/beta").is_ok());
  ASSERT_TRUE(fs.sync_dir("a/b").is_ok());
  ASSERT_TRUE(fs.sync_dir("a/b/c").is_ok());
  EXPECT_FALSE(*fs.exists("a/b/alpha"));
  EXPECT_EQ(read_all(fs, "a/b/c/beta"), "alpha");
  // rename replaces an existing target atomically.
  ASSERT_TRUE(fs.rename("a/b/mid", "a/b/zeta").is_ok());
  EXPECT_EQ(read_all(fs, "a/b/zeta"), "mid");

  ASSERT_TRUE(fs.remove("a/b/zeta").is_ok());
  ASSERT_TRUE(fs.remove("a/b/c/beta").is_ok());
  ASSERT_TRUE(fs.remove("a/b/c").is_ok());  // an empty directory
  EXPECT_EQ(*fs.list("a/b"), (std::vector<std::string>{"0001"}));
  // Absolute paths bypass the root.
  EXPECT_TRUE(*fs.exists(dir.path() + "/a/b/0001"));
}

TEST(RealFs, ErrorsNameThePath) {
  kz::testing::TempDir dir;
  RealFs fs(dir.path());
  auto missing = fs.open("nope/file.log", io::OpenOptions::read_only());
  ASSERT_FALSE(missing.is_ok());
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_NE(missing.status().message().find(dir.path() + "/nope/file.log"), std::string::npos)
      << missing.status().to_string();

  Status s = fs.remove("ghost");
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_NE(s.message().find("ghost"), std::string::npos) << s.to_string();
  s = fs.rename("ghost", "other");
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_NE(s.message().find("ghost"), std::string::npos) << s.to_string();
  Result<std::vector<std::string>> l = fs.list("no_dir");
  EXPECT_EQ(l.status().code(), Code::kNotFound);
  EXPECT_NE(l.status().message().find("no_dir"), std::string::npos);
  EXPECT_EQ(fs.sync_dir("no_dir").code(), Code::kNotFound);

  ASSERT_TRUE(fs.write_file_atomic("taken", bytes("x")).is_ok());
  auto excl = fs.open("taken", {.write = true, .create = true, .exclusive = true});
  EXPECT_EQ(excl.status().code(), Code::kAlreadyExists);
  EXPECT_NE(excl.status().message().find("taken"), std::string::npos);
  // A file where a directory should be.
  EXPECT_FALSE(fs.mkdirs("taken/sub").is_ok());
  EXPECT_EQ(fs.mkdirs("taken").code(), Code::kAlreadyExists);

  auto ro = fs.open("taken", io::OpenOptions::read_only());
  ASSERT_TRUE(ro.is_ok());
  Status w = (*ro)->append(bytes("y"));
  EXPECT_FALSE(w.is_ok());
  EXPECT_NE(w.message().find("taken"), std::string::npos);
  EXPECT_EQ(read_all(fs, "taken"), "x");
}

}  // namespace
}  // namespace kz::real
