// The quorum wire format: round trips, and defensive decoding of malformed frames.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "core/zk/quorum/zab_codec.h"

namespace kz::zk::quorum {
namespace {

Message sample() {
  Message m;
  m.type = MsgType::kProposal;
  m.from = 3;
  m.to = 1;
  m.vote = Vote{3, make_zxid(2, 9), 2};
  m.election_epoch = 17;
  m.state = PeerState::kLeading;
  m.epoch = 2;
  m.session = 44;
  m.seq = 5;
  m.zxid = make_zxid(2, 10);
  m.commit = make_zxid(2, 8);
  m.id = 99;
  m.flag = true;
  m.data = Bytes{'t', 'x', 'n'};
  return m;
}

std::span<const uint8_t> body_of(const Bytes& frame) { return std::span<const uint8_t>(frame).subspan(kFrameHeaderBytes); }

TEST(ZabCodec, RoundTrip) {
  Bytes frame;
  encode_message(sample(), frame);
  ASSERT_EQ(frame.size(), kFrameHeaderBytes + kMessageFixedBytes + 3);
  auto m = decode_message(body_of(frame));
  ASSERT_TRUE(m.is_ok()) << m.status().to_string();
  EXPECT_EQ(*m, sample());
  auto h = decode_hello(encode_hello(Hello{7, Channel::kQuorum}));
  ASSERT_TRUE(h.is_ok());
  EXPECT_EQ(h->from, 7u);
  EXPECT_EQ(h->channel, Channel::kQuorum);
}

TEST(ZabCodec, RejectsMalformedFrames) {
  Bytes frame;
  encode_message(sample(), frame);
  Bytes body(body_of(frame).begin(), body_of(frame).end());
  EXPECT_FALSE(decode_message(std::span<const uint8_t>(body).first(10)).is_ok());  // short
  Bytes bad = body;
  bad[0] = 9;  // version
  EXPECT_FALSE(decode_message(bad).is_ok());
  bad = body;
  bad[1] = 0;  // type
  EXPECT_FALSE(decode_message(bad).is_ok());
  bad = body;
  bad[1] = kMsgTypeMax + 1;
  EXPECT_FALSE(decode_message(bad).is_ok());
  bad = body;
  bad.push_back(0);  // payload length disagrees with the frame
  auto r = decode_message(bad);
  ASSERT_FALSE(r.is_ok());
  EXPECT_TRUE(r.status().is(Code::kCorruption));
  EXPECT_FALSE(decode_hello(Bytes{'K', 'Z', 'Q', 'P'}).is_ok());
}

// Arbitrary bytes never crash the decoder: they decode or are rejected.
RC_GTEST_PROP(ZabCodec, ArbitraryBytesAreDecodedOrRejected, (std::vector<uint8_t> bytes)) {
  auto m = decode_message(bytes);
  if (m.is_ok()) {
    Bytes again;
    encode_message(*m, again);
    RC_ASSERT(Bytes(again.begin() + kFrameHeaderBytes, again.end()) == bytes);
  }
  (void)decode_hello(bytes);
}

}  // namespace
}  // namespace kz::zk::quorum
