// API version negotiation: the highest common version, clear errors when there is none, and the
// ApiVersions fallback after UNSUPPORTED_VERSION (KIP-511).
#include <gtest/gtest.h>

#include "core/kafka/client/versions.h"

namespace kz::kafka::client {
namespace {

TEST(ClientVersions, PicksTheHighestCommonVersion) {
  ApiVersionTable t;
  t.set(3, {0, 2});   // librdkafka's mock caps Metadata at 2
  t.set(1, {0, 11});
  EXPECT_EQ(*t.pick(3, {0, 9}), 2);
  EXPECT_EQ(*t.pick(1, {4, 8}), 8);
  EXPECT_EQ(*t.pick(3), 2);
}

TEST(ClientVersions, NoCommonVersionOrUnknownApiIsUnsupported) {
  ApiVersionTable t;
  t.set(0, {0, 2});  // a broker too old for RecordBatch v2 produce
  Result<int16_t> r = t.pick(0);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), Code::kUnsupported);
  EXPECT_NE(r.status().message().find("Produce"), std::string::npos);
  Result<int16_t> missing = t.pick(19, {0, 5});
  ASSERT_FALSE(missing.is_ok());
  EXPECT_NE(missing.status().message().find("does not support"), std::string::npos);
}

TEST(ClientVersions, ClientRangesRequireRecordBatchV2) {
  ASSERT_TRUE(client_versions(0).has_value());
  EXPECT_EQ(client_versions(0)->min, 3);
  EXPECT_EQ(client_versions(1)->min, 4);
  EXPECT_EQ(client_versions(3)->min, 0);
  EXPECT_FALSE(client_versions(9999).has_value());
}

TEST(ClientVersions, TableFromAnApiVersionsResponse) {
  ApiVersionsResponse r;
  r.api_keys.push_back({18, 0, 2});
  r.api_keys.push_back({3, 0, 2});
  ApiVersionTable t(r);
  ASSERT_TRUE(t.broker(18).has_value());
  EXPECT_EQ(*t.broker(18), (VersionRange{0, 2}));
  EXPECT_FALSE(t.broker(0).has_value());
}

TEST(ClientVersions, ApiVersionsRetryUsesTheBrokersRange) {
  ApiVersionsResponse err;
  err.error_code = 35;
  err.api_keys.push_back({18, 0, 2});
  EXPECT_EQ(api_versions_retry_version(3, err), std::optional<int16_t>(2));
  // No range listed: fall back to v0; v0 rejected: give up.
  EXPECT_EQ(api_versions_retry_version(3, ApiVersionsResponse{}), std::optional<int16_t>(0));
  EXPECT_EQ(api_versions_retry_version(0, err), std::nullopt);
  // A broker listing a range above what was rejected still gets a lower version (no loop).
  ApiVersionsResponse odd;
  odd.api_keys.push_back({18, 0, 7});
  EXPECT_EQ(api_versions_retry_version(3, odd), std::optional<int16_t>(2));
}

}  // namespace
}  // namespace kz::kafka::client
