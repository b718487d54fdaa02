// The embedded backends under contract test: an in-process bus, in-memory presence, and a SQLite
// store and account store on a fresh temporary file, removed (with its WAL and shm files) afterwards.
#include <memory>
#include <string>

#include "backend_fixture.hpp"
#include "server/embedded/embedded_bus.hpp"
#include "server/embedded/memory_presence.hpp"
#include "server/embedded/sqlite_accounts.hpp"
#include "server/embedded/sqlite_store.hpp"

namespace outloud::testing {

namespace backend_fixture_embedded_test {

class EmbeddedBackends final : public BackendSet {
 public:
  explicit EmbeddedBackends(const std::string& name)
      : path_(name), store_(path_.string(), bus_), accounts_(path_.string()) {}
  backend::Store& store() override { return store_; }
  backend::Bus& bus() override { return bus_; }
  backend::PresenceRegistry& presence() override { return presence_; }
  accounts::AccountStore& accounts() override { return accounts_; }

 private:
  // Declaration order is destruction order reversed: the store closes before the bus and the file go.
  TempDatabasePath path_;
  embedded::EmbeddedBus bus_;
  embedded::MemoryPresence presence_;
  embedded::SqliteStore store_;
  embedded::SqliteAccounts accounts_;  // the same file, as in the server
};

const bool registered = register_backend_kind(
    "embedded", [](const std::string& name) -> std::unique_ptr<BackendSet> {
      return std::make_unique<EmbeddedBackends>(name);
    });

}  // namespace backend_fixture_embedded_test

}  // namespace outloud::testing
