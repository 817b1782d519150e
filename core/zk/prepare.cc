#include "core/zk/prepare.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "core/zk/path.h"

namespace kz::zk {

std::optional<NodeRecord> PendingChanges::lookup(const DataTree& tree, std::string_view path) const {
  if (auto it = overlay_.find(path); it != overlay_.end()) return it->second.record;
  const Node* node = tree.find(path);
  if (node == nullptr) return std::nullopt;
  NodeRecord r;
  r.version = node->stat.version;
  r.cversion = node->stat.cversion;
  r.aversion = node->stat.aversion;
  r.ephemeral_owner = node->stat.ephemeral_owner;
  r.child_count = static_cast<int32_t>(node->children.size());
  r.acl = node->acl;
  return r;
}

void PendingChanges::put(std::string_view path, int64_t zxid, std::optional<NodeRecord> record) {
  auto it = overlay_.find(path);
  if (it == overlay_.end()) it = overlay_.emplace(std::string(path), Entry{}).first;
  KZ_ASSERT(zxid >= it->second.zxid);
  it->second.zxid = zxid;
  it->second.record = std::move(record);
}

void PendingChanges::forget_through(int64_t zxid) {
  for (auto it = overlay_.begin(); it != overlay_.end();) {
    it = it->second.zxid <= zxid ? overlay_.erase(it) : std::next(it);
  }
}

namespace {

// "/a/b" -> "/a"; "/a" and "/" -> "/"; "a" -> nullopt. ZooKeeper takes the substring before
// the last '/', and "" names the root.
std::optional<std::string_view> raw_parent(std::string_view path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return std::nullopt;
  if (slash == 0) return kRootPath;
  return path.substr(0, slash);
}

bool has_nul(std::string_view path) { return path.find('\0') != std::string_view::npos; }

// checkAndIncVersion: -1 matches any version.
bool version_matches(int32_t expected, int32_t current) { return expected == -1 || expected == current; }

const AuthIds& ids_of(const PrepareContext& ctx) {
  static const AuthIds kNone;
  return ctx.auth != nullptr ? *ctx.auth : kNone;
}

}  // namespace

ErrorCode Preparer::prep_create(PendingChanges& view, const PrepareContext& ctx, int32_t opcode,
                                const CreateTTLRequest& r, SubTxnBody* out) {
  const std::optional<CreateMode> mode = create_mode_from_flags(r.flags);
  if (!mode) return ErrorCode::kBadArguments;
  // validateCreateRequest: TTL needs extended types; a TTL must be in range for TTL modes and
  // absent (-1) otherwise.
  if (is_ttl(*mode) && !tree_.config().extended_types_enabled) return ErrorCode::kUnimplemented;
  if (is_ttl(*mode)) {
    if (r.ttl_ms <= 0 || r.ttl_ms > kTtlMaxMs) return ErrorCode::kBadArguments;
  } else if (r.ttl_ms >= 0) {
    return ErrorCode::kBadArguments;
  }
  // Not a ZooKeeper check (its frame limit stops big data earlier), but the tree's own bound.
  if (buffer_size(r.data) > tree_.config().data_bytes_max) return ErrorCode::kBadArguments;
  // validatePathForCreate.
  const std::optional<std::string_view> parent_path_view = raw_parent(r.path);
  if (!parent_path_view || has_nul(r.path)) return ErrorCode::kBadArguments;
  const std::string parent_path(*parent_path_view);
  AclList acl;
  if (const ErrorCode code = fixup_acl(r.acl, ids_of(ctx), &acl); code != ErrorCode::kOk) return code;
  std::optional<NodeRecord> parent = view.lookup(tree_, parent_path);
  if (!parent) return ErrorCode::kNoNode;
  if (!check_acl(parent->acl, perms::kCreate, ids_of(ctx))) return ErrorCode::kNoAuth;
  std::string path = r.path;
  if (is_sequential(*mode)) path += fmt::format("{:010d}", parent->cversion);
  if (!is_valid_path(path)) return ErrorCode::kBadArguments;
  if (view.lookup(tree_, path)) return ErrorCode::kNodeExists;
  if (ephemeral_kind(parent->ephemeral_owner, tree_.config().extended_types_enabled) == EphemeralKind::kNormal) {
    return ErrorCode::kNoChildrenForEphemerals;
  }
  const int32_t new_cversion = parent->cversion + 1;

  // The txn follows the opcode, as in ZooKeeper (the client picks createContainer / createTTL
  // from the mode).
  NodeRecord node;
  node.acl = acl;
  if (opcode == op(OpCode::kCreateContainer)) {
    *out = CreateContainerTxn{path, r.data, acl, new_cversion};
    node.ephemeral_owner = kContainerEphemeralOwner;
  } else if (opcode == op(OpCode::kCreateTtl)) {
    *out = CreateTTLTxn{path, r.data, acl, new_cversion, r.ttl_ms};
    node.ephemeral_owner = ttl_ephemeral_owner(r.ttl_ms);
  } else {
    KZ_ASSERT(opcode == op(OpCode::kCreate) || opcode == op(OpCode::kCreate2));
    *out = CreateTxn{path, r.data, acl, is_ephemeral(*mode), new_cversion};
    node.ephemeral_owner = is_ephemeral(*mode) ? ctx.session_id : 0;
  }
  parent->child_count++;
  parent->cversion = new_cversion;
  view.put(parent_path, ctx.zxid, parent);
  view.put(path, ctx.zxid, node);
  return ErrorCode::kOk;
}

ErrorCode Preparer::prep_delete(PendingChanges& view, const PrepareContext& ctx, const DeleteRequest& r,
                                SubTxnBody* out) {
  // getParentPathAndValidate: no PathUtils check for delete, only these.
  const std::optional<std::string_view> parent_path_view = raw_parent(r.path);
  if (!parent_path_view || has_nul(r.path) || is_special_path(r.path)) return ErrorCode::kBadArguments;
  const std::string parent_path(*parent_path_view);
  std::optional<NodeRecord> parent = view.lookup(tree_, parent_path);
  if (!parent) return ErrorCode::kNoNode;
  if (!check_acl(parent->acl, perms::kDelete, ids_of(ctx))) return ErrorCode::kNoAuth;
  const std::optional<NodeRecord> node = view.lookup(tree_, r.path);
  if (!node) return ErrorCode::kNoNode;
  if (!version_matches(r.version, node->version)) return ErrorCode::kBadVersion;
  if (node->child_count > 0) return ErrorCode::kNotEmpty;
  *out = DeleteTxn{r.path};
  parent->child_count--;
  view.put(parent_path, ctx.zxid, parent);
  view.put(r.path, ctx.zxid, std::nullopt);
  return ErrorCode::kOk;
}

ErrorCode Preparer::prep_set_data(PendingChanges& view, const PrepareContext& ctx, const SetDataRequest& r,
                                  SubTxnBody* out) {
  if (!is_valid_path(r.path)) return ErrorCode::kBadArguments;
  std::optional<NodeRecord> node = view.lookup(tree_, r.path);
  if (!node) return ErrorCode::kNoNode;
  if (!check_acl(node->acl, perms::kWrite, ids_of(ctx))) return ErrorCode::kNoAuth;
  if (buffer_size(r.data) > tree_.config().data_bytes_max) return ErrorCode::kBadArguments;
  if (!version_matches(r.version, node->version)) return ErrorCode::kBadVersion;
  node->version++;
  *out = SetDataTxn{r.path, r.data, node->version};
  view.put(r.path, ctx.zxid, node);
  return ErrorCode::kOk;
}

ErrorCode Preparer::prep_check(PendingChanges& view, const PrepareContext& ctx, const CheckVersionRequest& r,
                               SubTxnBody* out) {
  if (!is_valid_path(r.path)) return ErrorCode::kBadArguments;
  const std::optional<NodeRecord> node = view.lookup(tree_, r.path);
  if (!node) return ErrorCode::kNoNode;
  if (!check_acl(node->acl, perms::kRead, ids_of(ctx))) return ErrorCode::kNoAuth;
  if (!version_matches(r.version, node->version)) return ErrorCode::kBadVersion;
  *out = CheckVersionTxn{r.path, node->version + 1};
  return ErrorCode::kOk;
}

ErrorCode Preparer::prep_op(PendingChanges& view, const PrepareContext& ctx, const MultiOp& op_, SubTxnBody* out) {
  const int32_t type = op_.type;
  if (const auto* r = std::get_if<CreateRequest>(&op_.body)) {
    if (type != op(OpCode::kCreate) && type != op(OpCode::kCreate2) && type != op(OpCode::kCreateContainer)) {
      return ErrorCode::kBadArguments;
    }
    return prep_create(view, ctx, type, CreateTTLRequest{r->path, r->data, r->acl, r->flags, -1}, out);
  }
  if (const auto* r = std::get_if<CreateTTLRequest>(&op_.body)) return prep_create(view, ctx, type, *r, out);
  if (const auto* r = std::get_if<DeleteRequest>(&op_.body)) return prep_delete(view, ctx, *r, out);
  if (const auto* r = std::get_if<SetDataRequest>(&op_.body)) return prep_set_data(view, ctx, *r, out);
  if (const auto* r = std::get_if<CheckVersionRequest>(&op_.body)) return prep_check(view, ctx, *r, out);
  // Reads cannot be part of a write multi (clients refuse to mix them).
  return ErrorCode::kBadArguments;
}

Prepared Preparer::finish(int32_t type, ErrorCode code, SubTxnBody body) {
  Prepared p;
  p.err = code;
  if (code != ErrorCode::kOk) {
    p.type = op(OpCode::kError);
    p.body = ErrorTxn{err(code)};
    return p;
  }
  p.type = type;
  std::visit([&p](auto& b) { p.body = std::move(b); }, body);
  KZ_ASSERT(txn_body_matches(p.type, p.body));
  return p;
}

Prepared Preparer::create(const PrepareContext& ctx, int32_t opcode, const CreateRequest& request) {
  KZ_ASSERT(opcode == op(OpCode::kCreate) || opcode == op(OpCode::kCreate2) ||
            opcode == op(OpCode::kCreateContainer));
  SubTxnBody body;
  const CreateTTLRequest r{request.path, request.data, request.acl, request.flags, -1};
  const ErrorCode code = prep_create(pending_, ctx, opcode, r, &body);
  return finish(opcode, code, std::move(body));
}

Prepared Preparer::create_ttl(const PrepareContext& ctx, const CreateTTLRequest& request) {
  SubTxnBody body;
  const ErrorCode code = prep_create(pending_, ctx, op(OpCode::kCreateTtl), request, &body);
  return finish(op(OpCode::kCreateTtl), code, std::move(body));
}

Prepared Preparer::remove(const PrepareContext& ctx, const DeleteRequest& request) {
  SubTxnBody body;
  const ErrorCode code = prep_delete(pending_, ctx, request, &body);
  return finish(op(OpCode::kDelete), code, std::move(body));
}

Prepared Preparer::set_data(const PrepareContext& ctx, const SetDataRequest& request) {
  SubTxnBody body;
  const ErrorCode code = prep_set_data(pending_, ctx, request, &body);
  return finish(op(OpCode::kSetData), code, std::move(body));
}

Prepared Preparer::check(const PrepareContext& ctx, const CheckVersionRequest& request) {
  SubTxnBody body;
  const ErrorCode code = prep_check(pending_, ctx, request, &body);
  return finish(op(OpCode::kCheck), code, std::move(body));
}

Prepared Preparer::set_acl(const PrepareContext& ctx, const SetACLRequest& request) {
  auto fail = [](ErrorCode code) { return Prepared{op(OpCode::kError), ErrorTxn{err(code)}, code}; };
  if (!is_valid_path(request.path)) return fail(ErrorCode::kBadArguments);
  AclList acl;
  if (const ErrorCode code = fixup_acl(request.acl, ids_of(ctx), &acl); code != ErrorCode::kOk) return fail(code);
  std::optional<NodeRecord> node = pending_.lookup(tree_, request.path);
  if (!node) return fail(ErrorCode::kNoNode);
  if (!check_acl(node->acl, perms::kAdmin, ids_of(ctx))) return fail(ErrorCode::kNoAuth);
  if (!version_matches(request.version, node->aversion)) return fail(ErrorCode::kBadVersion);
  node->aversion++;
  node->acl = acl;
  Prepared p{op(OpCode::kSetAcl), SetACLTxn{request.path, acl, node->aversion}, ErrorCode::kOk};
  pending_.put(request.path, ctx.zxid, std::move(node));
  return p;
}

Prepared Preparer::multi(const PrepareContext& ctx, const MultiRequest& request) {
  PendingChanges scratch = pending_;
  MultiTxn txn;
  ErrorCode failure = ErrorCode::kOk;
  for (const MultiOp& op_ : request.ops) {
    if (failure != ErrorCode::kOk) {
      // Not even tried once an op failed, as ZooKeeper does.
      txn.txns.push_back(SubTxn{op(OpCode::kError), ErrorTxn{err(ErrorCode::kRuntimeInconsistency)}});
      continue;
    }
    SubTxnBody body;
    const ErrorCode code = prep_op(scratch, ctx, op_, &body);
    if (code != ErrorCode::kOk) {
      failure = code;
      txn.txns.push_back(SubTxn{op(OpCode::kError), ErrorTxn{err(code)}});
    } else {
      txn.txns.push_back(SubTxn{op_.type, std::move(body)});
    }
  }
  if (failure == ErrorCode::kOk) pending_ = std::move(scratch);
  return Prepared{op(OpCode::kMulti), std::move(txn), failure};
}

Prepared Preparer::delete_container(const PrepareContext& ctx, std::string_view path) {
  auto fail = [](ErrorCode code) { return Prepared{op(OpCode::kError), ErrorTxn{err(code)}, code}; };
  const std::optional<std::string_view> parent_path_view = raw_parent(path);
  if (!parent_path_view || has_nul(path) || is_special_path(path)) return fail(ErrorCode::kBadArguments);
  const std::optional<NodeRecord> node = pending_.lookup(tree_, path);
  if (!node) return fail(ErrorCode::kNoNode);
  if (node->child_count > 0) return fail(ErrorCode::kNotEmpty);
  // Only containers and TTL nodes: a session's ephemeral is not the reaper's to delete.
  if (ephemeral_kind(node->ephemeral_owner, tree_.config().extended_types_enabled) == EphemeralKind::kNormal) {
    return fail(ErrorCode::kBadVersion);
  }
  const std::string parent_path(*parent_path_view);
  std::optional<NodeRecord> parent = pending_.lookup(tree_, parent_path);
  if (!parent) return fail(ErrorCode::kNoNode);
  parent->child_count--;
  pending_.put(parent_path, ctx.zxid, parent);
  pending_.put(path, ctx.zxid, std::nullopt);
  return Prepared{op(OpCode::kDeleteContainer), DeleteTxn{std::string(path)}, ErrorCode::kOk};
}

Prepared Preparer::create_session(const PrepareContext& ctx, int32_t timeout_ms) {
  return Prepared{op(OpCode::kCreateSession), CreateSessionTxn{timeout_ms}, ErrorCode::kOk};
}

Prepared Preparer::close_session(const PrepareContext& ctx) {
  std::set<std::string> paths;
  for (const std::string& path : tree_.ephemerals_of(ctx.session_id)) paths.insert(path);
  for (const auto& [path, entry] : pending_.overlay()) {
    if (!entry.record) {
      paths.erase(path);
    } else if (entry.record->ephemeral_owner == ctx.session_id) {
      paths.insert(path);
    }
  }
  for (const std::string& path : paths) {
    const std::string parent_path(zk::parent_path(path));
    std::optional<NodeRecord> parent = pending_.lookup(tree_, parent_path);
    if (parent) {
      parent->child_count--;
      pending_.put(parent_path, ctx.zxid, parent);
    }
    pending_.put(path, ctx.zxid, std::nullopt);
  }
  return Prepared{op(OpCode::kCloseSession), CloseSessionTxn{{paths.begin(), paths.end()}}, ErrorCode::kOk};
}

}  // namespace kz::zk
