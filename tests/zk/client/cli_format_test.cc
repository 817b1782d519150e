// zkCli text forms: dates, stat blocks, ACL parsing and printing, error messages.
#include <gtest/gtest.h>

#include "core/zk/client/cli_format.h"

namespace kz::zk::client {
namespace {

TEST(ZkClientFormat, JavaDateUtc) {
  EXPECT_EQ(java_date_utc(0), "Thu Jan 01 00:00:00 UTC 1970");
  EXPECT_EQ(java_date_utc(951782400000), "Tue Feb 29 00:00:00 UTC 2000");  // a leap day
  EXPECT_EQ(java_date_utc(1700000000123), "Tue Nov 14 22:13:20 UTC 2023");
  EXPECT_EQ(java_date_utc(-1000), "Wed Dec 31 23:59:59 UTC 1969");
}

TEST(ZkClientFormat, StatBlock) {
  Stat s;
  s.czxid = 0x1a;
  s.mzxid = 0x1b;
  s.pzxid = 0x1c;
  s.ctime = 0;
  s.mtime = 1000;
  s.version = 2;
  s.cversion = 3;
  s.aversion = 4;
  s.ephemeral_owner = 0x100000abc;
  s.data_length = 5;
  s.num_children = 6;
  EXPECT_EQ(format_stat(s),
            "cZxid = 0x1a\n"
            "ctime = Thu Jan 01 00:00:00 UTC 1970\n"
            "mZxid = 0x1b\n"
            "mtime = Thu Jan 01 00:00:01 UTC 1970\n"
            "pZxid = 0x1c\n"
            "cversion = 3\n"
            "dataVersion = 2\n"
            "aclVersion = 4\n"
            "ephemeralOwner = 0x100000abc\n"
            "dataLength = 5\n"
            "numChildren = 6\n");
  s.ephemeral_owner = INT64_MIN;  // a container
  EXPECT_NE(format_stat(s).find("ephemeralOwner = 0x8000000000000000\n"), std::string::npos);
}

TEST(ZkClientFormat, AclParseAndPrint) {
  auto acl = parse_acl("world:anyone:cdrwa,digest:u:abc=:r,auth::rw,ip:10.0.0.0/8:a");
  ASSERT_TRUE(acl.is_ok()) << acl.status().to_string();
  ASSERT_EQ(acl->size(), 4u);
  EXPECT_EQ((*acl)[0].id.scheme, "world");
  EXPECT_EQ((*acl)[0].id.id, "anyone");
  EXPECT_EQ((*acl)[0].perms, perms::kAll);
  EXPECT_EQ((*acl)[1].id.id, "u:abc=");
  EXPECT_EQ((*acl)[1].perms, perms::kRead);
  EXPECT_EQ((*acl)[2].id.scheme, "auth");
  EXPECT_EQ((*acl)[2].id.id, "");
  EXPECT_EQ((*acl)[2].perms, perms::kRead | perms::kWrite);
  EXPECT_EQ((*acl)[3].id.id, "10.0.0.0/8");
  EXPECT_EQ(format_acl({(*acl)[0], (*acl)[1]}), "'world,'anyone\n: cdrwa\n'digest,'u:abc=\n: r\n");
  EXPECT_EQ(perm_string(perms::kAdmin | perms::kRead), "ra");
  EXPECT_FALSE(parse_acl("world:anyone").is_ok());
  EXPECT_FALSE(parse_acl("world:anyone:x").is_ok());
  EXPECT_FALSE(parse_acl("").is_ok());
}

TEST(ZkClientFormat, ListsAndErrors) {
  EXPECT_EQ(format_list({}), "[]");
  EXPECT_EQ(format_list({"a", "b"}), "[a, b]");
  EXPECT_EQ(error_message(ErrorCode::kNoNode, "/x"), "Node does not exist: /x");
  EXPECT_EQ(error_message(ErrorCode::kNodeExists, "/x"), "Node already exists: /x");
  EXPECT_EQ(error_message(ErrorCode::kNoAuth, "/x"), "Insufficient permission : /x");
  EXPECT_EQ(error_message(ErrorCode::kBadVersion, "/x"), "version No is not valid : /x");
  EXPECT_EQ(error_message(ErrorCode::kConnectionLoss, "/x"), "KeeperErrorCode = ConnectionLoss for /x");
}

}  // namespace
}  // namespace kz::zk::client
