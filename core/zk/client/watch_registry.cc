#include "core/zk/client/watch_registry.h"

#include "core/base/assert.h"

namespace kz::zk::client {

namespace {

// Whether a recursive watch on `watch_path` covers `path` (the path itself or a descendant).
bool covers(const std::string& watch_path, const std::string& path) {
  if (watch_path == path || watch_path == "/") return true;
  return path.size() > watch_path.size() && path.compare(0, watch_path.size(), watch_path) == 0 &&
         path[watch_path.size()] == '/';
}

}  // namespace

bool WatchRegistry::empty() const {
  for (const auto& s : sets_) {
    if (!s.empty()) return false;
  }
  return true;
}

void WatchRegistry::clear() {
  for (auto& s : sets_) s.clear();
}

bool WatchRegistry::on_event(EventType type, const std::string& path) {
  bool matched = false;
  auto take = [&](WatchKind kind) { matched |= sets_[index(kind)].erase(path) > 0; };
  auto persistent = [&](bool recursive_too) {
    matched |= contains(WatchKind::kPersistent, path);
    if (!recursive_too) return;
    for (const std::string& w : sets_[index(WatchKind::kPersistentRecursive)]) {
      if (covers(w, path)) {
        matched = true;
        break;
      }
    }
  };
  switch (type) {
    case EventType::kNodeCreated:
    case EventType::kNodeDataChanged:
      take(WatchKind::kData);
      take(WatchKind::kExist);
      persistent(true);
      break;
    case EventType::kNodeChildrenChanged:
      take(WatchKind::kChild);
      persistent(false);  // recursive watches are not told about children: they see the nodes
      break;
    case EventType::kNodeDeleted:
      take(WatchKind::kData);
      take(WatchKind::kExist);
      take(WatchKind::kChild);
      persistent(true);
      break;
    default:
      break;  // removal notices and state events do not change what the server holds
  }
  return matched;
}

bool WatchRegistry::has_removable(const std::string& path, WatcherType type) const {
  bool data = contains(WatchKind::kData, path) || contains(WatchKind::kExist, path);
  bool child = contains(WatchKind::kChild, path);
  bool persistent = contains(WatchKind::kPersistent, path) || contains(WatchKind::kPersistentRecursive, path);
  switch (type) {
    case WatcherType::kData:
      return data;
    case WatcherType::kChildren:
      return child;
    case WatcherType::kAny:
      return data || child || persistent;
  }
  return false;
}

std::vector<EventType> WatchRegistry::remove(const std::string& path, WatcherType type) {
  std::vector<EventType> events;
  bool any = type == WatcherType::kAny;
  if (type == WatcherType::kData || any) {
    bool data = sets_[index(WatchKind::kData)].erase(path) > 0;
    bool exist = sets_[index(WatchKind::kExist)].erase(path) > 0;
    if (data || exist) events.push_back(EventType::kDataWatchRemoved);
  }
  if (type == WatcherType::kChildren || any) {
    if (sets_[index(WatchKind::kChild)].erase(path) > 0) events.push_back(EventType::kChildWatchRemoved);
  }
  if (any) {
    bool p = sets_[index(WatchKind::kPersistent)].erase(path) > 0;
    bool r = sets_[index(WatchKind::kPersistentRecursive)].erase(path) > 0;
    if (p || r) events.push_back(EventType::kPersistentWatchRemoved);
  }
  return events;
}

std::vector<SetWatches2> WatchRegistry::set_watches(int64_t relative_zxid, size_t path_bytes_max) const {
  KZ_ASSERT(path_bytes_max > 0);
  std::vector<SetWatches2> out;
  if (empty()) return out;
  SetWatches2 current;
  current.relative_zxid = relative_zxid;
  size_t bytes = 0;
  bool current_empty = true;
  auto list_of = [](SetWatches2& sw, WatchKind kind) -> std::vector<std::string>& {
    switch (kind) {
      case WatchKind::kData:
        return sw.data_watches;
      case WatchKind::kExist:
        return sw.exist_watches;
      case WatchKind::kChild:
        return sw.child_watches;
      case WatchKind::kPersistent:
        return sw.persistent_watches;
      case WatchKind::kPersistentRecursive:
        return sw.persistent_recursive_watches;
    }
    KZ_UNREACHABLE("watch kind");
  };
  for (size_t k = 0; k < kWatchKinds; k++) {
    WatchKind kind = static_cast<WatchKind>(k);
    for (const std::string& path : sets_[k]) {
      if (!current_empty && bytes + path.size() > path_bytes_max) {
        out.push_back(std::move(current));
        current = SetWatches2{};
        current.relative_zxid = relative_zxid;
        bytes = 0;
      }
      list_of(current, kind).push_back(path);
      bytes += path.size();
      current_empty = false;
    }
  }
  if (!current_empty) out.push_back(std::move(current));
  return out;
}

}  // namespace kz::zk::client
