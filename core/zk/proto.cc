#include "core/zk/proto.h"

#include <type_traits>

#include <fmt/format.h>

namespace kz::zk {

void ConnectRequest::write_custom(JuteWriter& w, const ConnectRequest& v) {
  w.write_int(v.protocol_version);
  w.write_long(v.last_zxid_seen);
  w.write_int(v.timeout_ms);
  w.write_long(v.session_id);
  w.write_buffer(v.passwd);
  if (v.read_only) w.write_bool(*v.read_only);
}

Status ConnectRequest::read_custom(JuteReader& r, ConnectRequest& v) {
  KZ_RETURN_IF_ERROR(jute_read(r, v.protocol_version));
  KZ_RETURN_IF_ERROR(jute_read(r, v.last_zxid_seen));
  KZ_RETURN_IF_ERROR(jute_read(r, v.timeout_ms));
  KZ_RETURN_IF_ERROR(jute_read(r, v.session_id));
  KZ_RETURN_IF_ERROR(jute_read(r, v.passwd));
  // The Java server reads readOnly only if a byte is left (old clients stop at passwd).
  v.read_only.reset();
  if (r.remaining() > 0) {
    bool read_only = false;
    KZ_RETURN_IF_ERROR(r.read_bool(&read_only));
    v.read_only = read_only;
  }
  return Status::ok();
}

void ConnectResponse::write_custom(JuteWriter& w, const ConnectResponse& v) {
  w.write_int(v.protocol_version);
  w.write_int(v.timeout_ms);
  w.write_long(v.session_id);
  w.write_buffer(v.passwd);
  if (v.read_only) w.write_bool(*v.read_only);
}

void Stat::write_custom(JuteWriter& w, const Stat& v) {
  char buf[kJuteBytes];
  char* p = buf;
  fields(v, [&p](const char*, const auto& field) {
    store_be(p, field);
    p += sizeof(field);
  });
  KZ_ASSERT(p == buf + kJuteBytes);
  w.write_raw(std::string_view(buf, kJuteBytes));
}

Status Stat::read_custom(JuteReader& r, Stat& v) {
  if (const char* p = r.take_raw(kJuteBytes)) {
    fields(v, [&p](const char*, auto& field) {
      field = load_be<std::remove_reference_t<decltype(field)>>(p);
      p += sizeof(field);
    });
    return Status::ok();
  }
  Status status;  // truncated: read field by field, so that the error names the field
  fields(v, [&r, &status](const char* name, auto& field) {
    if (!status.is_ok()) return;
    r.push_name(name);
    status = jute_read(r, field);
    r.pop_name();
  });
  return status;
}

Status ConnectResponse::read_custom(JuteReader& r, ConnectResponse& v) {
  KZ_RETURN_IF_ERROR(jute_read(r, v.protocol_version));
  KZ_RETURN_IF_ERROR(jute_read(r, v.timeout_ms));
  KZ_RETURN_IF_ERROR(jute_read(r, v.session_id));
  KZ_RETURN_IF_ERROR(jute_read(r, v.passwd));
  v.read_only.reset();
  if (r.remaining() > 0) {
    bool read_only = false;
    KZ_RETURN_IF_ERROR(r.read_bool(&read_only));
    v.read_only = read_only;
  }
  return Status::ok();
}

namespace {

constexpr MultiHeader kMultiEnd{-1, true, -1};

// Reads the request body that goes with a multi op type; an unknown type is an error (the Java
// server throws "Invalid type of op" and drops the connection).
// Reads one multi op's body as record T.
template <typename T>
Status read_op_body(JuteReader& r, MultiOp& op) {
  T body;
  KZ_RETURN_IF_ERROR(jute_read(r, body));
  op.body = std::move(body);
  return Status::ok();
}

Status read_multi_op(JuteReader& r, int32_t type, MultiOp& op) {
  op.type = type;
  switch (static_cast<OpCode>(type)) {
    case OpCode::kCreate:
    case OpCode::kCreate2:
    case OpCode::kCreateContainer: return read_op_body<CreateRequest>(r, op);
    case OpCode::kCreateTtl: return read_op_body<CreateTTLRequest>(r, op);
    case OpCode::kDelete: return read_op_body<DeleteRequest>(r, op);
    case OpCode::kSetData: return read_op_body<SetDataRequest>(r, op);
    case OpCode::kCheck: return read_op_body<CheckVersionRequest>(r, op);
    case OpCode::kGetChildren: return read_op_body<GetChildrenRequest>(r, op);
    case OpCode::kGetData: return read_op_body<GetDataRequest>(r, op);
    default:
      return r.corruption(fmt::format("{}: invalid op type {}", r.where(), type));
  }
}

}  // namespace

void MultiRequest::write_custom(JuteWriter& w, const MultiRequest& v) {
  for (const MultiOp& op : v.ops) {
    jute_write(w, MultiHeader{op.type, false, -1});
    std::visit([&w](const auto& body) { jute_write(w, body); }, op.body);
  }
  jute_write(w, kMultiEnd);
}

Status MultiRequest::read_custom(JuteReader& r, MultiRequest& v) {
  v.ops.clear();
  // Bounded: every iteration consumes at least a 9-byte header or fails.
  for (;;) {
    MultiHeader h;
    KZ_RETURN_IF_ERROR(jute_read(r, h));
    if (h.done) return Status::ok();
    MultiOp op;
    KZ_RETURN_IF_ERROR(read_multi_op(r, h.type, op));
    v.ops.push_back(std::move(op));
  }
}

void MultiResponse::write_custom(JuteWriter& w, const MultiResponse& v) {
  for (const OpResult& res : v.results) {
    const bool is_error = res.type == op(OpCode::kError);
    // ZooKeeper reports createContainer / createTTL results as CreateResult(path, stat), whose
    // type is create2: clients reject any other create type in a multi response.
    int32_t wire_type = res.type;
    if (wire_type == op(OpCode::kCreateContainer) || wire_type == op(OpCode::kCreateTtl)) {
      wire_type = op(OpCode::kCreate2);
    }
    jute_write(w, MultiHeader{wire_type, false, is_error ? res.err : 0});
    switch (static_cast<OpCode>(res.type)) {
      case OpCode::kCreate: jute_write(w, CreateResponse{res.path}); break;
      case OpCode::kCreate2:
      case OpCode::kCreateContainer:
      case OpCode::kCreateTtl: jute_write(w, Create2Response{res.path, res.stat}); break;
      case OpCode::kDelete:
      case OpCode::kCheck: break;
      case OpCode::kSetData: jute_write(w, SetDataResponse{res.stat}); break;
      case OpCode::kGetData: jute_write(w, GetDataResponse{res.data, res.stat}); break;
      case OpCode::kGetChildren: jute_write(w, GetChildrenResponse{res.children}); break;
      case OpCode::kError: jute_write(w, ErrorResponse{res.err}); break;
      default: KZ_UNREACHABLE(fmt::format("multi result of type {}", res.type));
    }
  }
  jute_write(w, kMultiEnd);
}

Status MultiResponse::read_custom(JuteReader& r, MultiResponse& v) {
  v.results.clear();
  for (;;) {
    MultiHeader h;
    KZ_RETURN_IF_ERROR(jute_read(r, h));
    if (h.done) return Status::ok();
    OpResult res;
    res.type = h.type;
    switch (static_cast<OpCode>(h.type)) {
      case OpCode::kCreate: {
        CreateResponse body;
        KZ_RETURN_IF_ERROR(jute_read(r, body));
        res.path = std::move(body.path);
        break;
      }
      case OpCode::kCreate2:
      case OpCode::kCreateContainer:
      case OpCode::kCreateTtl: {
        Create2Response body;
        KZ_RETURN_IF_ERROR(jute_read(r, body));
        res.path = std::move(body.path);
        res.stat = body.stat;
        break;
      }
      case OpCode::kDelete:
      case OpCode::kCheck: break;
      case OpCode::kSetData: {
        SetDataResponse body;
        KZ_RETURN_IF_ERROR(jute_read(r, body));
        res.stat = body.stat;
        break;
      }
      case OpCode::kGetData: {
        GetDataResponse body;
        KZ_RETURN_IF_ERROR(jute_read(r, body));
        res.data = std::move(body.data);
        res.stat = body.stat;
        break;
      }
      case OpCode::kGetChildren: {
        GetChildrenResponse body;
        KZ_RETURN_IF_ERROR(jute_read(r, body));
        res.children = std::move(body.children);
        break;
      }
      case OpCode::kError: {
        ErrorResponse body;
        KZ_RETURN_IF_ERROR(jute_read(r, body));
        res.err = body.err;
        break;
      }
      default:
        return r.corruption(fmt::format("{}: invalid result type {}", r.where(), h.type));
    }
    v.results.push_back(std::move(res));
  }
}

OpResult error_result(ErrorCode code) {
  OpResult res;
  res.type = op(OpCode::kError);
  res.err = err(code);
  return res;
}

}  // namespace kz::zk
