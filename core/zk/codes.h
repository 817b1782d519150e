// ZooKeeper's protocol constants: opcodes, error codes, watcher event types and keeper states,
// create modes, addWatch modes, watcher types for removeWatches, ACL permissions and the special
// xids. Values are the wire values of ZooKeeper 3.8 (ZooDefs.OpCode, KeeperException.Code,
// Watcher.Event, CreateMode, ...).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace kz::zk {

enum class OpCode : int32_t {
  kNotification = 0,
  kCreate = 1,
  kDelete = 2,
  kExists = 3,
  kGetData = 4,
  kSetData = 5,
  kGetAcl = 6,
  kSetAcl = 7,
  kGetChildren = 8,
  kSync = 9,
  kPing = 11,
  kGetChildren2 = 12,
  kCheck = 13,
  kMulti = 14,
  kCreate2 = 15,
  kReconfig = 16,
  kCheckWatches = 17,
  kRemoveWatches = 18,
  kCreateContainer = 19,
  kDeleteContainer = 20,
  kCreateTtl = 21,
  kMultiRead = 22,
  kAuth = 100,
  kSetWatches = 101,
  kSasl = 102,
  kGetEphemerals = 103,
  kGetAllChildrenNumber = 104,
  kSetWatches2 = 105,
  kAddWatch = 106,
  kWhoAmI = 107,
  kCreateSession = -10,
  kCloseSession = -11,
  kError = -1,
};

constexpr int32_t op(OpCode c) { return static_cast<int32_t>(c); }
// "create", "getChildren2"...; "unknown" for values ZooKeeper does not define.
std::string_view op_code_name(int32_t code);
// Opcodes that change the tree and therefore go through prepare -> txn -> apply.
bool is_write_op(int32_t code);

enum class ErrorCode : int32_t {
  kOk = 0,
  kSystemError = -1,
  kRuntimeInconsistency = -2,
  kDataInconsistency = -3,
  kConnectionLoss = -4,
  kMarshallingError = -5,
  kUnimplemented = -6,
  kOperationTimeout = -7,
  kBadArguments = -8,
  kUnknownSession = -12,
  kNewConfigNoQuorum = -13,
  kReconfigInProgress = -14,
  kApiError = -100,
  kNoNode = -101,
  kNoAuth = -102,
  kBadVersion = -103,
  kNoChildrenForEphemerals = -108,
  kNodeExists = -110,
  kNotEmpty = -111,
  kSessionExpired = -112,
  kInvalidCallback = -113,
  kInvalidAcl = -114,
  kAuthFailed = -115,
  kSessionMoved = -118,
  kNotReadOnly = -119,
  kEphemeralOnLocalSession = -120,
  kNoWatcher = -121,
  kReconfigDisabled = -123,
  kSessionClosedRequireSaslAuth = -124,
  kQuotaExceeded = -125,
  kThrottledOp = -127,
};

constexpr int32_t err(ErrorCode c) { return static_cast<int32_t>(c); }
// "NONODE", "BADVERSION"... (KeeperException.Code names); "UNKNOWN" otherwise.
std::string_view error_code_name(int32_t code);
inline std::string_view error_code_name(ErrorCode code) { return error_code_name(err(code)); }

enum class EventType : int32_t {
  kNone = -1,
  kNodeCreated = 1,
  kNodeDeleted = 2,
  kNodeDataChanged = 3,
  kNodeChildrenChanged = 4,
  kDataWatchRemoved = 5,
  kChildWatchRemoved = 6,
  kPersistentWatchRemoved = 7,
};
std::string_view event_type_name(EventType type);

enum class KeeperState : int32_t {
  kUnknown = -1,
  kDisconnected = 0,
  kNoSyncConnected = 1,
  kSyncConnected = 3,
  kAuthFailed = 4,
  kConnectedReadOnly = 5,
  kSaslAuthenticated = 6,
  kExpired = -112,
  kClosed = 7,
};

enum class CreateMode : int32_t {
  kPersistent = 0,
  kEphemeral = 1,
  kPersistentSequential = 2,
  kEphemeralSequential = 3,
  kContainer = 4,
  kPersistentWithTtl = 5,
  kPersistentSequentialWithTtl = 6,
};
// CreateMode.fromFlag: nullopt for an unknown flag (the server answers BADARGUMENTS).
std::optional<CreateMode> create_mode_from_flags(int32_t flags);
bool is_ephemeral(CreateMode m);
bool is_sequential(CreateMode m);
bool is_container(CreateMode m);
bool is_ttl(CreateMode m);

enum class AddWatchMode : int32_t {
  kPersistent = 0,
  kPersistentRecursive = 1,
};

// removeWatches / checkWatches `type` (Watcher.WatcherType in 3.8).
enum class WatcherType : int32_t {
  kChildren = 1,
  kData = 2,
  kAny = 3,
};

// ZooDefs.Perms.
namespace perms {
inline constexpr int32_t kRead = 1;
inline constexpr int32_t kWrite = 2;
inline constexpr int32_t kCreate = 4;
inline constexpr int32_t kDelete = 8;
inline constexpr int32_t kAdmin = 16;
inline constexpr int32_t kAll = kRead | kWrite | kCreate | kDelete | kAdmin;
}  // namespace perms

// Reserved xids of the client protocol.
inline constexpr int32_t kNotificationXid = -1;
inline constexpr int32_t kPingXid = -2;
inline constexpr int32_t kAuthXid = -4;
inline constexpr int32_t kSetWatchesXid = -8;

// ephemeralOwner values that are not session ids (EphemeralType): a container node, and the
// extended-type prefix of TTL nodes (top byte 0xff, TTL in the low 40 bits).
inline constexpr int64_t kContainerEphemeralOwner = INT64_MIN;
inline constexpr uint64_t kExtendedMask = 0xff00000000000000ull;
inline constexpr uint64_t kExtendedReservedMask = 0x00ffff0000000000ull;
inline constexpr int64_t kTtlMaxMs = 0x000000ffffffffffll;

}  // namespace kz::zk
