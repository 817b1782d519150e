// Text forms used by `kz zkcli`, as ZooKeeper 3.8's zkCli.sh prints and parses them: stat blocks,
// dates (java.util.Date.toString, always in UTC here), ACL lists ("world:anyone:cdrwa,..."),
// permission strings, child lists ("[a, b]") and the error messages of CliWrapperException.
// Pure functions: no I/O, no clock.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/zk/codes.h"
#include "core/zk/proto.h"

namespace kz::zk::client {

// "Thu Jan 01 00:00:00 UTC 1970" for 0 (Java's Date.toString in the UTC zone).
std::string java_date_utc(int64_t epoch_ms);

// The eleven "name = value" lines of zkCli's stat output, each ending in '\n'.
std::string format_stat(const Stat& stat);

// "cdrwa" order, as zkCli's getAcl prints them.
std::string perm_string(int32_t perms);
// "rw" -> READ|WRITE; kInvalidArgument on any other character.
Result<int32_t> parse_perms(std::string_view text);

// zkCli's ACL syntax: comma-separated "scheme:id:perms"; the id may itself contain ':'
// (digest:user:hash:perms), and may be empty (auth::cdrwa).
Result<AclList> parse_acl(std::string_view text);
// getAcl output: for each entry "'scheme,'id\n: perms\n".
std::string format_acl(const AclList& acl);

// "[a, b, c]"
std::string format_list(const std::vector<std::string>& items);

// The message zkCli prints for an operation on `path` that failed with `code`
// ("Node does not exist: /x", "Insufficient permission : /x", "KeeperErrorCode = ConnectionLoss for /x").
std::string error_message(ErrorCode code, std::string_view path);
// KeeperException.Code's message text: "NoNode", "ConnectionLoss"...
std::string_view keeper_code_text(ErrorCode code);

}  // namespace kz::zk::client
