#include "core/zk/txn.h"

#include <fmt/format.h>

namespace kz::zk {

namespace {

template <typename T>
Result<TxnBody> read_as(JuteReader& r) {
  T body{};
  KZ_RETURN_IF_ERROR(jute_read(r, body));
  return TxnBody(std::move(body));
}

bool sub_txn_body_matches(int32_t type, const SubTxnBody& body) {
  switch (static_cast<OpCode>(type)) {
    case OpCode::kCreate:
    case OpCode::kCreate2: return std::holds_alternative<CreateTxn>(body);
    case OpCode::kCreateContainer: return std::holds_alternative<CreateContainerTxn>(body);
    case OpCode::kCreateTtl: return std::holds_alternative<CreateTTLTxn>(body);
    case OpCode::kDelete:
    case OpCode::kDeleteContainer: return std::holds_alternative<DeleteTxn>(body);
    case OpCode::kSetData: return std::holds_alternative<SetDataTxn>(body);
    case OpCode::kCheck: return std::holds_alternative<CheckVersionTxn>(body);
    case OpCode::kError: return std::holds_alternative<ErrorTxn>(body);
    default: return false;
  }
}

template <typename T>
Result<SubTxnBody> read_sub_as(std::string_view bytes) {
  KZ_ASSIGN_OR_RETURN(T body, jute_decode<T>(bytes));
  return SubTxnBody(std::move(body));
}

Result<SubTxnBody> read_sub_txn_body(int32_t type, std::string_view bytes) {
  switch (static_cast<OpCode>(type)) {
    case OpCode::kCreate:
    case OpCode::kCreate2: return read_sub_as<CreateTxn>(bytes);
    case OpCode::kCreateContainer: return read_sub_as<CreateContainerTxn>(bytes);
    case OpCode::kCreateTtl: return read_sub_as<CreateTTLTxn>(bytes);
    case OpCode::kDelete:
    case OpCode::kDeleteContainer: return read_sub_as<DeleteTxn>(bytes);
    case OpCode::kSetData: return read_sub_as<SetDataTxn>(bytes);
    case OpCode::kCheck: return read_sub_as<CheckVersionTxn>(bytes);
    case OpCode::kError: return read_sub_as<ErrorTxn>(bytes);
    default: return error(Code::kCorruption, fmt::format("MultiTxn: invalid sub-txn type {}", type));
  }
}

}  // namespace

void MultiTxn::write_custom(JuteWriter& w, const MultiTxn& v) {
  w.write_int(static_cast<int32_t>(v.txns.size()));
  for (const SubTxn& sub : v.txns) {
    KZ_ASSERT(sub_txn_body_matches(sub.type, sub.body));
    w.write_int(sub.type);
    JuteWriter inner;
    std::visit([&inner](const auto& body) { jute_write(inner, body); }, sub.body);
    w.write_bytes(inner.bytes());
  }
}

Status MultiTxn::read_custom(JuteReader& r, MultiTxn& v) {
  int32_t count = 0;
  r.push_name("txns");
  Status status = r.read_count(&count, 8);
  r.pop_name();
  KZ_RETURN_IF_ERROR(status);
  v.txns.clear();
  v.txns.reserve(static_cast<size_t>(count));
  for (int32_t i = 0; i < count; i++) {
    int32_t type = 0;
    Buffer data;
    r.push_name("Txn");
    status = r.read_int(&type);
    if (status.is_ok()) status = r.read_buffer(&data);
    r.pop_name();
    KZ_RETURN_IF_ERROR(status);
    if (!data) return r.corruption(fmt::format("MultiTxn: sub-txn {} has a null body", i));
    auto body = read_sub_txn_body(type, *data);
    if (!body.is_ok()) return body.status().with_context(fmt::format("MultiTxn sub-txn {}", i));
    v.txns.push_back(SubTxn{type, std::move(body).value()});
  }
  return Status::ok();
}

bool txn_body_matches(int32_t type, const TxnBody& body) {
  switch (static_cast<OpCode>(type)) {
    case OpCode::kCreate:
    case OpCode::kCreate2: return std::holds_alternative<CreateTxn>(body);
    case OpCode::kCreateContainer: return std::holds_alternative<CreateContainerTxn>(body);
    case OpCode::kCreateTtl: return std::holds_alternative<CreateTTLTxn>(body);
    case OpCode::kDelete:
    case OpCode::kDeleteContainer: return std::holds_alternative<DeleteTxn>(body);
    case OpCode::kSetData: return std::holds_alternative<SetDataTxn>(body);
    case OpCode::kSetAcl: return std::holds_alternative<SetACLTxn>(body);
    case OpCode::kCheck: return std::holds_alternative<CheckVersionTxn>(body);
    case OpCode::kCreateSession: return std::holds_alternative<CreateSessionTxn>(body);
    case OpCode::kCloseSession:
      return std::holds_alternative<CloseSessionTxn>(body) || std::holds_alternative<NoTxnBody>(body);
    case OpCode::kError: return std::holds_alternative<ErrorTxn>(body);
    case OpCode::kMulti: return std::holds_alternative<MultiTxn>(body);
    default: return false;
  }
}

void write_txn_body(JuteWriter& w, int32_t type, const TxnBody& body) {
  KZ_ASSERT_MSG(txn_body_matches(type, body), fmt::format("txn type {} with body #{}", type, body.index()));
  std::visit(
      [&w](const auto& b) {
        if constexpr (!std::is_same_v<std::decay_t<decltype(b)>, NoTxnBody>) jute_write(w, b);
      },
      body);
}

Result<TxnBody> read_txn_body(JuteReader& r, int32_t type) {
  switch (static_cast<OpCode>(type)) {
    case OpCode::kCreate:
    case OpCode::kCreate2: return read_as<CreateTxn>(r);
    case OpCode::kCreateContainer: return read_as<CreateContainerTxn>(r);
    case OpCode::kCreateTtl: return read_as<CreateTTLTxn>(r);
    case OpCode::kDelete:
    case OpCode::kDeleteContainer: return read_as<DeleteTxn>(r);
    case OpCode::kSetData: return read_as<SetDataTxn>(r);
    case OpCode::kSetAcl: return read_as<SetACLTxn>(r);
    case OpCode::kCheck: return read_as<CheckVersionTxn>(r);
    case OpCode::kCreateSession: return read_as<CreateSessionTxn>(r);
    case OpCode::kCloseSession:
      if (r.at_end()) return TxnBody(NoTxnBody{});
      return read_as<CloseSessionTxn>(r);
    case OpCode::kError: return read_as<ErrorTxn>(r);
    case OpCode::kMulti: return read_as<MultiTxn>(r);
    default: return r.corruption(fmt::format("txn: unknown type {}", type));
  }
}

std::string encode_txn(const Txn& txn) {
  JuteWriter w;
  jute_write(w, txn.header);
  write_txn_body(w, txn.header.type, txn.body);
  return w.take();
}

Result<Txn> decode_txn(std::string_view bytes) {
  JuteReader r(bytes);
  Txn txn;
  KZ_RETURN_IF_ERROR(jute_read(r, txn.header));
  KZ_ASSIGN_OR_RETURN(txn.body, read_txn_body(r, txn.header.type));
  if (!r.at_end()) return r.corruption(fmt::format("txn {}: trailing bytes", op_code_name(txn.header.type)));
  return txn;
}

}  // namespace kz::zk
