// ACLs and authentication, as ZooKeeper 3.8's server does them.
// Schemes: world (only world:anyone), auth (expanded at create/setACL time into the session's
// authenticated ids), digest (id "user:base64(sha1(user:password))"), ip (an IPv4 address with an
// optional /bits mask). A session that authenticates with the digest matching the configured
// superDigest also gets the id super:"" and passes every ACL check.
// A session's ids (AuthIds) start with ip:<client address> (the server adds it when the
// connection is accepted) and grow with each successful auth packet.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/zk/codes.h"
#include "core/zk/proto.h"

namespace kz::zk {

using AuthIds = std::vector<Id>;

struct AuthConfig {
  // zookeeper.DigestAuthenticationProvider.superDigest: "super:<base64 sha1>"; empty = none.
  std::string super_digest;
};

// ZooDefs.Ids.
AclList open_acl_unsafe();  // world:anyone, all perms
AclList read_acl_unsafe();  // world:anyone, READ
AclList creator_all_acl();  // auth:"" with all perms (expanded by fixup_acl)

std::string base64_encode(std::string_view bytes);
// DigestAuthenticationProvider.generateDigest: "user:password" -> "user:base64(sha1(user:password))".
std::string digest_of(std::string_view user_password);

// IPv4 dotted quad -> 4 bytes; false if malformed.
bool parse_ipv4(std::string_view text, uint8_t out[4]);
// Whether an ip ACL id ("10.0.0.0/8", "1.2.3.4") is well formed.
bool ip_acl_valid(std::string_view acl_expr);
// Whether the client address `addr` falls in the ip ACL expression `acl_expr`.
bool ip_matches(std::string_view addr, std::string_view acl_expr);
// digest ids must be "user:hash" (Java's split(":") has exactly two parts).
bool digest_id_valid(std::string_view id);

// Processes an auth packet: on success appends the ids it proves to `ids` (no duplicates) and
// returns kOk; an unknown scheme (including world and super) gives kAuthFailed.
// `client_ip` is the connection's remote address (the ip scheme authenticates that, not the
// packet's payload).
ErrorCode authenticate(const AuthPacket& packet, const AuthConfig& config, std::string_view client_ip, AuthIds& ids);

// PrepRequestProcessor.checkACL: true if `ids` grant any bit of `perm_mask` on a node with
// `acl`. An empty ACL grants everything; the super id passes every check.
bool check_acl(const AclList& acl, int32_t perm_mask, const AuthIds& ids);

// PrepRequestProcessor.fixupACL: removes duplicates, validates each entry and expands
// auth-scheme entries into the session's authenticated ids. kInvalidAcl for an empty list, an
// unknown scheme, a malformed id, or an auth entry when the session has no authenticated id.
ErrorCode fixup_acl(const AclList& acl, const AuthIds& ids, AclList* out);

// The ids to report in a whoAmI response (every id except the synthetic super id).
std::vector<ClientInfo> who_am_i(const AuthIds& ids);

}  // namespace kz::zk
