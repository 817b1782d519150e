// The ZooKeeper client's operations: each builds its request record, waits for the reply through
// Client::call, and decodes the reply body. A body that does not decode is the server's fault: the
// connection that carried it is dropped and the call returns MARSHALLINGERROR.
#include <fmt/format.h>

#include "core/zk/auth.h"
#include "core/zk/client/client.h"

namespace kz::zk::client {

namespace {

int32_t create_opcode(CreateMode mode) {
  if (is_ttl(mode)) return op(OpCode::kCreateTtl);
  if (is_container(mode)) return op(OpCode::kCreateContainer);
  return op(OpCode::kCreate2);
}

AclList acl_or_open(AclList acl) { return acl.empty() ? open_acl_unsafe() : acl; }

}  // namespace

MultiOp op_create(std::string path, Buffer data, CreateOptions options) {
  int32_t flags = static_cast<int32_t>(options.mode);
  AclList acl = acl_or_open(std::move(options.acl));
  if (is_ttl(options.mode)) {
    return MultiOp{op(OpCode::kCreateTtl), CreateTTLRequest{std::move(path), std::move(data), std::move(acl), flags,
                                                            options.ttl_ms}};
  }
  // Inside a multi, plain creates travel as create (the reply carries the path only), as
  // ZooKeeper's Op.create does; containers have their own opcode.
  int32_t opcode = is_container(options.mode) ? op(OpCode::kCreateContainer) : op(OpCode::kCreate);
  return MultiOp{opcode, CreateRequest{std::move(path), std::move(data), std::move(acl), flags}};
}

MultiOp op_delete(std::string path, int32_t version) {
  return MultiOp{op(OpCode::kDelete), DeleteRequest{std::move(path), version}};
}

MultiOp op_set_data(std::string path, Buffer data, int32_t version) {
  return MultiOp{op(OpCode::kSetData), SetDataRequest{std::move(path), std::move(data), version}};
}

MultiOp op_check(std::string path, int32_t version) {
  return MultiOp{op(OpCode::kCheck), CheckVersionRequest{std::move(path), version}};
}

MultiOp op_get_data(std::string path) {
  return MultiOp{op(OpCode::kGetData), GetDataRequest{std::move(path), false}};
}

MultiOp op_get_children(std::string path) {
  return MultiOp{op(OpCode::kGetChildren), GetChildrenRequest{std::move(path), false}};
}

template <typename Body>
Client::Reply Client::request(int32_t opcode, const Body& body, int64_t timeout_ns, std::optional<WatchSetup> watch,
                              std::optional<AuthPacket> auth) {
  Request req;
  req.xid = opcode == op(OpCode::kAuth) ? kAuthXid : next_xid();
  req.opcode = opcode;
  req.frame = encode_request(req.xid, opcode, body);
  req.watch = std::move(watch);
  req.auth = std::move(auth);
  return call(std::move(req), timeout_ns);
}

Client::Reply Client::request_header_only(int32_t opcode, int64_t timeout_ns) {
  Request req;
  req.xid = next_xid();
  req.opcode = opcode;
  req.frame = encode_header_only(req.xid, opcode);
  return call(std::move(req), timeout_ns);
}

template <typename T>
ZkResult<T> Client::decode(const Reply& reply, std::string_view what) {
  if (reply.err != 0) return ZkResult<T>{static_cast<ErrorCode>(reply.err), T{}, reply.zxid};
  Result<T> v = jute_decode<T>(reply.body, options_.frame_bytes_max);
  if (!v.is_ok()) {
    env_.log.warn(options_.log_component, "session 0x{:x}: malformed {} reply: {}", session_id_, what,
                  v.status().to_string());
    if (conn_ != nullptr && conn_->number == reply.connection) drop_connection("malformed reply");
    return ZkResult<T>{ErrorCode::kMarshallingError, T{}};
  }
  return ZkResult<T>{ErrorCode::kOk, std::move(*v), reply.zxid};
}

ZkResult<CreateResult> Client::create(const std::string& path, Buffer data, CreateOptions options,
                                      int64_t timeout_ns) {
  int32_t flags = static_cast<int32_t>(options.mode);
  AclList acl = acl_or_open(std::move(options.acl));
  int32_t opcode = create_opcode(options.mode);
  Reply reply;
  if (opcode == op(OpCode::kCreateTtl)) {
    reply = request(opcode, CreateTTLRequest{path, std::move(data), std::move(acl), flags, options.ttl_ms}, timeout_ns);
  } else {
    reply = request(opcode, CreateRequest{path, std::move(data), std::move(acl), flags}, timeout_ns);
  }
  ZkResult<Create2Response> r = decode<Create2Response>(reply, "create");
  if (!r.ok()) return ZkResult<CreateResult>{r.err, {}, r.zxid};
  return ZkResult<CreateResult>{ErrorCode::kOk, CreateResult{std::move(r.value.path), r.value.stat}, r.zxid};
}

ErrorCode Client::remove(const std::string& path, int32_t version, int64_t timeout_ns) {
  return static_cast<ErrorCode>(request(op(OpCode::kDelete), DeleteRequest{path, version}, timeout_ns).err);
}

ZkResult<Stat> Client::exists(const std::string& path, bool watch, int64_t timeout_ns) {
  std::optional<WatchSetup> setup;
  if (watch) setup = WatchSetup{WatchKind::kData, true, path};
  ZkResult<ExistsResponse> r =
      decode<ExistsResponse>(request(op(OpCode::kExists), ExistsRequest{path, watch}, timeout_ns, setup), "exists");
  return ZkResult<Stat>{r.err, r.value.stat, r.zxid};
}

ZkResult<GetDataResponse> Client::get_data(const std::string& path, bool watch, int64_t timeout_ns) {
  std::optional<WatchSetup> setup;
  if (watch) setup = WatchSetup{WatchKind::kData, false, path};
  return decode<GetDataResponse>(request(op(OpCode::kGetData), GetDataRequest{path, watch}, timeout_ns, setup),
                                 "getData");
}

ZkResult<Stat> Client::set_data(const std::string& path, Buffer data, int32_t version, int64_t timeout_ns) {
  ZkResult<SetDataResponse> r = decode<SetDataResponse>(
      request(op(OpCode::kSetData), SetDataRequest{path, std::move(data), version}, timeout_ns), "setData");
  return ZkResult<Stat>{r.err, r.value.stat, r.zxid};
}

ZkResult<GetChildren2Response> Client::get_children(const std::string& path, bool watch, bool with_stat,
                                                    int64_t timeout_ns) {
  std::optional<WatchSetup> setup;
  if (watch) setup = WatchSetup{WatchKind::kChild, false, path};
  if (with_stat) {
    return decode<GetChildren2Response>(
        request(op(OpCode::kGetChildren2), GetChildren2Request{path, watch}, timeout_ns, setup), "getChildren2");
  }
  ZkResult<GetChildrenResponse> r = decode<GetChildrenResponse>(
      request(op(OpCode::kGetChildren), GetChildrenRequest{path, watch}, timeout_ns, setup), "getChildren");
  return ZkResult<GetChildren2Response>{r.err, GetChildren2Response{std::move(r.value.children), Stat{}}, r.zxid};
}

ZkResult<GetACLResponse> Client::get_acl(const std::string& path, int64_t timeout_ns) {
  return decode<GetACLResponse>(request(op(OpCode::kGetAcl), GetACLRequest{path}, timeout_ns), "getACL");
}

ZkResult<Stat> Client::set_acl(const std::string& path, AclList acl, int32_t version, int64_t timeout_ns) {
  ZkResult<SetACLResponse> r = decode<SetACLResponse>(
      request(op(OpCode::kSetAcl), SetACLRequest{path, std::move(acl), version}, timeout_ns), "setACL");
  return ZkResult<Stat>{r.err, r.value.stat, r.zxid};
}

ErrorCode Client::sync(const std::string& path, int64_t timeout_ns) {
  return decode<SyncResponse>(request(op(OpCode::kSync), SyncRequest{path}, timeout_ns), "sync").err;
}

ErrorCode Client::check(const std::string& path, int32_t version, int64_t timeout_ns) {
  return static_cast<ErrorCode>(request(op(OpCode::kCheck), CheckVersionRequest{path, version}, timeout_ns).err);
}

ZkResult<std::vector<OpResult>> Client::multi(std::vector<MultiOp> ops, int64_t timeout_ns) {
  const size_t count = ops.size();
  ZkResult<MultiResponse> r =
      decode<MultiResponse>(request(op(OpCode::kMulti), MultiRequest{std::move(ops)}, timeout_ns), "multi");
  if (!r.ok()) return ZkResult<std::vector<OpResult>>{r.err, {}, r.zxid};
  if (r.value.results.size() != count) {
    env_.log.warn(options_.log_component, "session 0x{:x}: multi of {} ops answered with {} results", session_id_,
                  count, r.value.results.size());
    drop_connection("malformed multi reply");
    return ZkResult<std::vector<OpResult>>{ErrorCode::kMarshallingError, {}};
  }
  // The op that failed carries the reason; the others say OK or RUNTIMEINCONSISTENCY.
  ErrorCode first = ErrorCode::kOk;
  for (const OpResult& res : r.value.results) {
    if (res.type != op(OpCode::kError) || res.err == 0) continue;
    if (first == ErrorCode::kOk || first == ErrorCode::kRuntimeInconsistency) first = static_cast<ErrorCode>(res.err);
    if (first != ErrorCode::kRuntimeInconsistency) break;
  }
  return ZkResult<std::vector<OpResult>>{first, std::move(r.value.results), r.zxid};
}

ZkResult<std::vector<OpResult>> Client::multi_read(std::vector<MultiOp> ops, int64_t timeout_ns) {
  const size_t count = ops.size();
  ZkResult<MultiResponse> r =
      decode<MultiResponse>(request(op(OpCode::kMultiRead), MultiRequest{std::move(ops)}, timeout_ns), "multiRead");
  if (!r.ok()) return ZkResult<std::vector<OpResult>>{r.err, {}, r.zxid};
  if (r.value.results.size() != count) {
    drop_connection("malformed multiRead reply");
    return ZkResult<std::vector<OpResult>>{ErrorCode::kMarshallingError, {}};
  }
  return ZkResult<std::vector<OpResult>>{ErrorCode::kOk, std::move(r.value.results), r.zxid};
}

ZkResult<std::vector<std::string>> Client::get_ephemerals(const std::string& prefix_path, int64_t timeout_ns) {
  ZkResult<GetEphemeralsResponse> r = decode<GetEphemeralsResponse>(
      request(op(OpCode::kGetEphemerals), GetEphemeralsRequest{prefix_path}, timeout_ns), "getEphemerals");
  return ZkResult<std::vector<std::string>>{r.err, std::move(r.value.ephemerals), r.zxid};
}

ZkResult<int32_t> Client::get_all_children_number(const std::string& path, int64_t timeout_ns) {
  ZkResult<GetAllChildrenNumberResponse> r = decode<GetAllChildrenNumberResponse>(
      request(op(OpCode::kGetAllChildrenNumber), GetAllChildrenNumberRequest{path}, timeout_ns),
      "getAllChildrenNumber");
  return ZkResult<int32_t>{r.err, r.value.total_number, r.zxid};
}

ErrorCode Client::add_watch(const std::string& path, AddWatchMode mode, int64_t timeout_ns) {
  WatchKind kind = mode == AddWatchMode::kPersistentRecursive ? WatchKind::kPersistentRecursive : WatchKind::kPersistent;
  Reply reply = request(op(OpCode::kAddWatch), AddWatchRequest{path, static_cast<int32_t>(mode)}, timeout_ns,
                        WatchSetup{kind, false, path});
  return static_cast<ErrorCode>(reply.err);
}

ErrorCode Client::remove_watches(const std::string& path, WatcherType type, int64_t timeout_ns) {
  if (!watches_.has_removable(path, type)) return ErrorCode::kNoWatcher;
  Reply reply = request(op(OpCode::kRemoveWatches), RemoveWatchesRequest{path, static_cast<int32_t>(type)}, timeout_ns);
  ErrorCode e = static_cast<ErrorCode>(reply.err);
  if (e != ErrorCode::kOk) return e;
  for (EventType t : watches_.remove(path, type)) deliver(WatchedEvent{t, KeeperState::kSyncConnected, path, -1});
  return ErrorCode::kOk;
}

ZkResult<std::vector<ClientInfo>> Client::who_am_i(int64_t timeout_ns) {
  ZkResult<WhoAmIResponse> r = decode<WhoAmIResponse>(request_header_only(op(OpCode::kWhoAmI), timeout_ns), "whoAmI");
  return ZkResult<std::vector<ClientInfo>>{r.err, std::move(r.value.client_info), r.zxid};
}

ErrorCode Client::add_auth(const std::string& scheme, std::string auth, int64_t timeout_ns) {
  AuthPacket packet{0, scheme, std::move(auth)};
  return static_cast<ErrorCode>(request(op(OpCode::kAuth), packet, timeout_ns, std::nullopt, packet).err);
}

}  // namespace kz::zk::client
