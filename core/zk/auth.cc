#include "core/zk/auth.h"

#include <openssl/sha.h>

#include <algorithm>
#include <charconv>

namespace kz::zk {

namespace {
constexpr std::string_view kWorld = "world";
constexpr std::string_view kAnyone = "anyone";
constexpr std::string_view kAuthScheme = "auth";
constexpr std::string_view kDigest = "digest";
constexpr std::string_view kIp = "ip";
constexpr std::string_view kSuper = "super";

void add_id(AuthIds& ids, Id id) {
  if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(std::move(id));
}

// Which schemes count as "authenticated" when expanding auth ACLs
// (ServerAuthenticationProvider.isAuthenticated: digest yes, ip no).
bool is_authenticated_scheme(std::string_view scheme) { return scheme == kDigest; }

bool parse_bits(std::string_view text, int* bits) {
  if (text.empty()) return false;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *bits);
  return ec == std::errc() && ptr == end;
}
}  // namespace

AclList open_acl_unsafe() { return {Acl{perms::kAll, Id{"world", "anyone"}}}; }
AclList read_acl_unsafe() { return {Acl{perms::kRead, Id{"world", "anyone"}}}; }
AclList creator_all_acl() { return {Acl{perms::kAll, Id{"auth", ""}}}; }

std::string base64_encode(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t n = (static_cast<uint8_t>(bytes[i]) << 16) | (static_cast<uint8_t>(bytes[i + 1]) << 8) |
                       static_cast<uint8_t>(bytes[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  const size_t rest = bytes.size() - i;
  if (rest == 1) {
    const uint32_t n = static_cast<uint8_t>(bytes[i]) << 16;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += "==";
  } else if (rest == 2) {
    const uint32_t n = (static_cast<uint8_t>(bytes[i]) << 16) | (static_cast<uint8_t>(bytes[i + 1]) << 8);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

std::string digest_of(std::string_view user_password) {
  unsigned char sha[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(user_password.data()), user_password.size(), sha);
  const size_t colon = user_password.find(':');
  std::string out(user_password.substr(0, colon));
  out += ':';
  out += base64_encode(std::string_view(reinterpret_cast<const char*>(sha), sizeof(sha)));
  return out;
}

bool parse_ipv4(std::string_view text, uint8_t out[4]) {
  int part = 0;
  size_t i = 0;
  while (part < 4) {
    size_t j = i;
    while (j < text.size() && text[j] >= '0' && text[j] <= '9') j++;
    if (j == i || j - i > 3) return false;
    int value = 0;
    std::from_chars(text.data() + i, text.data() + j, value);
    if (value > 255) return false;
    out[part++] = static_cast<uint8_t>(value);
    if (part < 4) {
      if (j >= text.size() || text[j] != '.') return false;
      i = j + 1;
    } else if (j != text.size()) {
      return false;
    }
  }
  return true;
}

bool ip_acl_valid(std::string_view acl_expr) {
  const size_t slash = acl_expr.find('/');
  uint8_t addr[4];
  if (!parse_ipv4(acl_expr.substr(0, slash), addr)) return false;
  if (slash == std::string_view::npos) return true;
  int bits = 0;
  return parse_bits(acl_expr.substr(slash + 1), &bits) && bits >= 0 && bits <= 32;
}

bool ip_matches(std::string_view addr, std::string_view acl_expr) {
  const size_t slash = acl_expr.find('/');
  uint8_t acl_addr[4];
  if (!parse_ipv4(acl_expr.substr(0, slash), acl_addr)) return false;
  int bits = 32;
  if (slash != std::string_view::npos) {
    if (!parse_bits(acl_expr.substr(slash + 1), &bits) || bits < 0 || bits > 32) return false;
  }
  uint8_t remote[4];
  if (!parse_ipv4(addr, remote)) return false;
  for (int i = 0; i < 4; i++) {
    const int keep = std::clamp(bits - 8 * i, 0, 8);
    const auto mask = static_cast<uint8_t>(keep == 0 ? 0 : (0xff << (8 - keep)) & 0xff);
    if ((acl_addr[i] & mask) != (remote[i] & mask)) return false;
  }
  return true;
}

bool digest_id_valid(std::string_view id) {
  // Java: id.split(":").length == 2, where split drops trailing empty strings.
  const size_t colon = id.find(':');
  if (colon == std::string_view::npos) return false;
  const std::string_view rest = id.substr(colon + 1);
  return !rest.empty() && rest.find(':') == std::string_view::npos;
}

ErrorCode authenticate(const AuthPacket& packet, const AuthConfig& config, std::string_view client_ip, AuthIds& ids) {
  if (packet.scheme == kDigest) {
    const std::string digest = digest_of(packet.auth.value_or(""));
    if (!config.super_digest.empty() && digest == config.super_digest) add_id(ids, Id{std::string(kSuper), ""});
    add_id(ids, Id{std::string(kDigest), digest});
    return ErrorCode::kOk;
  }
  if (packet.scheme == kIp) {
    add_id(ids, Id{std::string(kIp), std::string(client_ip)});
    return ErrorCode::kOk;
  }
  return ErrorCode::kAuthFailed;
}

bool check_acl(const AclList& acl, int32_t perm_mask, const AuthIds& ids) {
  if (acl.empty()) return true;
  for (const Id& id : ids) {
    if (id.scheme == kSuper) return true;
  }
  for (const Acl& entry : acl) {
    if ((entry.perms & perm_mask) == 0) continue;
    if (entry.id.scheme == kWorld && entry.id.id == kAnyone) return true;
    for (const Id& id : ids) {
      if (id.scheme != entry.id.scheme) continue;
      if (id.scheme == kDigest && id.id == entry.id.id) return true;
      if (id.scheme == kIp && ip_matches(id.id, entry.id.id)) return true;
    }
  }
  return false;
}

ErrorCode fixup_acl(const AclList& acl, const AuthIds& ids, AclList* out) {
  out->clear();
  AclList unique;
  for (const Acl& entry : acl) {
    if (std::find(unique.begin(), unique.end(), entry) == unique.end()) unique.push_back(entry);
  }
  if (unique.empty()) return ErrorCode::kInvalidAcl;
  for (const Acl& entry : unique) {
    if (entry.id.scheme == kWorld && entry.id.id == kAnyone) {
      out->push_back(entry);
    } else if (entry.id.scheme == kAuthScheme) {
      bool expanded = false;
      for (const Id& id : ids) {
        if (!is_authenticated_scheme(id.scheme)) continue;
        expanded = true;
        out->push_back(Acl{entry.perms, id});
      }
      if (!expanded) return ErrorCode::kInvalidAcl;
    } else if (entry.id.scheme == kDigest) {
      if (!digest_id_valid(entry.id.id)) return ErrorCode::kInvalidAcl;
      out->push_back(entry);
    } else if (entry.id.scheme == kIp) {
      if (!ip_acl_valid(entry.id.id)) return ErrorCode::kInvalidAcl;
      out->push_back(entry);
    } else {
      return ErrorCode::kInvalidAcl;  // no provider for this scheme (world:<not anyone>, super...)
    }
  }
  return ErrorCode::kOk;
}

std::vector<ClientInfo> who_am_i(const AuthIds& ids) {
  std::vector<ClientInfo> out;
  for (const Id& id : ids) {
    if (id.scheme == kSuper) continue;
    out.push_back(ClientInfo{id.scheme, id.id});
  }
  return out;
}

}  // namespace kz::zk
