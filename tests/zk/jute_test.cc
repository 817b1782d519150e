// Jute encoding and the ZooKeeper records: golden bytes written by hand from zookeeper.jute,
// round trips, and malformed input (truncated, garbage, absurd lengths) giving errors.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>

#include "core/zk/proto.h"
#include "core/zk/txn.h"

namespace kz::zk {
namespace {

// "00 00 00 01 2f" -> bytes; spaces ignored.
std::string hex(std::string_view text) {
  std::string out;
  int nibble = -1;
  for (char c : text) {
    if (c == ' ') continue;
    const int v = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
    EXPECT_GE(v, 0) << "bad hex " << c;
    if (nibble < 0) {
      nibble = v;
    } else {
      out.push_back(static_cast<char>(nibble * 16 + v));
      nibble = -1;
    }
  }
  EXPECT_LT(nibble, 0);
  return out;
}

const char* kConnectNoReadOnly =
    "00000000 0000000000000000 00007530 0000000000000000 00000010 00000000000000000000000000000000";

TEST(ZkJute, ConnectRequestWithReadOnlyGolden) {
  ConnectRequest req;
  req.timeout_ms = 30000;
  req.passwd = std::string(16, '\0');
  req.read_only = false;
  const std::string golden = hex(std::string(kConnectNoReadOnly) + " 00");
  EXPECT_EQ(jute_encode(req), golden);
  auto decoded = jute_decode<ConnectRequest>(golden);
  ASSERT_TRUE(decoded.is_ok()) << decoded.status().to_string();
  EXPECT_EQ(decoded->timeout_ms, 30000);
  ASSERT_TRUE(decoded->read_only.has_value());
  EXPECT_FALSE(*decoded->read_only);
  EXPECT_EQ(*decoded, req);
}

TEST(ZkJute, ConnectRequestWithoutReadOnlyFromOldClients) {
  const std::string golden = hex(kConnectNoReadOnly);
  auto decoded = jute_decode<ConnectRequest>(golden);
  ASSERT_TRUE(decoded.is_ok()) << decoded.status().to_string();
  EXPECT_FALSE(decoded->read_only.has_value());
  EXPECT_EQ(decoded->passwd, std::string(16, '\0'));
  EXPECT_EQ(jute_encode(*decoded), golden);
}

TEST(ZkJute, ConnectResponseRoundTrip) {
  ConnectResponse resp{0, 4000, 0x1000001234abcdll, std::string("0123456789abcdef"), true};
  auto decoded = jute_decode<ConnectResponse>(jute_encode(resp));
  ASSERT_TRUE(decoded.is_ok());
  EXPECT_EQ(*decoded, resp);
}

TEST(ZkJute, CreateRequestGolden) {
  RequestHeader header{1, 1};
  CreateRequest req{"/a", std::string("x"), {Acl{31, Id{"world", "anyone"}}}, 1};
  EXPECT_EQ(jute_encode(header), hex("00000001 00000001"));
  const std::string golden =
      hex("00000002 2f61  00000001 78  00000001 0000001f 00000005 776f726c64 00000006 616e796f6e65  00000001");
  EXPECT_EQ(jute_encode(req), golden);
  auto decoded = jute_decode<CreateRequest>(golden);
  ASSERT_TRUE(decoded.is_ok());
  EXPECT_EQ(*decoded, req);
}

TEST(ZkJute, ReplyHeaderGolden) {
  ReplyHeader h{5, 0x100000002ll, -101};
  const std::string golden = hex("00000005 0000000100000002 ffffff9b");
  EXPECT_EQ(jute_encode(h), golden);
  auto decoded = jute_decode<ReplyHeader>(golden);
  ASSERT_TRUE(decoded.is_ok());
  EXPECT_EQ(decoded->err, err(ErrorCode::kNoNode));
  EXPECT_EQ(decoded->zxid, 0x100000002ll);
}

TEST(ZkJute, WatcherEventGolden) {
  WatcherEvent e{static_cast<int32_t>(EventType::kNodeCreated), static_cast<int32_t>(KeeperState::kSyncConnected), "/a"};
  const std::string golden = hex("00000001 00000003 00000002 2f61");
  EXPECT_EQ(jute_encode(e), golden);
  auto decoded = jute_decode<WatcherEvent>(golden);
  ASSERT_TRUE(decoded.is_ok());
  EXPECT_EQ(*decoded, e);
}

TEST(ZkJute, StatGolden) {
  Stat s{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
  const std::string golden = hex(
      "0000000000000001 0000000000000002 0000000000000003 0000000000000004 00000005 00000006 00000007 "
      "0000000000000008 00000009 0000000a 000000000000000b");
  EXPECT_EQ(golden.size(), 68u);
  EXPECT_EQ(jute_encode(s), golden);
  auto decoded = jute_decode<Stat>(golden);
  ASSERT_TRUE(decoded.is_ok());
  EXPECT_EQ(*decoded, s);
  // A Stat is read as one block; a truncated one still names the field that is missing.
  auto cut = jute_decode<Stat>(std::string_view(golden).substr(0, 40));
  ASSERT_FALSE(cut.is_ok());
  EXPECT_TRUE(cut.status().is(Code::kCorruption));
  EXPECT_NE(cut.status().message().find("Stat.aversion"), std::string::npos) << cut.status().to_string();
}

TEST(ZkJute, NullBufferIsMinusOneAndStaysNull) {
  SetDataRequest req{"/a", std::nullopt, -1};
  const std::string golden = hex("00000002 2f61 ffffffff ffffffff");
  EXPECT_EQ(jute_encode(req), golden);
  auto decoded = jute_decode<SetDataRequest>(golden);
  ASSERT_TRUE(decoded.is_ok());
  EXPECT_FALSE(decoded->data.has_value());
  auto empty = jute_decode<SetDataRequest>(hex("00000002 2f61 00000000 ffffffff"));
  ASSERT_TRUE(empty.is_ok());
  ASSERT_TRUE(empty->data.has_value());
  EXPECT_EQ(*empty->data, "");
}

TEST(ZkJute, TruncatedInputNamesRecordAndField) {
  const std::string full = jute_encode(CreateRequest{"/abc", std::string("data"), {}, 0});
  for (size_t cut = 0; cut < full.size(); cut++) {
    auto decoded = jute_decode<CreateRequest>(full.substr(0, cut));
    ASSERT_FALSE(decoded.is_ok()) << "cut at " << cut;
    EXPECT_TRUE(decoded.status().is(Code::kCorruption));
    EXPECT_NE(decoded.status().message().find("CreateRequest."), std::string::npos) << decoded.status().to_string();
  }
  auto path_cut = jute_decode<CreateRequest>(full.substr(0, 6));
  EXPECT_NE(path_cut.status().message().find("CreateRequest.path"), std::string::npos)
      << path_cut.status().to_string();
  auto acl_cut = jute_decode<CreateRequest>(full.substr(0, 17));
  EXPECT_NE(acl_cut.status().message().find("CreateRequest.acl"), std::string::npos)
      << acl_cut.status().to_string();
}

TEST(ZkJute, AbsurdLengthsAreRejectedBeforeAllocating) {
  // A 2 GiB string length in 8 bytes of input.
  auto big = jute_decode<GetDataRequest>(hex("7fffffff 00000000"));
  ASSERT_FALSE(big.is_ok());
  EXPECT_NE(big.status().message().find("unreasonable length"), std::string::npos) << big.status().to_string();
  // Negative lengths other than -1.
  EXPECT_FALSE(jute_decode<GetDataRequest>(hex("fffffffe 00")).is_ok());
  // A vector claiming a million ACLs with a few bytes behind it.
  auto many = jute_decode<SetACLRequest>(hex("00000001 2f 000f4240 00000000 00000000"));
  ASSERT_FALSE(many.is_ok());
  EXPECT_NE(many.status().message().find("SetACLRequest.acl"), std::string::npos) << many.status().to_string();
  // Within the limit, but more than what is left.
  auto short_buffer = jute_decode<SetDataRequest>(hex("00000001 2f 00000100 00"));
  ASSERT_FALSE(short_buffer.is_ok());
  EXPECT_NE(short_buffer.status().message().find("SetDataRequest.data"), std::string::npos);
  // A custom maximum (jute.maxbuffer) applies.
  auto over_max = jute_decode<SetDataRequest>(jute_encode(SetDataRequest{"/", std::string(100, 'x'), 0}), 64);
  EXPECT_FALSE(over_max.is_ok());
  EXPECT_TRUE(jute_decode<SetDataRequest>(jute_encode(SetDataRequest{"/", std::string(60, 'x'), 0}), 64).is_ok());
}

TEST(ZkJute, TrailingBytesAreAnError) {
  auto decoded = jute_decode<ReplyHeader>(hex("00000005 0000000100000002 ffffff9b 00"));
  ASSERT_FALSE(decoded.is_ok());
  EXPECT_NE(decoded.status().message().find("trailing"), std::string::npos);
}

TEST(ZkJute, MultiRequestGoldenAndRoundTrip) {
  MultiRequest req;
  req.ops.push_back(MultiOp{op(OpCode::kCheck), CheckVersionRequest{"/a", 3}});
  req.ops.push_back(MultiOp{op(OpCode::kDelete), DeleteRequest{"/a", -1}});
  const std::string golden = hex(
      "0000000d 00 ffffffff  00000002 2f61 00000003 "
      "00000002 00 ffffffff  00000002 2f61 ffffffff "
      "ffffffff 01 ffffffff");
  EXPECT_EQ(jute_encode(req), golden);
  auto decoded = jute_decode<MultiRequest>(golden);
  ASSERT_TRUE(decoded.is_ok()) << decoded.status().to_string();
  EXPECT_EQ(*decoded, req);

  MultiRequest all;
  all.ops.push_back(MultiOp{op(OpCode::kCreate2), CreateRequest{"/b", std::string("d"), {}, 2}});
  all.ops.push_back(MultiOp{op(OpCode::kCreateTtl), CreateTTLRequest{"/c", std::nullopt, {}, 5, 1000}});
  all.ops.push_back(MultiOp{op(OpCode::kSetData), SetDataRequest{"/b", std::string("e"), 0}});
  all.ops.push_back(MultiOp{op(OpCode::kGetData), GetDataRequest{"/b", true}});
  all.ops.push_back(MultiOp{op(OpCode::kGetChildren), GetChildrenRequest{"/", false}});
  auto all_decoded = jute_decode<MultiRequest>(jute_encode(all));
  ASSERT_TRUE(all_decoded.is_ok());
  EXPECT_EQ(*all_decoded, all);
}

TEST(ZkJute, MultiRequestRejectsUnknownOpAndMissingEnd) {
  auto bad = jute_decode<MultiRequest>(hex("00000063 00 ffffffff 00000000"));
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().message().find("invalid op type 99"), std::string::npos) << bad.status().to_string();
  auto unterminated = jute_decode<MultiRequest>(hex("00000002 00 ffffffff 00000002 2f61 ffffffff"));
  EXPECT_FALSE(unterminated.is_ok());
}

TEST(ZkJute, MultiResponseGoldenWithErrors) {
  MultiResponse resp;
  resp.results.push_back(error_result(ErrorCode::kOk));
  resp.results.push_back(error_result(ErrorCode::kNoNode));
  resp.results.push_back(error_result(ErrorCode::kRuntimeInconsistency));
  const std::string golden = hex(
      "ffffffff 00 00000000 00000000 "
      "ffffffff 00 ffffff9b ffffff9b "
      "ffffffff 00 fffffffe fffffffe "
      "ffffffff 01 ffffffff");
  EXPECT_EQ(jute_encode(resp), golden);
  auto decoded = jute_decode<MultiResponse>(golden);
  ASSERT_TRUE(decoded.is_ok());
  EXPECT_EQ(*decoded, resp);

  MultiResponse ok;
  OpResult created;
  created.type = op(OpCode::kCreate2);
  created.path = "/x";
  created.stat.czxid = 7;
  ok.results.push_back(created);
  OpResult set;
  set.type = op(OpCode::kSetData);
  set.stat.version = 1;
  ok.results.push_back(set);
  OpResult deleted;
  deleted.type = op(OpCode::kDelete);
  ok.results.push_back(deleted);
  OpResult got;
  got.type = op(OpCode::kGetData);
  got.data = std::string("v");
  ok.results.push_back(got);
  OpResult kids;
  kids.type = op(OpCode::kGetChildren);
  kids.children = {"a", "b"};
  ok.results.push_back(kids);
  auto ok_decoded = jute_decode<MultiResponse>(jute_encode(ok));
  ASSERT_TRUE(ok_decoded.is_ok());
  EXPECT_EQ(*ok_decoded, ok);
}

TEST(ZkJute, TxnRoundTripsIncludingMulti) {
  MultiTxn multi;
  multi.txns.push_back(SubTxn{op(OpCode::kCreate), CreateTxn{"/a", std::string("x"), {}, true, 3}});
  multi.txns.push_back(SubTxn{op(OpCode::kError), ErrorTxn{err(ErrorCode::kNoNode)}});
  std::vector<Txn> txns = {
      Txn{TxnHeader{1, 2, 3, 4, op(OpCode::kMulti)}, multi},
      Txn{TxnHeader{1, 2, 4, 4, op(OpCode::kSetAcl)}, SetACLTxn{"/a", {Acl{1, Id{"ip", "10.0.0.0/8"}}}, 2}},
      Txn{TxnHeader{1, 2, 5, 4, op(OpCode::kCloseSession)}, CloseSessionTxn{{"/e1", "/e2"}}},
      Txn{TxnHeader{1, 2, 6, 4, op(OpCode::kCloseSession)}, NoTxnBody{}},
      Txn{TxnHeader{1, 2, 7, 4, op(OpCode::kCreateTtl)}, CreateTTLTxn{"/t", std::nullopt, {}, 1, 500}},
      Txn{TxnHeader{1, 2, 8, 4, op(OpCode::kCreateSession)}, CreateSessionTxn{6000}},
  };
  for (const Txn& txn : txns) {
    auto decoded = decode_txn(encode_txn(txn));
    ASSERT_TRUE(decoded.is_ok()) << decoded.status().to_string();
    EXPECT_EQ(*decoded, txn);
  }
  // TxnHeader layout: clientId, cxid, zxid, time, type.
  EXPECT_EQ(jute_encode(TxnHeader{1, 2, 3, 4, 5}),
            hex("0000000000000001 00000002 0000000000000003 0000000000000004 00000005"));
  auto unknown = decode_txn(jute_encode(TxnHeader{1, 2, 3, 4, 77}));
  ASSERT_FALSE(unknown.is_ok());
  EXPECT_NE(unknown.status().message().find("unknown type 77"), std::string::npos);
}

// Arbitrary bytes never crash a decoder; they decode or give a Corruption error.
RC_GTEST_PROP(ZkJute, GarbageNeverCrashesDecoders, (const std::string& bytes)) {
  auto check = [](const Status& s) { RC_ASSERT(s.is_ok() || s.is(Code::kCorruption)); };
  check(jute_decode<ConnectRequest>(bytes).status());
  check(jute_decode<CreateRequest>(bytes).status());
  check(jute_decode<SetACLRequest>(bytes).status());
  check(jute_decode<MultiRequest>(bytes).status());
  check(jute_decode<MultiResponse>(bytes).status());
  check(jute_decode<SetWatches2>(bytes).status());
  check(decode_txn(bytes).status());
}

RC_GTEST_PROP(ZkJute, CreateRequestRoundTrips,
              (const std::string& path, const std::string& data, int32_t flags, const std::string& scheme)) {
  CreateRequest req{path, data, {Acl{flags & 31, Id{scheme, path}}}, flags};
  auto decoded = jute_decode<CreateRequest>(jute_encode(req));
  RC_ASSERT(decoded.is_ok());
  RC_ASSERT(*decoded == req);
}

}  // namespace
}  // namespace kz::zk
