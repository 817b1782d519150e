// Transactions: what a prepared write becomes, what the log stores and what apply() executes
// (zookeeper.jute, module org.apache.zookeeper.txn). A txn is a TxnHeader (client, cxid, zxid,
// leader time, type) plus a body whose record depends on the type:
//   create/create2 -> CreateTxn, createContainer -> CreateContainerTxn, createTTL -> CreateTTLTxn,
//   delete/deleteContainer -> DeleteTxn, setData -> SetDataTxn, setACL -> SetACLTxn,
//   check -> CheckVersionTxn, createSession -> CreateSessionTxn, closeSession -> CloseSessionTxn
//   (or no body, as before 3.6), error -> ErrorTxn, multi -> MultiTxn.
// A MultiTxn holds its sub-txns as (type, serialized body) pairs on the wire, exactly as
// ZooKeeper does; in memory we keep them decoded.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "core/zk/proto.h"

namespace kz::zk {

struct TxnHeader {
  KZ_JUTE_RECORD(TxnHeader);
  int64_t client_id = 0;  // the session that asked
  int32_t cxid = 0;       // the request's xid
  int64_t zxid = 0;
  int64_t time_ms = 0;  // the leader's wall clock when it prepared the txn: becomes ctime/mtime
  int32_t type = 0;
  template <typename S, typename V>
  static void fields(S& s, V&& v) {
    v("clientId", s.client_id);
    v("cxid", s.cxid);
    v("zxid", s.zxid);
    v("time", s.time_ms);
    v("type", s.type);
  }
};

struct CreateTxn {
  KZ_JUTE_RECORD(CreateTxn);
  std::string path;
  Buffer data;
  AclList acl;
  bool ephemeral = false;
  int32_t parent_cversion = 0;
  template <typename S, typename V>
  static void fields(S& s, V&& v) {
    v("path", s.path);
    v("data", s.data);
    v("acl", s.acl);
    v("ephemeral", s.ephemeral);
    v("parentCVersion", s.parent_cversion);
  }
};

struct CreateContainerTxn {
  KZ_JUTE_RECORD(CreateContainerTxn);
  std::string path;
  Buffer data;
  AclList acl;
  int32_t parent_cversion = 0;
  template <typename S, typename V>
  static void fields(S& s, V&& v) {
    v("path", s.path);
    v("data", s.data);
    v("acl", s.acl);
    v("parentCVersion", s.parent_cversion);
  }
};

struct CreateTTLTxn {
  KZ_JUTE_RECORD(CreateTTLTxn);
  std::string path;
  Buffer data;
  AclList acl;
  int32_t parent_cversion = 0;
  int64_t ttl_ms = 0;
  template <typename S, typename V>
  static void fields(S& s, V&& v) {
    v("path", s.path);
    v("data", s.data);
    v("acl", s.acl);
    v("parentCVersion", s.parent_cversion);
    v("ttl", s.ttl_ms);
  }
};

struct DeleteTxn {
  KZ_JUTE_RECORD(DeleteTxn);
  std::string path;
  template <typename S, typename V>
  static void fields(S& s, V&& v) {
    v("path", s.path);
  }
};

struct SetDataTxn {
  KZ_JUTE_RECORD(SetDataTxn);
  std::string path;
  Buffer data;
  int32_t version = 0;  // the node's new version
  template <typename S, typename V>
  static void fields(S& s, V&& v) {
    v("path", s.path);
    v("data", s.data);
    v("version", s.version);
  }
};

struct CheckVersionTxn {
  KZ_JUTE_RECORD(CheckVersionTxn);
  std::string path;
  int32_t version = 0;
  template <typename S, typename V>
  static void fields(S& s, V&& v) {
    v("path", s.path);
    v("version", s.version);
  }
};

struct SetACLTxn {
  KZ_JUTE_RECORD(SetACLTxn);
  std::string path;
  AclList acl;
  int32_t version = 0;  // the node's new aversion
  template <typename S, typename V>
  static void fields(S& s, V&& v) {
    v("path", s.path);
    v("acl", s.acl);
    v("version", s.version);
  }
};

struct CreateSessionTxn {
  KZ_JUTE_RECORD(CreateSessionTxn);
  int32_t timeout_ms = 0;
  template <typename S, typename V>
  static void fields(S& s, V&& v) {
    v("timeOut", s.timeout_ms);
  }
};

struct CloseSessionTxn {
  KZ_JUTE_RECORD(CloseSessionTxn);
  std::vector<std::string> paths_to_delete;
  template <typename S, typename V>
  static void fields(S& s, V&& v) {
    v("paths2Delete", s.paths_to_delete);
  }
};

struct ErrorTxn {
  KZ_JUTE_RECORD(ErrorTxn);
  int32_t err = 0;
  template <typename S, typename V>
  static void fields(S& s, V&& v) {
    v("err", s.err);
  }
};

// The bodies a multi may contain (a failed op is an ErrorTxn).
using SubTxnBody = std::variant<CreateTxn, CreateContainerTxn, CreateTTLTxn, DeleteTxn, SetDataTxn, CheckVersionTxn,
                                ErrorTxn>;
struct SubTxn {
  int32_t type = 0;
  SubTxnBody body;
  bool operator==(const SubTxn&) const = default;
};

// On the wire: vector<Txn{int type; buffer data}>, each data the serialized sub-txn body.
struct MultiTxn {
  KZ_JUTE_RECORD(MultiTxn);
  std::vector<SubTxn> txns;
  static void write_custom(JuteWriter& w, const MultiTxn& v);
  static Status read_custom(JuteReader& r, MultiTxn& v);
};

// No body: a pre-3.6 closeSession, or a type that carries none.
struct NoTxnBody {
  bool operator==(const NoTxnBody&) const = default;
};

using TxnBody = std::variant<NoTxnBody, CreateTxn, CreateContainerTxn, CreateTTLTxn, DeleteTxn, SetDataTxn, SetACLTxn,
                             CheckVersionTxn, CreateSessionTxn, CloseSessionTxn, ErrorTxn, MultiTxn>;

struct Txn {
  TxnHeader header;
  TxnBody body;
  bool operator==(const Txn&) const = default;
};

// Body codec keyed by type. An unknown type, or a body that does not match the type, is an error.
void write_txn_body(JuteWriter& w, int32_t type, const TxnBody& body);
Result<TxnBody> read_txn_body(JuteReader& r, int32_t type);
// Whether `body` holds the record that goes with `type` (an invariant for everything we write).
bool txn_body_matches(int32_t type, const TxnBody& body);

// A whole txn: header then body, as one log record payload.
std::string encode_txn(const Txn& txn);
Result<Txn> decode_txn(std::string_view bytes);

}  // namespace kz::zk
