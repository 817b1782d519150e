#include "core/zk/watch_manager.h"

#include "core/zk/path.h"

namespace kz::zk {

void WatchManager::Table::add(std::string_view path, WatcherId watcher, uint8_t mode) {
  auto it = by_path.find(path);
  if (it == by_path.end()) it = by_path.emplace(std::string(path), std::map<WatcherId, uint8_t>{}).first;
  uint8_t& modes = it->second[watcher];
  if ((mode & kRecursive) != 0 && (modes & kRecursive) == 0) recursive_count++;
  modes |= mode;
  by_watcher[watcher].insert(std::string(path));
}

bool WatchManager::Table::contains(std::string_view path, WatcherId watcher) const {
  auto it = by_path.find(path);
  return it != by_path.end() && it->second.count(watcher) != 0;
}

bool WatchManager::Table::remove(std::string_view path, WatcherId watcher) {
  auto it = by_path.find(path);
  if (it == by_path.end()) return false;
  auto w = it->second.find(watcher);
  if (w == it->second.end()) return false;
  if ((w->second & kRecursive) != 0) {
    KZ_ASSERT(recursive_count > 0);
    recursive_count--;
  }
  it->second.erase(w);
  if (it->second.empty()) by_path.erase(it);
  auto paths = by_watcher.find(watcher);
  KZ_ASSERT(paths != by_watcher.end());
  paths->second.erase(std::string(path));
  if (paths->second.empty()) by_watcher.erase(paths);
  return true;
}

void WatchManager::Table::remove_watcher(WatcherId watcher) {
  auto paths = by_watcher.find(watcher);
  if (paths == by_watcher.end()) return;
  const std::set<std::string> copy = paths->second;
  for (const std::string& path : copy) remove(path, watcher);
  KZ_ASSERT(by_watcher.count(watcher) == 0);
}

std::set<WatcherId> WatchManager::Table::collect(std::string_view path) {
  std::set<WatcherId> out;
  // The path itself: every mode fires; standard watches are consumed.
  if (auto it = by_path.find(path); it != by_path.end()) {
    std::vector<WatcherId> consumed;
    for (auto& [watcher, modes] : it->second) {
      out.insert(watcher);
      modes &= static_cast<uint8_t>(~kStandard);
      if (modes == 0) consumed.push_back(watcher);
    }
    for (WatcherId watcher : consumed) {
      it->second.erase(watcher);
      auto paths = by_watcher.find(watcher);
      KZ_ASSERT(paths != by_watcher.end());
      paths->second.erase(std::string(path));
      if (paths->second.empty()) by_watcher.erase(paths);
    }
    if (it->second.empty()) by_path.erase(it);
  }
  // Ancestors: only recursive watches.
  if (recursive_count > 0 && path != kRootPath) {
    std::string_view ancestor = path;
    do {
      ancestor = parent_path(ancestor);
      if (auto it = by_path.find(ancestor); it != by_path.end()) {
        for (const auto& [watcher, modes] : it->second) {
          if ((modes & kRecursive) != 0) out.insert(watcher);
        }
      }
    } while (ancestor != kRootPath);
  }
  return out;
}

void WatchManager::add_data_watch(std::string_view path, WatcherId watcher) { data_.add(path, watcher, kStandard); }

void WatchManager::add_child_watch(std::string_view path, WatcherId watcher) {
  child_.add(path, watcher, kStandard);
}

void WatchManager::add_persistent_watch(std::string_view path, WatcherId watcher, AddWatchMode mode) {
  if (mode == AddWatchMode::kPersistentRecursive) {
    data_.add(path, watcher, kRecursive);
  } else {
    data_.add(path, watcher, kPersistent);
    child_.add(path, watcher, kPersistent);
  }
}

void WatchManager::emit(const std::set<WatcherId>& watchers, const std::set<WatcherId>& suppress, EventType type,
                        std::string_view path, int64_t zxid, std::vector<WatchEvent>& out) {
  for (WatcherId watcher : watchers) {
    if (suppress.count(watcher) != 0) continue;
    WatchEvent e;
    e.watcher = watcher;
    e.event.type = static_cast<int32_t>(type);
    e.event.state = static_cast<int32_t>(KeeperState::kSyncConnected);
    e.event.path = std::string(path);
    e.zxid = zxid;
    out.push_back(std::move(e));
  }
}

std::vector<WatchEvent> WatchManager::trigger(const WatchTrigger& trigger, int64_t zxid) {
  std::vector<WatchEvent> out;
  const std::set<WatcherId> none;
  const std::string& path = trigger.path;
  switch (trigger.kind) {
    case WatchTrigger::Kind::kCreated:
      emit(data_.collect(path), none, EventType::kNodeCreated, path, zxid, out);
      emit(child_.collect(parent_path(path)), none, EventType::kNodeChildrenChanged, parent_path(path), zxid, out);
      break;
    case WatchTrigger::Kind::kDeleted: {
      const std::set<WatcherId> notified = data_.collect(path);
      emit(notified, none, EventType::kNodeDeleted, path, zxid, out);
      emit(child_.collect(path), notified, EventType::kNodeDeleted, path, zxid, out);
      emit(child_.collect(parent_path(path)), none, EventType::kNodeChildrenChanged, parent_path(path), zxid, out);
      break;
    }
    case WatchTrigger::Kind::kDataChanged:
      emit(data_.collect(path), none, EventType::kNodeDataChanged, path, zxid, out);
      break;
  }
  return out;
}

std::vector<WatchEvent> WatchManager::trigger_all(const std::vector<WatchTrigger>& triggers, int64_t zxid) {
  std::vector<WatchEvent> out;
  for (const WatchTrigger& t : triggers) {
    for (auto& e : trigger(t, zxid)) out.push_back(std::move(e));
  }
  return out;
}

bool WatchManager::contains(std::string_view path, WatcherId watcher, WatcherType type) const {
  switch (type) {
    case WatcherType::kChildren: return child_.contains(path, watcher);
    case WatcherType::kData: return data_.contains(path, watcher);
    case WatcherType::kAny: return child_.contains(path, watcher) || data_.contains(path, watcher);
  }
  return false;
}

bool WatchManager::remove(std::string_view path, WatcherId watcher, WatcherType type) {
  switch (type) {
    case WatcherType::kChildren: return child_.remove(path, watcher);
    case WatcherType::kData: return data_.remove(path, watcher);
    case WatcherType::kAny: {
      const bool removed_child = child_.remove(path, watcher);
      const bool removed_data = data_.remove(path, watcher);
      return removed_child || removed_data;
    }
  }
  return false;
}

void WatchManager::remove_watcher(WatcherId watcher) {
  data_.remove_watcher(watcher);
  child_.remove_watcher(watcher);
}

std::vector<WatchEvent> WatchManager::set_watches(const DataTree& tree, WatcherId watcher,
                                                  const SetWatches2& request) {
  std::vector<WatchEvent> out;
  const std::set<WatcherId> none;
  const std::set<WatcherId> self{watcher};
  for (const std::string& path : request.data_watches) {
    const Node* node = tree.find(path);
    if (node == nullptr) {
      emit(self, none, EventType::kNodeDeleted, path, -1, out);
    } else if (node->stat.mzxid > request.relative_zxid) {
      emit(self, none, EventType::kNodeDataChanged, path, -1, out);
    } else {
      data_.add(path, watcher, kStandard);
    }
  }
  for (const std::string& path : request.exist_watches) {
    if (tree.find(path) != nullptr) {
      emit(self, none, EventType::kNodeCreated, path, -1, out);
    } else {
      data_.add(path, watcher, kStandard);
    }
  }
  for (const std::string& path : request.child_watches) {
    const Node* node = tree.find(path);
    if (node == nullptr) {
      emit(self, none, EventType::kNodeDeleted, path, -1, out);
    } else if (node->stat.pzxid > request.relative_zxid) {
      emit(self, none, EventType::kNodeChildrenChanged, path, -1, out);
    } else {
      child_.add(path, watcher, kStandard);
    }
  }
  for (const std::string& path : request.persistent_watches) {
    add_persistent_watch(path, watcher, AddWatchMode::kPersistent);
  }
  for (const std::string& path : request.persistent_recursive_watches) {
    add_persistent_watch(path, watcher, AddWatchMode::kPersistentRecursive);
  }
  return out;
}

SetWatches2 WatchManager::watches_of(const DataTree& tree, WatcherId watcher) const {
  SetWatches2 out;
  out.relative_zxid = tree.last_zxid();
  auto modes_at = [watcher](const Table& table, const std::string& path) -> uint8_t {
    auto it = table.by_path.find(path);
    if (it == table.by_path.end()) return 0;
    auto w = it->second.find(watcher);
    return w == it->second.end() ? 0 : w->second;
  };
  if (auto paths = data_.by_watcher.find(watcher); paths != data_.by_watcher.end()) {
    for (const std::string& path : paths->second) {
      const uint8_t modes = modes_at(data_, path);
      if ((modes & kStandard) != 0) {
        (tree.find(path) != nullptr ? out.data_watches : out.exist_watches).push_back(path);
      }
      if ((modes & kPersistent) != 0) out.persistent_watches.push_back(path);
      if ((modes & kRecursive) != 0) out.persistent_recursive_watches.push_back(path);
    }
  }
  if (auto paths = child_.by_watcher.find(watcher); paths != child_.by_watcher.end()) {
    for (const std::string& path : paths->second) {
      if ((modes_at(child_, path) & kStandard) != 0) out.child_watches.push_back(path);
    }
  }
  return out;
}

size_t WatchManager::watch_count() const {
  size_t count = 0;
  for (const auto& [path, watchers] : data_.by_path) count += watchers.size();
  for (const auto& [path, watchers] : child_.by_path) count += watchers.size();
  return count;
}

}  // namespace kz::zk
