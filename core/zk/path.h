// ZooKeeper path rules: PathUtils.validatePath (what a create/setData/setACL path must look like),
// parent/child splitting, and the special paths the server reserves.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kz::zk {

inline constexpr std::string_view kRootPath = "/";
inline constexpr std::string_view kZookeeperPath = "/zookeeper";
inline constexpr std::string_view kQuotaPath = "/zookeeper/quota";
inline constexpr std::string_view kConfigPath = "/zookeeper/config";

// Why `path` is not a valid znode path, or nullopt if it is. Mirrors PathUtils.validatePath:
// absolute, no trailing '/', no empty component, no "." or ".." component, no NUL, and none of
// the code points Java rejects (U+0001..U+001F, U+007F..U+009F, U+D800..U+F8FF,
// U+FFF0..U+FFFF, and characters outside the BMP, which Java sees as surrogates). Bytes that are
// not UTF-8 decode in Java to U+FFFD, which is rejected too.
std::optional<std::string> path_invalid_reason(std::string_view path);
inline bool is_valid_path(std::string_view path) { return !path_invalid_reason(path).has_value(); }

// "/a/b" -> "/a", "/a" -> "/". REQUIRES: path starts with '/' and is not "/".
std::string_view parent_path(std::string_view path);
// "/a/b" -> "b". REQUIRES: path contains '/'.
std::string_view child_name(std::string_view path);
// "/" + "a" -> "/a", "/a" + "b" -> "/a/b".
std::string join_path(std::string_view parent, std::string_view child);

// The server's own nodes, which delete refuses (ZKDatabase.isSpecialPath).
bool is_special_path(std::string_view path);

}  // namespace kz::zk
