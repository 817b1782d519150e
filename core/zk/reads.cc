#include "core/zk/reads.h"

namespace kz::zk {

namespace {

const AuthIds& ids_of(const ReadContext& ctx) {
  static const AuthIds kNone;
  return ctx.auth != nullptr ? *ctx.auth : kNone;
}

// The node, checked for READ; NONODE before NOAUTH.
template <typename T>
const Node* readable(const DataTree& tree, const ReadContext& ctx, const std::string& path, ZkResult<T>& out) {
  const Node* node = tree.find(path);
  if (node == nullptr) {
    out.err = ErrorCode::kNoNode;
    return nullptr;
  }
  if (!check_acl(node->acl, perms::kRead, ids_of(ctx))) {
    out.err = ErrorCode::kNoAuth;
    return nullptr;
  }
  return node;
}

std::vector<std::string> children_of(const Node& node) { return {node.children.begin(), node.children.end()}; }

std::optional<WatcherType> watcher_type(int32_t type) {
  if (type < 1 || type > 3) return std::nullopt;
  return static_cast<WatcherType>(type);
}

}  // namespace

ZkResult<ExistsResponse> read_exists(const DataTree& tree, WatchManager& watches, const ReadContext& ctx,
                                     const ExistsRequest& request) {
  ZkResult<ExistsResponse> out;
  if (request.watch) watches.add_data_watch(request.path, ctx.watcher);
  const Node* node = tree.find(request.path);
  if (node == nullptr) {
    out.err = ErrorCode::kNoNode;
    return out;
  }
  out.value.stat = DataTree::stat_of(*node);
  return out;
}

ZkResult<GetDataResponse> read_get_data(const DataTree& tree, WatchManager& watches, const ReadContext& ctx,
                                        const GetDataRequest& request) {
  ZkResult<GetDataResponse> out;
  const Node* node = readable(tree, ctx, request.path, out);
  if (node == nullptr) return out;
  if (request.watch) watches.add_data_watch(request.path, ctx.watcher);
  out.value.data = node->data;
  out.value.stat = DataTree::stat_of(*node);
  return out;
}

ZkResult<GetChildrenResponse> read_get_children(const DataTree& tree, WatchManager& watches, const ReadContext& ctx,
                                                const GetChildrenRequest& request) {
  ZkResult<GetChildrenResponse> out;
  const Node* node = readable(tree, ctx, request.path, out);
  if (node == nullptr) return out;
  if (request.watch) watches.add_child_watch(request.path, ctx.watcher);
  out.value.children = children_of(*node);
  return out;
}

ZkResult<GetChildren2Response> read_get_children2(const DataTree& tree, WatchManager& watches,
                                                  const ReadContext& ctx, const GetChildren2Request& request) {
  ZkResult<GetChildren2Response> out;
  const Node* node = readable(tree, ctx, request.path, out);
  if (node == nullptr) return out;
  if (request.watch) watches.add_child_watch(request.path, ctx.watcher);
  out.value.children = children_of(*node);
  out.value.stat = DataTree::stat_of(*node);
  return out;
}

ZkResult<GetACLResponse> read_get_acl(const DataTree& tree, const ReadContext& ctx, const GetACLRequest& request) {
  ZkResult<GetACLResponse> out;
  const Node* node = tree.find(request.path);
  if (node == nullptr) {
    out.err = ErrorCode::kNoNode;
    return out;
  }
  if (!check_acl(node->acl, perms::kRead | perms::kAdmin, ids_of(ctx))) {
    out.err = ErrorCode::kNoAuth;
    return out;
  }
  out.value.stat = DataTree::stat_of(*node);
  out.value.acl = node->acl;
  if (!check_acl(node->acl, perms::kAdmin, ids_of(ctx))) {
    // Without ADMIN the password hashes stay hidden (ZOOKEEPER-1392).
    for (Acl& a : out.value.acl) {
      if (a.id.scheme != "digest") continue;
      const size_t colon = a.id.id.find(':');
      if (colon != std::string::npos) a.id.id = a.id.id.substr(0, colon) + ":x";
    }
  }
  return out;
}

ZkResult<GetAllChildrenNumberResponse> read_get_all_children_number(const DataTree& tree, const ReadContext& ctx,
                                                                    const GetAllChildrenNumberRequest& request) {
  ZkResult<GetAllChildrenNumberResponse> out;
  if (readable(tree, ctx, request.path, out) == nullptr) return out;
  out.value.total_number = tree.descendant_count(request.path);
  return out;
}

GetEphemeralsResponse read_get_ephemerals(const DataTree& tree, const ReadContext& ctx,
                                          const GetEphemeralsRequest& request) {
  GetEphemeralsResponse out;
  const bool all = request.path.empty() || request.path == "/";
  for (const std::string& path : tree.ephemerals_of(ctx.session_id)) {
    if (all || path.compare(0, request.path.size(), request.path) == 0) out.ephemerals.push_back(path);
  }
  return out;
}

MultiResponse read_multi(const DataTree& tree, WatchManager& watches, const ReadContext& ctx,
                         const MultiRequest& request) {
  MultiResponse out;
  for (const MultiOp& op_ : request.ops) {
    OpResult result;
    if (const auto* r = std::get_if<GetDataRequest>(&op_.body)) {
      auto got = read_get_data(tree, watches, ctx, *r);
      if (!got.ok()) {
        result = error_result(got.err);
      } else {
        result.type = op(OpCode::kGetData);
        result.data = std::move(got.value.data);
        result.stat = got.value.stat;
      }
    } else if (const auto* r = std::get_if<GetChildrenRequest>(&op_.body)) {
      auto got = read_get_children(tree, watches, ctx, *r);
      if (!got.ok()) {
        result = error_result(got.err);
      } else {
        result.type = op(OpCode::kGetChildren);
        result.children = std::move(got.value.children);
      }
    } else {
      result = error_result(ErrorCode::kBadArguments);  // writes cannot ride in a multiRead
    }
    out.results.push_back(std::move(result));
  }
  return out;
}

ErrorCode add_watch(WatchManager& watches, const ReadContext& ctx, const AddWatchRequest& request) {
  if (request.mode != static_cast<int32_t>(AddWatchMode::kPersistent) &&
      request.mode != static_cast<int32_t>(AddWatchMode::kPersistentRecursive)) {
    return ErrorCode::kBadArguments;
  }
  watches.add_persistent_watch(request.path, ctx.watcher, static_cast<AddWatchMode>(request.mode));
  return ErrorCode::kOk;
}

ErrorCode check_watches(const WatchManager& watches, const ReadContext& ctx, const CheckWatchesRequest& request) {
  const auto type = watcher_type(request.type);
  if (!type) return ErrorCode::kBadArguments;
  return watches.contains(request.path, ctx.watcher, *type) ? ErrorCode::kOk : ErrorCode::kNoWatcher;
}

ErrorCode remove_watches(WatchManager& watches, const ReadContext& ctx, const RemoveWatchesRequest& request) {
  const auto type = watcher_type(request.type);
  if (!type) return ErrorCode::kBadArguments;
  return watches.remove(request.path, ctx.watcher, *type) ? ErrorCode::kOk : ErrorCode::kNoWatcher;
}

}  // namespace kz::zk
