#include "core/zk/codes.h"

namespace kz::zk {

std::string_view op_code_name(int32_t code) {
  switch (static_cast<OpCode>(code)) {
    case OpCode::kNotification: return "notification";
    case OpCode::kCreate: return "create";
    case OpCode::kDelete: return "delete";
    case OpCode::kExists: return "exists";
    case OpCode::kGetData: return "getData";
    case OpCode::kSetData: return "setData";
    case OpCode::kGetAcl: return "getACL";
    case OpCode::kSetAcl: return "setACL";
    case OpCode::kGetChildren: return "getChildren";
    case OpCode::kSync: return "sync";
    case OpCode::kPing: return "ping";
    case OpCode::kGetChildren2: return "getChildren2";
    case OpCode::kCheck: return "check";
    case OpCode::kMulti: return "multi";
    case OpCode::kCreate2: return "create2";
    case OpCode::kReconfig: return "reconfig";
    case OpCode::kCheckWatches: return "checkWatches";
    case OpCode::kRemoveWatches: return "removeWatches";
    case OpCode::kCreateContainer: return "createContainer";
    case OpCode::kDeleteContainer: return "deleteContainer";
    case OpCode::kCreateTtl: return "createTTL";
    case OpCode::kMultiRead: return "multiRead";
    case OpCode::kAuth: return "auth";
    case OpCode::kSetWatches: return "setWatches";
    case OpCode::kSasl: return "sasl";
    case OpCode::kGetEphemerals: return "getEphemerals";
    case OpCode::kGetAllChildrenNumber: return "getAllChildrenNumber";
    case OpCode::kSetWatches2: return "setWatches2";
    case OpCode::kAddWatch: return "addWatch";
    case OpCode::kWhoAmI: return "whoAmI";
    case OpCode::kCreateSession: return "createSession";
    case OpCode::kCloseSession: return "closeSession";
    case OpCode::kError: return "error";
  }
  return "unknown";
}

bool is_write_op(int32_t code) {
  switch (static_cast<OpCode>(code)) {
    case OpCode::kCreate:
    case OpCode::kCreate2:
    case OpCode::kCreateContainer:
    case OpCode::kCreateTtl:
    case OpCode::kDelete:
    case OpCode::kDeleteContainer:
    case OpCode::kSetData:
    case OpCode::kSetAcl:
    case OpCode::kCheck:
    case OpCode::kMulti:
    case OpCode::kReconfig:
    case OpCode::kCreateSession:
    case OpCode::kCloseSession:
      return true;
    default:
      return false;
  }
}

std::string_view error_code_name(int32_t code) {
  switch (static_cast<ErrorCode>(code)) {
    case ErrorCode::kOk: return "OK";
    case ErrorCode::kSystemError: return "SYSTEMERROR";
    case ErrorCode::kRuntimeInconsistency: return "RUNTIMEINCONSISTENCY";
    case ErrorCode::kDataInconsistency: return "DATAINCONSISTENCY";
    case ErrorCode::kConnectionLoss: return "CONNECTIONLOSS";
    case ErrorCode::kMarshallingError: return "MARSHALLINGERROR";
    case ErrorCode::kUnimplemented: return "UNIMPLEMENTED";
    case ErrorCode::kOperationTimeout: return "OPERATIONTIMEOUT";
    case ErrorCode::kBadArguments: return "BADARGUMENTS";
    case ErrorCode::kUnknownSession: return "UNKNOWNSESSION";
    case ErrorCode::kNewConfigNoQuorum: return "NEWCONFIGNOQUORUM";
    case ErrorCode::kReconfigInProgress: return "RECONFIGINPROGRESS";
    case ErrorCode::kApiError: return "APIERROR";
    case ErrorCode::kNoNode: return "NONODE";
    case ErrorCode::kNoAuth: return "NOAUTH";
    case ErrorCode::kBadVersion: return "BADVERSION";
    case ErrorCode::kNoChildrenForEphemerals: return "NOCHILDRENFOREPHEMERALS";
    case ErrorCode::kNodeExists: return "NODEEXISTS";
    case ErrorCode::kNotEmpty: return "NOTEMPTY";
    case ErrorCode::kSessionExpired: return "SESSIONEXPIRED";
    case ErrorCode::kInvalidCallback: return "INVALIDCALLBACK";
    case ErrorCode::kInvalidAcl: return "INVALIDACL";
    case ErrorCode::kAuthFailed: return "AUTHFAILED";
    case ErrorCode::kSessionMoved: return "SESSIONMOVED";
    case ErrorCode::kNotReadOnly: return "NOTREADONLY";
    case ErrorCode::kEphemeralOnLocalSession: return "EPHEMERALONLOCALSESSION";
    case ErrorCode::kNoWatcher: return "NOWATCHER";
    case ErrorCode::kReconfigDisabled: return "RECONFIGDISABLED";
    case ErrorCode::kSessionClosedRequireSaslAuth: return "SESSIONCLOSEDREQUIRESASLAUTH";
    case ErrorCode::kQuotaExceeded: return "QUOTAEXCEEDED";
    case ErrorCode::kThrottledOp: return "THROTTLEDOP";
  }
  return "UNKNOWN";
}

std::string_view event_type_name(EventType type) {
  switch (type) {
    case EventType::kNone: return "None";
    case EventType::kNodeCreated: return "NodeCreated";
    case EventType::kNodeDeleted: return "NodeDeleted";
    case EventType::kNodeDataChanged: return "NodeDataChanged";
    case EventType::kNodeChildrenChanged: return "NodeChildrenChanged";
    case EventType::kDataWatchRemoved: return "DataWatchRemoved";
    case EventType::kChildWatchRemoved: return "ChildWatchRemoved";
    case EventType::kPersistentWatchRemoved: return "PersistentWatchRemoved";
  }
  return "Unknown";
}

std::optional<CreateMode> create_mode_from_flags(int32_t flags) {
  if (flags < 0 || flags > 6) return std::nullopt;
  return static_cast<CreateMode>(flags);
}

bool is_ephemeral(CreateMode m) { return m == CreateMode::kEphemeral || m == CreateMode::kEphemeralSequential; }

bool is_sequential(CreateMode m) {
  return m == CreateMode::kPersistentSequential || m == CreateMode::kEphemeralSequential ||
         m == CreateMode::kPersistentSequentialWithTtl;
}

bool is_container(CreateMode m) { return m == CreateMode::kContainer; }

bool is_ttl(CreateMode m) {
  return m == CreateMode::kPersistentWithTtl || m == CreateMode::kPersistentSequentialWithTtl;
}

}  // namespace kz::zk
