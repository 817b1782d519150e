// Small socket helpers shared by the real backend's stream, listener and net.
#pragma once

#include <sys/socket.h>

#include "core/io/net.h"

namespace kz::real {

// Numeric host ("127.0.0.1", "::1") and port of an IPv4 or IPv6 socket address.
io::Address to_address(const sockaddr_storage& sa);
// The local or remote address of a socket; an empty Address if the OS cannot tell.
io::Address local_address(int fd);
io::Address peer_address(int fd);
// Best effort: a stream without TCP_NODELAY still works, only with more latency.
void set_nodelay(int fd);

}  // namespace kz::real
