// Group assignment: the consumer protocol's subscription/assignment bytes and the range and
// round-robin assignors (expected results are the Java client's documented examples).
#include <gtest/gtest.h>

#include "core/kafka/client/assignors.h"

namespace kz::kafka::client {
namespace {

std::vector<GroupMember> two_members_two_topics() {
  return {{"C1", {{"t0", "t1"}}}, {"C0", {{"t0", "t1"}}}};
}

TEST(ClientAssignors, RangeMatchesTheJavaExample) {
  // RangeAssignor javadoc: C0 gets t0p0, t0p1, t1p0, t1p1; C1 gets t0p2, t1p2.
  GroupAssignment a = assign_range(two_members_two_topics(), {{"t0", 3}, {"t1", 3}});
  EXPECT_EQ(a["C0"], (Assignment{{"t0", {0, 1}}, {"t1", {0, 1}}}));
  EXPECT_EQ(a["C1"], (Assignment{{"t0", {2}}, {"t1", {2}}}));
}

TEST(ClientAssignors, RoundRobinMatchesTheJavaExample) {
  // RoundRobinAssignor javadoc: C0 gets t0p0, t0p2, t1p1; C1 gets t0p1, t1p0, t1p2.
  GroupAssignment a = assign_round_robin(two_members_two_topics(), {{"t0", 3}, {"t1", 3}});
  EXPECT_EQ(a["C0"], (Assignment{{"t0", {0, 2}}, {"t1", {1}}}));
  EXPECT_EQ(a["C1"], (Assignment{{"t0", {1}}, {"t1", {0, 2}}}));
}

TEST(ClientAssignors, MoreMembersThanPartitionsLeavesSomeEmpty) {
  std::vector<GroupMember> m = {{"a", {{"t"}}}, {"b", {{"t"}}}, {"c", {{"t"}}}};
  GroupAssignment r = assign_range(m, {{"t", 2}});
  EXPECT_EQ(r["a"], (Assignment{{"t", {0}}}));
  EXPECT_EQ(r["b"], (Assignment{{"t", {1}}}));
  EXPECT_TRUE(r["c"].empty());
  GroupAssignment rr = assign_round_robin(m, {{"t", 2}});
  EXPECT_TRUE(rr.count("c") == 1 && rr["c"].empty());
}

TEST(ClientAssignors, RoundRobinSkipsMembersNotSubscribed) {
  std::vector<GroupMember> m = {{"a", {{"x"}}}, {"b", {{"x", "y"}}}};
  GroupAssignment r = assign_round_robin(m, {{"x", 2}, {"y", 2}});
  EXPECT_EQ(r["a"], (Assignment{{"x", {0}}}));
  EXPECT_EQ(r["b"], (Assignment{{"x", {1}}, {"y", {0, 1}}}));
}

TEST(ClientAssignors, UnknownTopicsAndAssignorNames) {
  std::vector<GroupMember> m = {{"a", {{"missing"}}}};
  EXPECT_TRUE(assign_range(m, {})["a"].empty());
  Result<GroupAssignment> bad = assign("sticky", m, {});
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().message().find("sticky"), std::string::npos);
}

TEST(ClientAssignors, SubscriptionBytesAreTheConsumerProtocolV0) {
  Bytes b = encode_subscription(Subscription{{"ab", "c"}});
  Bytes want = {0, 0, 0, 0, 0, 2, 0, 2, 'a', 'b', 0, 1, 'c', 0xff, 0xff, 0xff, 0xff};
  EXPECT_EQ(b, want);
  Result<Subscription> back = decode_subscription(b);
  ASSERT_TRUE(back.is_ok());
  EXPECT_EQ(back->topics, (std::vector<std::string>{"ab", "c"}));
}

TEST(ClientAssignors, AssignmentRoundTripAndMalformedInput) {
  Assignment a{{"t", {0, 3}}, {"u", {}}};
  Bytes b = encode_assignment(a);
  Result<Assignment> back = decode_assignment(b);
  ASSERT_TRUE(back.is_ok());
  EXPECT_EQ(*back, a);
  EXPECT_TRUE(decode_assignment({}).is_ok());  // an empty assignment may come as no bytes
  Bytes cut(b.begin(), b.begin() + 9);
  EXPECT_FALSE(decode_assignment(cut).is_ok());
  EXPECT_FALSE(decode_subscription(Bytes{0}).is_ok());
}

}  // namespace
}  // namespace kz::kafka::client
