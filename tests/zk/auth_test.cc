// ACL schemes and checks: digest generation, ip masks, auth-scheme expansion, super user,
// and the ACL each operation requires.
#include <gtest/gtest.h>

#include "tests/zk/zk_harness.h"

namespace kz::zk {
namespace {

using testing::Harness;

TEST(ZkAuth, DigestMatchesZooKeeper) {
  EXPECT_EQ(digest_of("super:test"), "super:D/InIHSb7yEEbrWz8b9l71RjZJU=");
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_TRUE(digest_id_valid("user:abc="));
  EXPECT_FALSE(digest_id_valid("user"));
  EXPECT_FALSE(digest_id_valid("user:"));
  EXPECT_FALSE(digest_id_valid("a:b:c"));
}

TEST(ZkAuth, IpMasks) {
  EXPECT_TRUE(ip_matches("10.1.2.3", "10.0.0.0/8"));
  EXPECT_FALSE(ip_matches("11.1.2.3", "10.0.0.0/8"));
  EXPECT_TRUE(ip_matches("192.168.1.77", "192.168.1.64/26"));
  EXPECT_FALSE(ip_matches("192.168.1.128", "192.168.1.64/26"));
  EXPECT_TRUE(ip_matches("1.2.3.4", "1.2.3.4"));
  EXPECT_FALSE(ip_matches("1.2.3.5", "1.2.3.4"));
  EXPECT_TRUE(ip_matches("8.8.8.8", "0.0.0.0/0"));
  EXPECT_TRUE(ip_acl_valid("10.0.0.0/8"));
  EXPECT_FALSE(ip_acl_valid("10.0.0.0/33"));
  EXPECT_FALSE(ip_acl_valid("10.0.0/8"));
  EXPECT_FALSE(ip_acl_valid("256.0.0.1"));
  EXPECT_FALSE(ip_acl_valid("1.2.3.4/x"));
}

TEST(ZkAuth, AuthenticateAddsIdsAndSuper) {
  AuthConfig config{digest_of("super:test")};
  AuthIds ids{Id{"ip", "127.0.0.1"}};
  EXPECT_EQ(authenticate(AuthPacket{0, "digest", std::string("bob:pw")}, config, "127.0.0.1", ids), ErrorCode::kOk);
  EXPECT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids[1], (Id{"digest", digest_of("bob:pw")}));
  EXPECT_FALSE(check_acl({Acl{perms::kRead, Id{"digest", digest_of("alice:pw")}}}, perms::kRead, ids));
  EXPECT_EQ(authenticate(AuthPacket{0, "digest", std::string("super:test")}, config, "127.0.0.1", ids),
            ErrorCode::kOk);
  EXPECT_TRUE(check_acl({Acl{perms::kRead, Id{"digest", digest_of("alice:pw")}}}, perms::kRead, ids));
  EXPECT_EQ(authenticate(AuthPacket{0, "kerberos", std::string("x")}, config, "127.0.0.1", ids),
            ErrorCode::kAuthFailed);
  EXPECT_EQ(authenticate(AuthPacket{0, "world", std::string("anyone")}, config, "127.0.0.1", ids),
            ErrorCode::kAuthFailed);
  const auto who = who_am_i(ids);
  ASSERT_EQ(who.size(), 3u);
  EXPECT_EQ(who[0].auth_scheme, "ip");
}

TEST(ZkAuth, FixupAclExpandsAuthAndRejectsBadEntries) {
  AclList out;
  const AuthIds anonymous{Id{"ip", "10.0.0.1"}};
  EXPECT_EQ(fixup_acl({}, anonymous, &out), ErrorCode::kInvalidAcl);
  EXPECT_EQ(fixup_acl(creator_all_acl(), anonymous, &out), ErrorCode::kInvalidAcl);  // ip is not "authenticated"
  EXPECT_EQ(fixup_acl({Acl{1, Id{"world", "someone"}}}, anonymous, &out), ErrorCode::kInvalidAcl);
  EXPECT_EQ(fixup_acl({Acl{1, Id{"digest", "nocolon"}}}, anonymous, &out), ErrorCode::kInvalidAcl);
  EXPECT_EQ(fixup_acl({Acl{1, Id{"ip", "10.0.0.0/40"}}}, anonymous, &out), ErrorCode::kInvalidAcl);
  EXPECT_EQ(fixup_acl({Acl{1, Id{"super", ""}}}, anonymous, &out), ErrorCode::kInvalidAcl);
  const AuthIds bob{Id{"ip", "10.0.0.1"}, Id{"digest", digest_of("bob:pw")}};
  ASSERT_EQ(fixup_acl({Acl{31, Id{"auth", ""}}, Acl{31, Id{"auth", ""}}, Acl{1, Id{"world", "anyone"}}}, bob, &out),
            ErrorCode::kOk);
  EXPECT_EQ(out, (AclList{Acl{31, Id{"digest", digest_of("bob:pw")}}, Acl{1, Id{"world", "anyone"}}}));
}

TEST(ZkAuth, OperationsRequireTheirPermissions) {
  Harness h;
  const AclList read_only{Acl{perms::kRead, Id{"world", "anyone"}}};
  ASSERT_EQ(h.create("/ro", std::string(), CreateMode::kPersistent, 1, read_only).err(), ErrorCode::kOk);
  EXPECT_EQ(h.create("/ro/x").err(), ErrorCode::kNoAuth);                   // CREATE on parent
  EXPECT_EQ(h.set_data("/ro", std::string("x")).err(), ErrorCode::kNoAuth);  // WRITE
  EXPECT_EQ(h.set_acl("/ro", open_acl_unsafe()).err(), ErrorCode::kNoAuth);  // ADMIN
  const AclList no_delete{Acl{perms::kAll & ~perms::kDelete, Id{"world", "anyone"}}};
  ASSERT_EQ(h.create("/nd", std::string(), CreateMode::kPersistent, 1, no_delete).err(), ErrorCode::kOk);
  ASSERT_EQ(h.create("/nd/x").err(), ErrorCode::kOk);
  EXPECT_EQ(h.remove("/nd/x").err(), ErrorCode::kNoAuth);  // DELETE on the parent
  EXPECT_EQ(h.remove("/nd").err(), ErrorCode::kNotEmpty);  // the root grants DELETE

  // A digest-protected node: the owner gets everything, others see the hash masked.
  h.ids = {Id{"ip", "127.0.0.1"}, Id{"digest", digest_of("bob:pw")}};
  ASSERT_EQ(h.create("/bob", std::string("secret"), CreateMode::kPersistent, 1, creator_all_acl()).err(),
            ErrorCode::kOk);
  EXPECT_EQ(h.node("/bob").acl, (AclList{Acl{perms::kAll, Id{"digest", digest_of("bob:pw")}}}));
  auto as_bob = read_get_acl(h.tree, h.read_ctx(1), GetACLRequest{"/bob"});
  ASSERT_TRUE(as_bob.ok());
  EXPECT_EQ(as_bob.value.acl[0].id.id, digest_of("bob:pw"));
  ASSERT_EQ(h.set_acl("/bob", {Acl{perms::kRead, Id{"digest", digest_of("bob:pw")}},
                               Acl{perms::kRead, Id{"ip", "10.0.0.0/8"}}}, 0)
                .err(),
            ErrorCode::kOk);
  EXPECT_EQ(h.stat("/bob").aversion, 1);
  EXPECT_EQ(h.set_acl("/bob", open_acl_unsafe(), 0).err(), ErrorCode::kNoAuth);

  AuthIds stranger{Id{"ip", "10.9.9.9"}};
  ReadContext ctx{2, 2, &stranger};
  auto masked = read_get_acl(h.tree, ctx, GetACLRequest{"/bob"});
  ASSERT_TRUE(masked.ok());
  EXPECT_EQ(masked.value.acl[0].id.id, "bob:x");
  EXPECT_TRUE(read_get_data(h.tree, h.watches, ctx, GetDataRequest{"/bob", false}).ok());  // ip grants READ
  AuthIds outsider{Id{"ip", "192.168.0.1"}};
  ReadContext out_ctx{3, 3, &outsider};
  EXPECT_EQ(read_get_data(h.tree, h.watches, out_ctx, GetDataRequest{"/bob", false}).err, ErrorCode::kNoAuth);
  EXPECT_EQ(read_get_acl(h.tree, out_ctx, GetACLRequest{"/bob"}).err, ErrorCode::kNoAuth);
  EXPECT_TRUE(read_exists(h.tree, h.watches, out_ctx, ExistsRequest{"/bob", false}).ok());  // exists needs nothing

  // The super user passes every check.
  h.ids = {Id{"super", ""}, Id{"digest", digest_of("super:test")}};
  EXPECT_EQ(h.set_data("/bob", std::string("mine")).err(), ErrorCode::kOk);
  EXPECT_EQ(h.set_acl("/ro", open_acl_unsafe()).err(), ErrorCode::kOk);
  // setACL validates the new ACL before looking at the node.
  EXPECT_EQ(h.set_acl("/missing", {}).err(), ErrorCode::kInvalidAcl);
  EXPECT_EQ(h.set_acl("/missing", open_acl_unsafe()).err(), ErrorCode::kNoNode);
  EXPECT_EQ(h.set_acl("/ro", open_acl_unsafe(), 5).err(), ErrorCode::kBadVersion);
}

}  // namespace
}  // namespace kz::zk
