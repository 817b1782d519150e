// The records ZooKeeper clients and servers exchange (zookeeper.jute, modules data and proto),
// described once as field lists in wire order so that jute_write / jute_read (jute.h) encode
// them. Field names in the descriptions are the jute names, so decode errors read like the spec
// ("CreateRequest.acl.id.scheme"). Records whose layout is not a plain field list (the optional
// readOnly flag of the connect handshake, the typed op lists of multi) have hand-written codecs
// in proto.cc.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/zk/codes.h"
#include "core/zk/jute.h"

#define KZ_JUTE_RECORD_NAMED(Type, name)      \
  static constexpr const char* kJuteName = name; \
  bool operator==(const Type&) const = default
#define KZ_JUTE_RECORD(Type) KZ_JUTE_RECORD_NAMED(Type, #Type)

namespace kz::zk {

// ---- module org.apache.zookeeper.data ----

struct Id {
  KZ_JUTE_RECORD(Id);
  std::string scheme;
  std::string id;
  template <typename S, typename V>
  static void fields(S& s, V&& v) {
    v("scheme", s.scheme);
    v("id", s.id);
  }
  auto operator<=>(const Id&) const = default;
};

struct Acl {
  KZ_JUTE_RECORD_NAMED(Acl, "ACL");
  int32_t perms = 0;
  Id id;
  template <typename S, typename V>
  static void fields(S& s, V&& v) {
    v("perms", s.perms);
    v("id", s.id);
  }
};
using AclList = std::vector<Acl>;

struct Stat {
  KZ_JUTE_RECORD(Stat);
  int64_t czxid = 0;
  int64_t mzxid = 0;
  int64_t ctime = 0;  // ms since the epoch, from the leader's clock at proposal time
  int64_t mtime = 0;
  int32_t version = 0;
  int32_t cversion = 0;
  int32_t aversion = 0;
  int64_t ephemeral_owner = 0;
  int32_t data_length = 0;
  int32_t num_children = 0;
  int64_t pzxid = 0;
  // Every reply to a read or write carries a Stat: it is read and written as one 68-byte block
  // (the field-by-field path remains for a truncated input, to name the missing field).
  static constexpr size_t kJuteBytes = 6 * 8 + 5 * 4;
  static void write_custom(JuteWriter& w, const Stat& v);
  static Status read_custom(JuteReader& r, Stat& v);
  template <typename S, typename V>
  static void fields(S& s, V&& v) {
    v("czxid", s.czxid);
    v("mzxid", s.mzxid);
    v("ctime", s.ctime);
    v("mtime", s.mtime);
    v("version", s.version);
    v("cversion", s.cversion);
    v("aversion", s.aversion);
    v("ephemeralOwner", s.ephemeral_owner);
    v("dataLength", s.data_length);
    v("numChildren", s.num_children);
    v("pzxid", s.pzxid);
  }
};

struct ClientInfo {
  KZ_JUTE_RECORD(ClientInfo);
  std::string auth_scheme;
  std::string user;
  template <typename S, typename V>
  static void fields(S& s, V&& v) {
    v("authScheme", s.auth_scheme);
    v("user", s.user);
  }
};

// ---- module org.apache.zookeeper.proto: session handshake and framing ----

// The first frame of a connection. 3.8 clients append a readOnly flag that is not in the jute
// file; older clients end after passwd. Both must be accepted.
struct ConnectRequest {
  KZ_JUTE_RECORD(ConnectRequest);
  int32_t protocol_version = 0;
  int64_t last_zxid_seen = 0;
  int32_t timeout_ms = 0;
  int64_t session_id = 0;
  Buffer passwd;
  std::optional<bool> read_only;  // absent on the wire from pre-3.4 clients
  static void write_custom(JuteWriter& w, const ConnectRequest& v);
  static Status read_custom(JuteReader& r, ConnectRequest& v);
};

struct ConnectResponse {
  KZ_JUTE_RECORD(ConnectResponse);
  int32_t protocol_version = 0;
  int32_t timeout_ms = 0;
  int64_t session_id = 0;
  Buffer passwd;
  std::optional<bool> read_only;
  static void write_custom(JuteWriter& w, const ConnectResponse& v);
  static Status read_custom(JuteReader& r, ConnectResponse& v);
};

struct RequestHeader {
  KZ_JUTE_RECORD(RequestHeader);
  int32_t xid = 0;
  int32_t type = 0;
  template <typename S, typename V>
  static void fields(S& s, V&& v) {
    v("xid", s.xid);
    v("type", s.type);
  }
};

struct ReplyHeader {
  KZ_JUTE_RECORD(ReplyHeader);
  int32_t xid = 0;
  int64_t zxid = 0;
  int32_t err = 0;
  template <typename S, typename V>
  static void fields(S& s, V&& v) {
    v("xid", s.xid);
    v("zxid", s.zxid);
    v("err", s.err);
  }
};

struct MultiHeader {
  KZ_JUTE_RECORD(MultiHeader);
  int32_t type = 0;
  bool done = false;
  int32_t err = 0;
  template <typename S, typename V>
  static void fields(S& s, V&& v) {
    v("type", s.type);
    v("done", s.done);
    v("err", s.err);
  }
};

struct AuthPacket {
  KZ_JUTE_RECORD(AuthPacket);
  int32_t type = 0;
  std::string scheme;
  Buffer auth;
  template <typename S, typename V>
  static void fields(S& s, V&& v) {
    v("type", s.type);
    v("scheme", s.scheme);
    v("auth", s.auth);
  }
};

struct WatcherEvent {
  KZ_JUTE_RECORD(WatcherEvent);
  int32_t type = 0;
  int32_t state = 0;
  std::string path;
  template <typename S, typename V>
  static void fields(S& s, V&& v) {
    v("type", s.type);
    v("state", s.state);
    v("path", s.path);
  }
};

struct SetWatches {
  KZ_JUTE_RECORD(SetWatches);
  int64_t relative_zxid = 0;
  std::vector<std::string> data_watches;
  std::vector<std::string> exist_watches;
  std::vector<std::string> child_watches;
  template <typename S, typename V>
  static void fields(S& s, V&& v) {
    v("relativeZxid", s.relative_zxid);
    v("dataWatches", s.data_watches);
    v("existWatches", s.exist_watches);
    v("childWatches", s.child_watches);
  }
};

struct SetWatches2 {
  KZ_JUTE_RECORD(SetWatches2);
  int64_t relative_zxid = 0;
  std::vector<std::string> data_watches;
  std::vector<std::string> exist_watches;
  std::vector<std::string> child_watches;
  std::vector<std::string> persistent_watches;
  std::vector<std::string> persistent_recursive_watches;
  template <typename S, typename V>
  static void fields(S& s, V&& v) {
    v("relativeZxid", s.relative_zxid);
    v("dataWatches", s.data_watches);
    v("existWatches", s.exist_watches);
    v("childWatches", s.child_watches);
    v("persistentWatches", s.persistent_watches);
    v("persistentRecursiveWatches", s.persistent_recursive_watches);
  }
};

// ---- requests and responses ----

// A request body made of a path only (getACL, sync, getAllChildrenNumber, getEphemerals...).
#define KZ_PATH_RECORD(Name, field_name)     \
  struct Name {                              \
    KZ_JUTE_RECORD(Name);                    \
    std::string path;                        \
    template <typename S, typename V>        \
    static void fields(S& s, V&& v) {        \
      v(field_name, s.path);                 \
    }                                        \
  }
// A read request with a watch flag (exists, getData, getChildren, getChildren2).
#define KZ_PATH_WATCH_RECORD(Name)    \
  struct Name {                       \
    KZ_JUTE_RECORD(Name);             \
    std::string path;                 \
    bool watch = false;               \
    template <typename S, typename V> \
    static void fields(S& s, V&& v) { \
      v("path", s.path);              \
      v("watch", s.watch);            \
    }                                 \
  }
// A response made of a Stat only (exists, setData, setACL).
#define KZ_STAT_RECORD(Name)          \
  struct Name {                       \
    KZ_JUTE_RECORD(Name);             \
    Stat stat;                        \
    template <typename S, typename V> \
    static void fields(S& s, V&& v) { \
      v("stat", s.stat);              \
    }                                 \
  }

KZ_PATH_WATCH_RECORD(ExistsRequest);
KZ_PATH_WATCH_RECORD(GetDataRequest);
KZ_PATH_WATCH_RECORD(GetChildrenRequest);
KZ_PATH_WATCH_RECORD(GetChildren2Request);
KZ_PATH_RECORD(GetACLRequest, "path");
KZ_PATH_RECORD(SyncRequest, "path");
KZ_PATH_RECORD(SyncResponse, "path");
KZ_PATH_RECORD(GetAllChildrenNumberRequest, "path");
KZ_PATH_RECORD(GetEphemeralsRequest, "prefixPath");
KZ_PATH_RECORD(CreateResponse, "path");
KZ_STAT_RECORD(ExistsResponse);
KZ_STAT_RECORD(SetDataResponse);
KZ_STAT_RECORD(SetACLResponse);

struct CreateRequest {
  KZ_JUTE_RECORD(CreateRequest);
  std::string path;
  Buffer data;
  AclList acl;
  int32_t flags = 0;
  template <typename S, typename V>
  static void fields(S& s, V&& v) {
    v("path", s.path);
    v("data", s.data);
    v("acl", s.acl);
    v("flags", s.flags);
  }
};

struct CreateTTLRequest {
  KZ_JUTE_RECORD(CreateTTLRequest);
  std::string path;
  Buffer data;
  AclList acl;
  int32_t flags = 0;
  int64_t ttl_ms = 0;
  template <typename S, typename V>
  static void fields(S& s, V&& v) {
    v("path", s.path);
    v("data", s.data);
    v("acl", s.acl);
    v("flags", s.flags);
    v("ttl", s.ttl_ms);
  }
};

struct Create2Response {
  KZ_JUTE_RECORD(Create2Response);
  std::string path;
  Stat stat;
  template <typename S, typename V>
  static void fields(S& s, V&& v) {
    v("path", s.path);
    v("stat", s.stat);
  }
};

struct DeleteRequest {
  KZ_JUTE_RECORD(DeleteRequest);
  std::string path;
  int32_t version = -1;
  template <typename S, typename V>
  static void fields(S& s, V&& v) {
    v("path", s.path);
    v("version", s.version);
  }
};

struct CheckVersionRequest {
  KZ_JUTE_RECORD(CheckVersionRequest);
  std::string path;
  int32_t version = -1;
  template <typename S, typename V>
  static void fields(S& s, V&& v) {
    v("path", s.path);
    v("version", s.version);
  }
};

struct SetDataRequest {
  KZ_JUTE_RECORD(SetDataRequest);
  std::string path;
  Buffer data;
  int32_t version = -1;
  template <typename S, typename V>
  static void fields(S& s, V&& v) {
    v("path", s.path);
    v("data", s.data);
    v("version", s.version);
  }
};

struct GetDataResponse {
  KZ_JUTE_RECORD(GetDataResponse);
  Buffer data;
  Stat stat;
  template <typename S, typename V>
  static void fields(S& s, V&& v) {
    v("data", s.data);
    v("stat", s.stat);
  }
};

struct SetACLRequest {
  KZ_JUTE_RECORD(SetACLRequest);
  std::string path;
  AclList acl;
  int32_t version = -1;
  template <typename S, typename V>
  static void fields(S& s, V&& v) {
    v("path", s.path);
    v("acl", s.acl);
    v("version", s.version);
  }
};

struct GetACLResponse {
  KZ_JUTE_RECORD(GetACLResponse);
  AclList acl;
  Stat stat;
  template <typename S, typename V>
  static void fields(S& s, V&& v) {
    v("acl", s.acl);
    v("stat", s.stat);
  }
};

struct GetChildrenResponse {
  KZ_JUTE_RECORD(GetChildrenResponse);
  std::vector<std::string> children;
  template <typename S, typename V>
  static void fields(S& s, V&& v) {
    v("children", s.children);
  }
};

struct GetChildren2Response {
  KZ_JUTE_RECORD(GetChildren2Response);
  std::vector<std::string> children;
  Stat stat;
  template <typename S, typename V>
  static void fields(S& s, V&& v) {
    v("children", s.children);
    v("stat", s.stat);
  }
};

struct GetAllChildrenNumberResponse {
  KZ_JUTE_RECORD(GetAllChildrenNumberResponse);
  int32_t total_number = 0;
  template <typename S, typename V>
  static void fields(S& s, V&& v) {
    v("totalNumber", s.total_number);
  }
};

struct GetEphemeralsResponse {
  KZ_JUTE_RECORD(GetEphemeralsResponse);
  std::vector<std::string> ephemerals;
  template <typename S, typename V>
  static void fields(S& s, V&& v) {
    v("ephemerals", s.ephemerals);
  }
};

struct AddWatchRequest {
  KZ_JUTE_RECORD(AddWatchRequest);
  std::string path;
  int32_t mode = 0;
  template <typename S, typename V>
  static void fields(S& s, V&& v) {
    v("path", s.path);
    v("mode", s.mode);
  }
};

// checkWatches and removeWatches share this layout.
struct RemoveWatchesRequest {
  KZ_JUTE_RECORD(RemoveWatchesRequest);
  std::string path;
  int32_t type = 0;
  template <typename S, typename V>
  static void fields(S& s, V&& v) {
    v("path", s.path);
    v("type", s.type);
  }
};
using CheckWatchesRequest = RemoveWatchesRequest;

struct ErrorResponse {
  KZ_JUTE_RECORD(ErrorResponse);
  int32_t err = 0;
  template <typename S, typename V>
  static void fields(S& s, V&& v) {
    v("err", s.err);
  }
};

struct WhoAmIResponse {
  KZ_JUTE_RECORD(WhoAmIResponse);
  std::vector<ClientInfo> client_info;
  template <typename S, typename V>
  static void fields(S& s, V&& v) {
    v("clientInfo", s.client_info);
  }
};

struct SetSASLRequest {
  KZ_JUTE_RECORD(SetSASLRequest);
  Buffer token;
  template <typename S, typename V>
  static void fields(S& s, V&& v) {
    v("token", s.token);
  }
};
using SetSASLResponse = SetSASLRequest;

// ---- multi and multiRead ----

// One op of a multi (create/create2/createContainer/createTTL/delete/setData/check) or of a
// multiRead (getChildren/getData). `type` is the opcode the op travels under.
struct MultiOp {
  int32_t type = 0;
  std::variant<CreateRequest, CreateTTLRequest, DeleteRequest, SetDataRequest, CheckVersionRequest,
               GetChildrenRequest, GetDataRequest>
      body;
  bool operator==(const MultiOp&) const = default;
};

// MultiOperationRecord: each op as MultiHeader(type, done=false, err=-1) + its request, then
// MultiHeader(-1, true, -1).
struct MultiRequest {
  KZ_JUTE_RECORD(MultiRequest);
  std::vector<MultiOp> ops;
  static void write_custom(JuteWriter& w, const MultiRequest& v);
  static Status read_custom(JuteReader& r, MultiRequest& v);
};

// One result of a multi / multiRead. Which fields are meaningful depends on `type`:
// create -> path; create2 -> path, stat; setData -> stat; getData -> data, stat;
// getChildren -> children; delete/check -> nothing; error (-1) -> err.
struct OpResult {
  int32_t type = 0;
  int32_t err = 0;
  std::string path;
  Stat stat;
  Buffer data;
  std::vector<std::string> children;
  bool operator==(const OpResult&) const = default;
};

// MultiResponse: each result as MultiHeader(type, false, err) + its body, then
// MultiHeader(-1, true, -1).
struct MultiResponse {
  KZ_JUTE_RECORD(MultiResponse);
  std::vector<OpResult> results;
  static void write_custom(JuteWriter& w, const MultiResponse& v);
  static Status read_custom(JuteReader& r, MultiResponse& v);
};

OpResult error_result(ErrorCode code);

}  // namespace kz::zk
