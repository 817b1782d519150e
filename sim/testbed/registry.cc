#include <fmt/format.h>

#include "sim/testbed/testbed.h"

namespace kz::testbed {

Result<std::string> Service::resolve_role(RunContext&, std::string_view role) {
  return Status(Code::kInvalidArgument, fmt::format("unknown role target '{}' for this service", role));
}

const Registry& registry() {
  static const Registry r = [] {
    Registry reg;
    register_generic_checkers(reg);
    register_echo(reg);
    register_zookeeper(reg);
    register_zk_register(reg);
    register_register_checkers(reg);
    register_zk_recipes(reg);
    return reg;
  }();
  return r;
}

}  // namespace kz::testbed
