// real::run_filter, the host helper the report uses to run `dot`: stdin in, stdout out, no deadlock
// on big inputs and outputs, clear errors for a missing program.
#include <gtest/gtest.h>

#include <string>

#include "core/real/host.h"

namespace kz::real {
namespace {

TEST(RunFilter, PipesInputThroughAProgramOnPath) {
  Result<ChildResult> r = run_filter({"cat"}, "hello\nworld\n", /*quiet_stderr=*/true);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_EQ(r->stdout_text, "hello\nworld\n");
}

TEST(RunFilter, BigInputAndOutputDoNotDeadlock) {
  // Far more than a pipe buffer each way: the helper must write and read at the same time.
  std::string input;
  for (int i = 0; i < 200'000; i++) input += "line " + std::to_string(i) + "\n";
  Result<ChildResult> r = run_filter({"cat"}, input, true);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r->stdout_text.size(), input.size());
  EXPECT_EQ(r->stdout_text, input);
}

TEST(RunFilter, ExitCodesAndMissingPrograms) {
  Result<ChildResult> r = run_filter({"false"}, "ignored", true);
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->exit_code, 1);
  // A child that exits without reading its input must not kill us with SIGPIPE.
  std::string big(1 << 20, 'x');
  r = run_filter({"true"}, big, true);
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->exit_code, 0);
  Result<ChildResult> missing = run_filter({"kz-no-such-program-here"}, "", true);
  ASSERT_FALSE(missing.is_ok());
  EXPECT_TRUE(missing.status().is(Code::kNotFound));
  EXPECT_NE(missing.status().message().find("kz-no-such-program-here not found on PATH"), std::string::npos);
  EXPECT_EQ(find_on_path("kz-no-such-program-here"), "");
  EXPECT_NE(find_on_path("sh"), "");
}

}  // namespace
}  // namespace kz::real
