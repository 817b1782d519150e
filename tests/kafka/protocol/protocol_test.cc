// Headers, the API table, the ApiVersions header quirk, frame encoding and the request
// dispatcher entry points, plus hostile bodies for every API.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <set>

#include "core/kafka/protocol/protocol.h"
#include "tests/kafka/protocol/golden.h"

namespace kz::kafka {
namespace {

using testing::B;
using testing::hex;
using testing::unhex;

TEST(KafkaProtoHeaders, RequestHeaderVersions) {
  RequestHeader header{.api_key = 3, .api_version = 9, .correlation_id = 0x11223344, .client_id = "cli"};
  for (int16_t version : {0, 1, 2}) {
    Writer w;
    ASSERT_TRUE(encode_request_header(header, version, w).is_ok());
    B b(false);
    b.i16(3).i16(9).i32(0x11223344);
    if (version >= 1) b.str("cli");  // classic string even in v2
    if (version >= 2) b.uv(0);
    EXPECT_EQ(hex(w.data()), hex(b.bytes_out())) << "header v" << version;
    RequestHeader back;
    Reader r(w.data());
    ASSERT_TRUE(decode_request_header(r, version, &back).is_ok());
    EXPECT_TRUE(r.empty());
    RequestHeader expected = header;
    if (version == 0) expected.client_id.reset();
    EXPECT_EQ(back, expected);
  }
  RequestHeader null_client{.api_key = 18, .api_version = 0, .correlation_id = 1, .client_id = std::nullopt};
  Writer w;
  ASSERT_TRUE(encode_request_header(null_client, 1, w).is_ok());
  EXPECT_EQ(hex(w.data()), "0012000000000001ffff");
}

TEST(KafkaProtoHeaders, RequestHeaderV2SkipsUnknownTaggedFields) {
  B b(false);
  b.i16(3).i16(9).i32(5).str("c").uv(2).uv(7).uv(2).raw("xy").uv(300).uv(0);
  RequestHeader header;
  int16_t header_version = -1;
  Reader r(b.bytes_out());
  ASSERT_TRUE(decode_request_header(r, &header, &header_version).is_ok());
  EXPECT_EQ(header_version, 2);
  EXPECT_EQ(header.correlation_id, 5);
  EXPECT_EQ(header.client_id, "c");
  EXPECT_TRUE(r.empty());
}

TEST(KafkaProtoHeaders, ResponseHeaderVersions) {
  Writer w0;
  encode_response_header({.correlation_id = 7}, 0, w0);
  EXPECT_EQ(hex(w0.data()), "00000007");
  Writer w1;
  encode_response_header({.correlation_id = 7}, 1, w1);
  EXPECT_EQ(hex(w1.data()), "0000000700");
  ResponseHeader back;
  Reader r(w1.data());
  ASSERT_TRUE(decode_response_header(r, 1, &back).is_ok());
  EXPECT_EQ(back.correlation_id, 7);
  auto truncated = unhex("000000");
  Reader rt(truncated);
  EXPECT_FALSE(decode_response_header(rt, 0, &back).is_ok());
}

TEST(KafkaProtoApiTable, AdvertisesTheRequiredRanges) {
  struct Want {
    int16_t key;
    const char* name;
    int16_t min;
    int16_t max;
  };
  const Want wants[] = {
      {0, "Produce", 0, 7},          {1, "Fetch", 0, 11},           {2, "ListOffsets", 0, 5},
      {3, "Metadata", 0, 9},         {4, "LeaderAndIsr", 0, 4},     {5, "StopReplica", 0, 3},
      {6, "UpdateMetadata", 0, 6},   {7, "ControlledShutdown", 0, 3}, {8, "OffsetCommit", 0, 7},
      {9, "OffsetFetch", 0, 7},      {10, "FindCoordinator", 0, 3}, {11, "JoinGroup", 0, 5},
      {12, "Heartbeat", 0, 3},       {13, "LeaveGroup", 0, 3},      {14, "SyncGroup", 0, 3},
      {15, "DescribeGroups", 0, 4},  {16, "ListGroups", 0, 4},      {17, "SaslHandshake", 0, 1},
      {18, "ApiVersions", 0, 3},     {19, "CreateTopics", 0, 5},    {20, "DeleteTopics", 0, 4},
      {21, "DeleteRecords", 0, 1},   {22, "InitProducerId", 0, 4},  {23, "OffsetForLeaderEpoch", 0, 3},
      {24, "AddPartitionsToTxn", 0, 1}, {25, "AddOffsetsToTxn", 0, 1}, {26, "EndTxn", 0, 1},
      {27, "WriteTxnMarkers", 0, 0}, {28, "TxnOffsetCommit", 0, 3}, {29, "DescribeAcls", 0, 2},
      {30, "CreateAcls", 0, 2},      {31, "DeleteAcls", 0, 2},      {32, "DescribeConfigs", 0, 2},
      {33, "AlterConfigs", 0, 1},    {36, "SaslAuthenticate", 0, 1}, {37, "CreatePartitions", 0, 1},
      {42, "DeleteGroups", 0, 1},    {47, "OffsetDelete", 0, 0},
  };
  EXPECT_EQ(all_apis().size(), std::size(wants));
  for (const Want& want : wants) {
    const ApiInfo* api = find_api(want.key);
    ASSERT_NE(api, nullptr) << want.name;
    EXPECT_EQ(api->name, want.name);
    EXPECT_EQ(api->version_min, want.min) << want.name;
    EXPECT_EQ(api->version_max, want.max) << want.name;
  }
  int16_t previous = -1;
  for (const ApiInfo& api : all_apis()) {
    EXPECT_GT(api.api_key, previous) << "ordered by key";
    previous = api.api_key;
  }
  EXPECT_EQ(find_api(34), nullptr);
  EXPECT_FALSE(api_version_supported(0, 8));
  EXPECT_TRUE(api_version_supported(0, 7));
}

TEST(KafkaProtoApiTable, HeaderVersionsFollowFlexibilityAndQuirks) {
  // Flexible versions use request header v2 / response header v1 (KIP-482).
  EXPECT_EQ(request_header_version(3, 8), 1);
  EXPECT_EQ(request_header_version(3, 9), 2);
  EXPECT_EQ(response_header_version(3, 8), 0);
  EXPECT_EQ(response_header_version(3, 9), 1);
  EXPECT_EQ(request_header_version(9, 6), 2);   // OffsetFetch v6 (librdkafka sends it)
  EXPECT_EQ(request_header_version(22, 2), 2);  // InitProducerId v2
  EXPECT_EQ(request_header_version(0, 7), 1);   // Produce is never flexible in kz's range
  // ApiVersions: flexible request header from v3, but its response header is always v0 (KIP-511),
  // also for versions newer than kz serves, so that the client can read UNSUPPORTED_VERSION.
  EXPECT_EQ(request_header_version(18, 3), 2);
  EXPECT_EQ(response_header_version(18, 3), 0);
  EXPECT_EQ(response_header_version(18, 4), 0);
  EXPECT_EQ(request_header_version(18, 4), 2);
  // ControlledShutdown v0 has no client id (request header v0).
  EXPECT_EQ(request_header_version(7, 0), 0);
  EXPECT_EQ(request_header_version(7, 1), 1);
  EXPECT_EQ(request_header_version(7, 3), 2);
  // Unknown keys: classic headers, enough to read the correlation id.
  EXPECT_EQ(request_header_version(1000, 0), 1);
  EXPECT_EQ(response_header_version(1000, 0), 0);
}

TEST(KafkaProtoFrames, ApiVersionsV3ResponseFrameUsesHeaderV0) {
  ApiVersionsResponse response;
  response.api_keys.push_back({.api_key = 18, .min_version = 0, .max_version = 3});
  auto frame = encode_response_frame(42, 3, Response(response));
  ASSERT_TRUE(frame.is_ok()) << frame.status().to_string();
  B body(true);
  body.i16(0).arr(1).i16(18).i16(0).i16(3).tags().i32(0).tags();
  B expected(false);
  expected.i32(4 + static_cast<int64_t>(body.bytes_out().size())).i32(42).append(body.bytes_out());
  EXPECT_EQ(hex(*frame), hex(expected.bytes_out()));
}

TEST(KafkaProtoFrames, MetadataV9ResponseFrameUsesHeaderV1) {
  MetadataResponse response;
  auto frame = encode_response_frame(7, 9, Response(response));
  ASSERT_TRUE(frame.is_ok());
  // size, correlation id, header tags, then throttle, brokers, cluster id, controller, topics,
  // cluster authorized operations, body tags.
  EXPECT_EQ(hex(*frame), "00000015" "00000007" "00" "00000000" "01" "00" "ffffffff" "01" "80000000" "00");
}

TEST(KafkaProtoFrames, RequestFrameRoundTripsThroughTheDispatcher) {
  FetchRequest fetch;
  fetch.replica_id = -1;
  fetch.topics.push_back({.topic = "t", .partitions = {{.partition = 1, .fetch_offset = 10}}});
  RequestHeader header{.api_key = 1, .api_version = 11, .correlation_id = 9, .client_id = "rdkafka"};
  auto frame = encode_request_frame(header, Request(fetch));
  ASSERT_TRUE(frame.is_ok()) << frame.status().to_string();
  ASSERT_GE(frame->size(), 4u);
  Reader size_reader(*frame);
  int32_t size = 0;
  ASSERT_TRUE(size_reader.int32(&size).is_ok());
  EXPECT_EQ(static_cast<size_t>(size), frame->size() - 4);
  auto decoded = decode_request(std::span<const uint8_t>(*frame).subspan(4));
  ASSERT_TRUE(decoded.is_ok()) << decoded.status().to_string();
  EXPECT_EQ(decoded->header, header);
  EXPECT_EQ(decoded->header_version, 1);
  ASSERT_TRUE(std::holds_alternative<FetchRequest>(decoded->body));
  EXPECT_TRUE(std::get<FetchRequest>(decoded->body) == fetch);
  EXPECT_EQ(api_key_of(decoded->body), 1);
  // Mismatched header and body are refused.
  header.api_key = 0;
  EXPECT_FALSE(encode_request_frame(header, Request(fetch)).is_ok());
}

TEST(KafkaProtoFrames, ResponseFramePayloadDecodesOnTheClientSide) {
  ListGroupsResponse response;
  response.groups.push_back({.group_id = "g", .protocol_type = "consumer", .group_state = "Stable"});
  auto frame = encode_response_frame(3, 4, Response(response));
  ASSERT_TRUE(frame.is_ok());
  ResponseHeader header;
  auto decoded = decode_response_frame_payload(16, 4, std::span<const uint8_t>(*frame).subspan(4), &header);
  ASSERT_TRUE(decoded.is_ok()) << decoded.status().to_string();
  EXPECT_EQ(header.correlation_id, 3);
  EXPECT_TRUE(std::get<ListGroupsResponse>(*decoded) == response);
}

TEST(KafkaProtoDispatch, UnsupportedVersionsAndUnknownKeysAreErrors) {
  auto body = unhex("");
  auto too_new = decode_request_body(18, 4, body);
  ASSERT_FALSE(too_new.is_ok());
  EXPECT_EQ(too_new.status().code(), Code::kUnsupported);
  EXPECT_EQ(too_new.status().message(), "ApiVersions request v4 is not supported (kz serves v0-v3)");
  auto unknown = decode_request_body(34, 0, body);
  EXPECT_EQ(unknown.status().code(), Code::kNotFound);
  // The header of an unsupported request still decodes, so the broker can answer it.
  B frame(false);
  frame.i16(18).i16(4).i32(77).str("new-client").uv(0);
  auto header = decode_request_header_only(frame.bytes_out());
  ASSERT_TRUE(header.is_ok());
  EXPECT_EQ(header->correlation_id, 77);
  EXPECT_FALSE(decode_request(frame.bytes_out()).is_ok());
}

TEST(KafkaProtoDispatch, TrailingBytesAreAnError) {
  B b(false);
  b.str("g").i32(1).str("m").raw("x");
  auto decoded = decode_request_body(12, 0, b.bytes_out());
  ASSERT_FALSE(decoded.is_ok());
  EXPECT_EQ(decoded.status().message(), "Heartbeat request v0: 1 trailing bytes after the body");
}

TEST(KafkaProtoDispatch, ErrorsNameApiVersionAndFieldPath) {
  B b(false);
  b.str("").i16(1).i32(100).arr(1).str("orders").arr(1).i32(0).i32(1000).raw("short");
  auto decoded = decode_request_body(0, 3, b.bytes_out());
  ASSERT_FALSE(decoded.is_ok());
  EXPECT_EQ(decoded.status().code(), Code::kCorruption);
  EXPECT_EQ(decoded.status().message(),
            "Produce request v3: Topics[0].Partitions[0].Records: length 1000 exceeds the 5 bytes left");
}

TEST(KafkaProtoDispatch, EncodingNullIntoANonNullableVersionIsAnError) {
  // OffsetFetch topics may be null only from v2.
  OffsetFetchRequest request;
  request.topics = std::nullopt;
  Writer w;
  Status status = request.encode(w, 1);
  ASSERT_FALSE(status.is_ok());
  EXPECT_EQ(status.message(), "OffsetFetch request v1: Topics: null is not allowed in this version");
  Writer w2;
  EXPECT_TRUE(request.encode(w2, 2).is_ok());
}

TEST(KafkaProtoDispatch, UnknownTaggedFieldsAreSkipped) {
  // ApiVersions v3 response with tag 1 (known) and tag 9 (unknown, 3 bytes) in the body.
  B b(true);
  b.i16(0).arr(0).i32(0).uv(2).uv(1).uv(8).i64(5).uv(9).uv(3).raw("abc");
  auto decoded = decode_response_body(18, 3, b.bytes_out());
  ASSERT_TRUE(decoded.is_ok()) << decoded.status().to_string();
  EXPECT_EQ(std::get<ApiVersionsResponse>(*decoded).finalized_features_epoch, 5);
  // A tagged field whose size runs past the end is an error, not a crash.
  B bad(true);
  bad.i16(0).arr(0).i32(0).uv(1).uv(9).uv(200).raw("abc");
  EXPECT_FALSE(decode_response_body(18, 3, bad.bytes_out()).is_ok());
}

// Random bytes as every request and response body at every version: decoding must return (ok or
// error) without crashing, and whatever decodes must re-encode.
RC_GTEST_PROP(KafkaProtoDispatch, ArbitraryBodiesNeverCrash, (std::vector<uint8_t> bytes)) {
  const auto apis = all_apis();
  const auto& api = apis[*rc::gen::inRange<size_t>(0, apis.size())];
  const auto version = *rc::gen::inRange<int>(api.version_min, api.version_max + 1);
  auto request = decode_request_body(api.api_key, static_cast<int16_t>(version), bytes);
  if (request.is_ok()) {
    Writer w;
    RC_ASSERT(encode_request_body(*request, static_cast<int16_t>(version), w).is_ok());
  }
  auto response = decode_response_body(api.api_key, static_cast<int16_t>(version), bytes);
  if (response.is_ok()) {
    Writer w;
    RC_ASSERT(encode_response_body(*response, static_cast<int16_t>(version), w).is_ok());
  }
}

TEST(KafkaProtoErrors, TableCoversTheKnownCodes) {
  std::set<int16_t> codes;
  for (const ErrorInfo& info : all_errors()) {
    EXPECT_TRUE(codes.insert(info.code).second) << info.name;
    EXPECT_FALSE(info.name.empty());
  }
  for (int16_t code = -1; code <= 100; code++) EXPECT_NE(find_error(code), nullptr) << code;
  EXPECT_EQ(find_error(-2), nullptr);
  EXPECT_EQ(find_error(5000), nullptr);
  EXPECT_EQ(error_name(errc::kNotCoordinator), "NOT_COORDINATOR");
  EXPECT_EQ(error_name(errc::kUnsupportedVersion), "UNSUPPORTED_VERSION");
  EXPECT_EQ(error_name(errc::kProducerFenced), "PRODUCER_FENCED");
  EXPECT_EQ(error_name(999), "UNKNOWN_ERROR_CODE");
  EXPECT_TRUE(error_retriable(errc::kNotLeaderOrFollower));
  EXPECT_TRUE(error_retriable(errc::kCoordinatorLoadInProgress));
  EXPECT_FALSE(error_retriable(errc::kTopicAlreadyExists));
  EXPECT_FALSE(error_retriable(errc::kNone));
  EXPECT_EQ(find_error(errc::kMessageTooLarge)->message,
            "The request included a message larger than the max message size the server will accept.");
}

}  // namespace
}  // namespace kz::kafka
