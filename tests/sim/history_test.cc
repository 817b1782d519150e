// Histories: typed entry values read back as recorded, serialise exactly as the json objects they
// replaced (history.jsonl is a user-facing format), and entries stay put while the history grows.
#include "sim/testbed/history.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace kz::testbed {
namespace {

TEST(HistValueTest, TypedFieldsReadBackAndSerialiseAsJson) {
  std::string moved = "c7-123456";
  HistValue v = hist("key", 3, "version", int64_t{-2}, "value", std::move(moved), "match", true, "paths",
                     std::vector<std::string>{"/q/a", "/q/b"}, "big", uint64_t{1} << 63, "small", uint64_t{5});
  ASSERT_TRUE(v.is_object());
  EXPECT_EQ(v["key"].get<int64_t>(), 3);
  EXPECT_EQ(v["version"].get<int>(), -2);
  EXPECT_EQ(v["value"].get<std::string>(), "c7-123456");
  EXPECT_TRUE(v["match"].get<bool>());
  EXPECT_EQ(v["small"].get<int64_t>(), 5);
  std::vector<std::string> paths;
  for (const auto& p : v["paths"]) paths.push_back(p.get<std::string>());
  EXPECT_EQ(paths, (std::vector<std::string>{"/q/a", "/q/b"}));
  EXPECT_TRUE(v.contains("big"));
  EXPECT_FALSE(v.contains("zxid"));
  EXPECT_EQ(v.value("zxid", int64_t{-1}), -1);
  EXPECT_EQ(v.value("key", int64_t{-1}), 3);

  HistJson expected = HistJson::object();
  expected["key"] = 3;
  expected["version"] = -2;
  expected["value"] = "c7-123456";
  expected["match"] = true;
  expected["paths"] = {"/q/a", "/q/b"};
  expected["big"] = uint64_t{1} << 63;
  expected["small"] = 5;
  EXPECT_EQ(v.to_json().dump(), expected.dump());
  // nlohmann's to_json hook: a HistValue drops into a (std::map-ordered) json as its object.
  nlohmann::json j = {{"args", v}};
  EXPECT_EQ(j["args"]["value"], "c7-123456");
  EXPECT_EQ(j["args"]["big"].get<uint64_t>(), uint64_t{1} << 63);
}

TEST(HistValueTest, JsonValuesStayJsonEvenThoughTheyConvertToStrings) {
  nlohmann::json items = nlohmann::json::array({"/q/a", "/q/b"});
  HistValue v{{"paths", items}, {"one", nlohmann::json("s")}, {"zxid", 7}};
  EXPECT_EQ(v["paths"].kind(), HistField::Kind::kJson);
  EXPECT_EQ(v["one"].kind(), HistField::Kind::kJson);
  EXPECT_EQ(v["one"].get<std::string>(), "s");
  EXPECT_EQ(v.to_json().dump(), R"({"paths":["/q/a","/q/b"],"one":"s","zxid":7})");
}

TEST(HistValueTest, InitializerListNullAndEmptyObject) {
  HistValue v{{"item", "x1"}, {"czxid", int64_t{0x100000002}}};
  EXPECT_EQ(v["item"].get<std::string>(), "x1");
  EXPECT_EQ(v["czxid"].get<int64_t>(), 0x100000002);
  EXPECT_EQ(v.to_json().dump(), R"({"item":"x1","czxid":4294967298})");
  EXPECT_TRUE(HistValue().is_null());
  EXPECT_EQ(HistValue(nullptr).to_json().dump(), "null");
  EXPECT_EQ(HistValue::object().to_json().dump(), "{}");
}

TEST(HistValueDeathTest, WrongKindOrMissingFieldIsAnInvariantBreak) {
  HistValue v = hist("key", 1, "value", std::string("a"));
  EXPECT_DEATH((void)v["value"].get<int64_t>(), "history field 'value' is not an integer");
  EXPECT_DEATH((void)v["version"], "history entry has no field 'version'");
}

TEST(HistoryTest, EntriesStayPutAcrossChunksAndPairInvokeWithCompletion) {
  History h;
  const size_t n = HistoryEntries::kChunk * 2 + 7;  // crosses two chunk boundaries
  std::vector<uint64_t> ops;
  for (size_t i = 0; i < n; i++) ops.push_back(h.invoke(static_cast<int64_t>(i), "c1", "read", hist("key", 0)));
  const HistoryEntry* first = &h.invocation(ops[0]);
  for (size_t i = 0; i < n; i++) {
    if (i % 3 == 0) {
      h.fail(static_cast<int64_t>(n + i), ops[i], "refused");
    } else {
      h.ok(static_cast<int64_t>(n + i), ops[i], hist("key", 0, "version", static_cast<int64_t>(i)));
    }
  }
  EXPECT_EQ(first, &h.invocation(ops[0]));  // growing did not move the entry
  ASSERT_EQ(h.entries().size(), 2 * n);
  size_t index = 0;
  for (const HistoryEntry& e : h.entries()) EXPECT_EQ(e.index, index++);
  EXPECT_EQ(index, 2 * n);
  const HistoryEntry* done = h.completion(ops[n - 1]);
  ASSERT_NE(done, nullptr);
  EXPECT_EQ(done->process, "c1");
  EXPECT_EQ(done->f, "read");
  EXPECT_EQ(done->value["version"].get<int64_t>(), static_cast<int64_t>(n - 1));
  EXPECT_EQ(h.completion(ops[0])->error, "refused");
  EXPECT_TRUE(h.completion(ops[0])->value.is_null());
  std::string jsonl = h.to_jsonl();
  EXPECT_NE(jsonl.find(R"("value":{"key":0,"version":1})"), std::string::npos);
}

}  // namespace
}  // namespace kz::testbed
