// Trace event kinds recorded by the simulator's components into the World's trace hash. The scheduler
// uses kinds < 100 and io::Rng uses 100; every simulated component records with a kind from here.
#pragma once

#include <cstdint>

namespace kz::sim {

enum SimTraceKind : uint64_t {
  kTraceNetDeliver = 200,
  kTraceNetConnect = 201,
  kTraceNetReset = 202,
  kTraceDiskOp = 210,
  kTraceFault = 220,
  kTraceNodeCrash = 230,
  kTraceNodeRestart = 231,
};

}  // namespace kz::sim
