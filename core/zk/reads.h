// Read operations against the committed tree (FinalRequestProcessor's read cases): exists,
// getData, getChildren(2), getACL, getAllChildrenNumber, getEphemerals, multiRead, and the watch
// requests (addWatch, checkWatches, removeWatches). Reads do not go through prepare/apply; the
// ones with watch=true register the watch here, after their checks, as ZooKeeper does (except
// exists, which registers before looking, so it can watch for a node's creation).
#pragma once

#include <cstdint>
#include <string>

#include "core/zk/auth.h"
#include "core/zk/data_tree.h"
#include "core/zk/proto.h"
#include "core/zk/watch_manager.h"

namespace kz::zk {

// A reply body, or the error code to put in the ReplyHeader.
template <typename T>
struct ZkResult {
  ErrorCode err = ErrorCode::kOk;
  T value{};
  bool ok() const { return err == ErrorCode::kOk; }
};

struct ReadContext {
  int64_t session_id = 0;
  WatcherId watcher = 0;          // the connection registering watches
  const AuthIds* auth = nullptr;  // the connection's authenticated ids
};

ZkResult<ExistsResponse> read_exists(const DataTree& tree, WatchManager& watches, const ReadContext& ctx,
                                     const ExistsRequest& request);
ZkResult<GetDataResponse> read_get_data(const DataTree& tree, WatchManager& watches, const ReadContext& ctx,
                                        const GetDataRequest& request);
ZkResult<GetChildrenResponse> read_get_children(const DataTree& tree, WatchManager& watches, const ReadContext& ctx,
                                                const GetChildrenRequest& request);
ZkResult<GetChildren2Response> read_get_children2(const DataTree& tree, WatchManager& watches,
                                                  const ReadContext& ctx, const GetChildren2Request& request);
// Needs READ or ADMIN; without ADMIN the digest ids come back as "user:x".
ZkResult<GetACLResponse> read_get_acl(const DataTree& tree, const ReadContext& ctx, const GetACLRequest& request);
ZkResult<GetAllChildrenNumberResponse> read_get_all_children_number(const DataTree& tree, const ReadContext& ctx,
                                                                    const GetAllChildrenNumberRequest& request);
// The session's ephemerals whose path starts with the prefix ("" or "/" = all), ordered.
GetEphemeralsResponse read_get_ephemerals(const DataTree& tree, const ReadContext& ctx,
                                          const GetEphemeralsRequest& request);
// Each op succeeds or fails on its own (ErrorResult); not atomic, unlike multi.
MultiResponse read_multi(const DataTree& tree, WatchManager& watches, const ReadContext& ctx,
                         const MultiRequest& request);

// addWatch answers with ErrorResponse(0) in ZooKeeper; BADARGUMENTS for an unknown mode.
ErrorCode add_watch(WatchManager& watches, const ReadContext& ctx, const AddWatchRequest& request);
// NOWATCHER if the connection holds no such watch; BADARGUMENTS for an unknown type.
ErrorCode check_watches(const WatchManager& watches, const ReadContext& ctx, const CheckWatchesRequest& request);
ErrorCode remove_watches(WatchManager& watches, const ReadContext& ctx, const RemoveWatchesRequest& request);

}  // namespace kz::zk
